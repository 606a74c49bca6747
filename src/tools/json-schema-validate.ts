import type { ToolValidation } from '../agent/types.js';
import type { JsonSchema } from '../ai/types.js';

/**
 * A small checker for tools defined with a plain JSON Schema, and for the
 * built-in coding tools, so that the root entry needs no zod: `type`
 * (`integer` included), `required`, `properties`, `additionalProperties:
 * false`, `items`, `enum`, `const`, `minimum`/`maximum` (and their exclusive
 * forms), `minLength`/`maxLength` and `minItems`/`maxItems`. It catches what
 * models get wrong in practice (a missing field, a wrong type, a number out of
 * range) without shipping a full validator. Each message names the field, what
 * was expected and what was received, because the model reads it to retry.
 */
export function validateJsonSchema(schema: JsonSchema, value: unknown): ToolValidation<Record<string, unknown>> {
  const errors: string[] = [];
  check(schema, value, '', errors);
  if (errors.length > 0) return { ok: false, error: errors.map((e) => `- ${e}`).join('\n') };
  return { ok: true, value: value as Record<string, unknown> };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** A received value short enough to quote; long strings are only measured. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? text : `${text.slice(0, 37)}…`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function checkNumber(schema: JsonSchema, value: number, at: string, errors: string[]): void {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (typeof minimum === 'number' && value < minimum) {
    errors.push(`${at}: too small: expected >= ${minimum}, received ${value}`);
  } else if (typeof exclusiveMinimum === 'number' && value <= exclusiveMinimum) {
    errors.push(`${at}: too small: expected > ${exclusiveMinimum}, received ${value}`);
  }
  if (typeof maximum === 'number' && value > maximum) {
    errors.push(`${at}: too big: expected <= ${maximum}, received ${value}`);
  } else if (typeof exclusiveMaximum === 'number' && value >= exclusiveMaximum) {
    errors.push(`${at}: too big: expected < ${exclusiveMaximum}, received ${value}`);
  }
}

function checkLength(schema: JsonSchema, length: number, noun: string, at: string, errors: string[]): void {
  const min = noun === 'character' ? schema.minLength : schema.minItems;
  const max = noun === 'character' ? schema.maxLength : schema.maxItems;
  if (typeof min === 'number' && length < min) {
    const expected = min === 1 && noun === 'character' ? 'a non-empty string' : `at least ${plural(min, noun)}`;
    errors.push(`${at}: too short: expected ${expected}, received ${plural(length, noun)}`);
  }
  if (typeof max === 'number' && length > max) {
    errors.push(`${at}: too long: expected at most ${plural(max, noun)}, received ${plural(length, noun)}`);
  }
}

function check(schema: JsonSchema, value: unknown, path: string, errors: string[]): void {
  const at = path || '(root)';
  const type = schema.type;
  const actual = typeOf(value);
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = (Array.isArray(type) ? type : [type]) as string[];
    if (!types.some((t) => matchesType(t, actual))) {
      const shown = typeof value === 'number' ? `number ${quote(value)}` : actual;
      errors.push(`${at}: expected ${types.join(' or ')}, received ${shown}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    errors.push(`${at}: expected one of ${schema.enum.map((o) => JSON.stringify(o)).join(', ')}`);
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  }
  if (typeof value === 'number') checkNumber(schema, value, at, errors);
  else if (typeof value === 'string') checkLength(schema, value.length, 'character', at, errors);
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) {
        if (!Object.hasOwn(record, key)) errors.push(`${path ? `${path}.` : ''}${key}: required`);
      }
    }
    for (const [key, child] of Object.entries(record)) {
      const childSchema = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (childSchema) check(childSchema, child, path ? `${path}.${key}` : key, errors);
      else if (schema.additionalProperties === false) errors.push(`${path ? `${path}.` : ''}${key}: unknown field`);
    }
  } else if (actual === 'array') {
    const list = value as unknown[];
    checkLength(schema, list.length, 'item', at, errors);
    if (typeof schema.items === 'object' && schema.items !== null) {
      const items = schema.items as JsonSchema;
      list.forEach((item, i) => {
        check(items, item, `${path}[${i}]`, errors);
      });
    }
  }
}
