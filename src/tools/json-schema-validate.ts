import type { ToolValidation } from '../agent/types.js';
import type { JsonSchema } from '../ai/types.js';

/**
 * A small checker for tools defined with a plain JSON Schema: `type`,
 * `required`, `properties`, `additionalProperties: false`, `items`, `enum`
 * and `const`. It catches what models get wrong in practice (a missing field,
 * a wrong type) without shipping a full validator.
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

function check(schema: JsonSchema, value: unknown, path: string, errors: string[]): void {
  const at = path || '(root)';
  const type = schema.type;
  const actual = typeOf(value);
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = (Array.isArray(type) ? type : [type]) as string[];
    if (!types.some((t) => matchesType(t, actual))) {
      errors.push(`${at}: expected ${types.join(' or ')}, received ${actual}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    errors.push(`${at}: expected one of ${schema.enum.map((o) => JSON.stringify(o)).join(', ')}`);
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) {
        if (!(key in record)) errors.push(`${path ? `${path}.` : ''}${key}: required`);
      }
    }
    for (const [key, child] of Object.entries(record)) {
      const childSchema = properties[key];
      if (childSchema) check(childSchema, child, path ? `${path}.${key}` : key, errors);
      else if (schema.additionalProperties === false) errors.push(`${path ? `${path}.` : ''}${key}: unknown field`);
    }
  } else if (actual === 'array' && typeof schema.items === 'object' && schema.items !== null) {
    const items = schema.items as JsonSchema;
    (value as unknown[]).forEach((item, i) => {
      check(items, item, `${path}[${i}]`, errors);
    });
  }
}
