/**
 * The checker of plain JSON Schemas (`json-schema-validate.ts`), loaded the
 * first time a schema is checked. Imported statically from the root, it
 * would be fetched up front by every app that only streams, since
 * structured output reaches it too (a module the root imports and a lazy
 * chunk also reaches is kept in the first chunk). `registerBuiltinApis`
 * provides it for hosts without dynamic import.
 */
import type { validateJsonSchema } from './json-schema-validate.js';

let loaded: typeof validateJsonSchema | undefined;

export function provideJsonSchemaValidator(validate: typeof validateJsonSchema): void {
  loaded = validate;
}

/** The checker, loading it on first use. */
export async function jsonSchemaValidator(): Promise<typeof validateJsonSchema> {
  loaded ??= (await import('./json-schema-validate.js')).validateJsonSchema;
  return loaded;
}
