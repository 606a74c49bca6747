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
  check(schema, value, [], errors);
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

/**
 * Where a value sits: `(root)`, `a.b`, `list[2].name`. The path is kept as
 * parts and written out only for an error, since a valid value of ten
 * thousand nodes would otherwise build ten thousand strings.
 */
function pathText(path: readonly (string | number)[]): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text ? `.${part}` : part;
  return text;
}

function check(schema: JsonSchema, value: unknown, path: (string | number)[], errors: string[]): void {
  const type = schema.type;
  const actual = typeOf(value);
  if (
    typeof type === 'string'
      ? !matchesType(type, actual)
      : Array.isArray(type) && !type.some((t) => matchesType(t as string, actual))
  ) {
    const shown = typeof value === 'number' ? `number ${quote(value)}` : actual;
    errors.push(
      `${pathText(path) || '(root)'}: expected ${(Array.isArray(type) ? type : [type]).join(' or ')}, received ${shown}`,
    );
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    errors.push(
      `${pathText(path) || '(root)'}: expected one of ${schema.enum.map((o) => JSON.stringify(o)).join(', ')}`,
    );
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    errors.push(`${pathText(path) || '(root)'}: expected ${JSON.stringify(schema.const)}`);
  }
  const failed = errors.length;
  if (typeof value === 'number') checkNumber(schema, value, '', errors);
  else if (typeof value === 'string') checkLength(schema, value.length, 'character', '', errors);
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) {
        if (!Object.hasOwn(record, key)) errors.push(`${pathText([...path, key])}: required`);
      }
    }
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const childSchema = Object.hasOwn(properties, key) ? properties[key] : undefined;
      path.push(key);
      if (childSchema) check(childSchema, record[key], path, errors);
      else if (schema.additionalProperties === false) errors.push(`${pathText(path)}: unknown field`);
      path.pop();
    }
  } else if (actual === 'array') {
    const list = value as unknown[];
    checkLength(schema, list.length, 'item', '', errors);
    if (typeof schema.items === 'object' && schema.items !== null) {
      const items = schema.items as JsonSchema;
      for (let i = 0; i < list.length; i++) {
        path.push(i);
        check(items, list[i], path, errors);
        path.pop();
      }
    }
  }
  // The number, string and array checks wrote their messages without the place; it is added here, once.
  for (let i = failed; i < errors.length; i++) {
    const message = errors[i] as string;
    if (message.startsWith(': ')) errors[i] = `${pathText(path) || '(root)'}${message}`;
  }
}
