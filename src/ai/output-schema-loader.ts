/**
 * `output-schema.ts`, loaded when an agent run first asks for an output of a
 * tool-mode model with tools: imported statically by the agent, it would be
 * fetched with the first chunk by every app that only streams (structured
 * output's lazy chunk reaches it too). `registerBuiltinApis` provides it for
 * hosts without dynamic import.
 */
import type * as OutputSchemaModule from './output-schema.js';

export type OutputSchemaCode = typeof OutputSchemaModule;

let loaded: OutputSchemaCode | undefined;

export function provideOutputSchema(code: OutputSchemaCode): void {
  loaded = code;
}

export async function loadOutputSchema(): Promise<OutputSchemaCode> {
  loaded ??= await import('./output-schema.js');
  return loaded;
}
