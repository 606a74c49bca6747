/**
 * What `StreamOptions.output` holds, made uniform: the JSON Schema the model
 * is shown, whether it meets OpenAI's strict rules, and a check of the value
 * the model gave. A Standard Schema (zod 4 and others) is checked by its own
 * `validate`, and described by its Standard JSON Schema; a plain JSON Schema
 * by qcore's own checker.
 */
import { jsonSchemaValidator } from '../tools/json-schema-validator.js';
import type { JsonSchema, OutputIssue, OutputSchema, StandardSchemaV1 } from './types.js';

export interface PreparedOutput {
  name: string;
  /**
   * The schema as sent. Providers take only an object at the root (OpenAI's
   * formats, every tool's parameters), so any other root is sent wrapped, as
   * `{ value: … }`; `check` and `unwrap` take the wrapper off again.
   */
  schema: JsonSchema;
  /** The value inside a reply's JSON: the JSON itself, or its `value` when the schema was wrapped. */
  unwrap(json: unknown): unknown;
  /** The schema meets strict mode: every object lists all its properties as required and allows no others. */
  strict: boolean;
  check(value: unknown): Promise<{ ok: true; value: unknown } | { ok: false; issues: OutputIssue[] }>;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export { outputMode } from './output-mode.js';

/** The issues in one line for the model and the error message: the first ten, each at its path. */
export function describeIssues(issues: OutputIssue[]): string {
  return issues
    .slice(0, 10)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return typeof value === 'object' && value !== null && '~standard' in value;
}

/** Makes `output` uniform, its root an object; throws an error that says what is wrong with it. */
export function prepareOutput(output: OutputSchema, name = 'output'): PreparedOutput {
  const prepared = prepareSchema(output, name);
  const root = prepared.schema as { type?: unknown; properties?: unknown };
  if (root.type === 'object' || (root.type === undefined && root.properties !== undefined)) {
    return { ...prepared, unwrap: (json) => json };
  }
  const unwrap = (json: unknown): unknown =>
    typeof json === 'object' && json !== null ? (json as { value?: unknown }).value : undefined;
  const schema = {
    type: 'object',
    properties: { value: prepared.schema },
    required: ['value'],
    additionalProperties: false,
  } as JsonSchema;
  return {
    name,
    schema,
    strict: isStrict(schema),
    unwrap,
    check: async (json) =>
      typeof json === 'object' && json !== null && 'value' in json
        ? prepared.check(unwrap(json))
        : { ok: false, issues: [{ message: 'expected an object with the answer in "value"', path: [] }] },
  };
}

function prepareSchema(output: OutputSchema, name: string): Omit<PreparedOutput, 'unwrap'> {
  if (!NAME.test(name)) throw new Error(`outputName ${JSON.stringify(name)} is not 1–64 of [A-Za-z0-9_-]`);
  if (isStandardSchema(output)) {
    const standard = output['~standard'];
    if (typeof standard.jsonSchema?.input !== 'function') {
      throw new Error(
        `output: this ${standard.vendor} schema gives no JSON Schema (Standard JSON Schema, which zod 4.2 and later provide); pass a JSON Schema instead`,
      );
    }
    const { $schema: _dialect, ...schema } = standard.jsonSchema.input({ target: 'draft-2020-12' });
    return {
      name,
      schema: schema as JsonSchema,
      strict: isStrict(schema),
      check: async (value) => {
        const result = await standard.validate(value);
        if (result.issues === undefined) return { ok: true, value: result.value };
        return {
          ok: false,
          issues: result.issues.map((issue) => ({
            message: issue.message,
            path: (issue.path ?? []).map((part) => {
              const key = typeof part === 'object' ? part.key : part;
              return typeof key === 'number' ? key : String(key);
            }),
          })),
        };
      },
    };
  }
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    throw new Error('output must be a zod schema, another Standard Schema, or a JSON Schema object');
  }
  const schema = output as JsonSchema;
  return {
    name,
    schema,
    strict: isStrict(schema),
    check: async (value) => {
      const checked = (await jsonSchemaValidator())(schema, value);
      if (checked.ok) return { ok: true, value };
      // The checker's message lists one problem a line, each naming its field.
      return {
        ok: false,
        issues: checked.error.split('\n').map((line) => ({ message: line.replace(/^- /, ''), path: [] })),
      };
    },
  };
}

/**
 * Whether OpenAI's strict mode accepts `schema`: each object schema lists
 * every property in `required` and sets `additionalProperties: false`.
 * Nested schemas are walked; any other keyword is left to the provider.
 */
function isStrict(schema: unknown, depth = 0): boolean {
  if (depth > 64 || typeof schema !== 'object' || schema === null) return true;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' || node.properties !== undefined) {
    const properties = (node.properties ?? {}) as Record<string, unknown>;
    const required = Array.isArray(node.required) ? node.required : [];
    if (node.additionalProperties !== false) return false;
    if (Object.keys(properties).some((key) => !required.includes(key))) return false;
  }
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      if (!value.every((item) => isStrict(item, depth + 1))) return false;
    } else if (typeof value === 'object' && value !== null && !isStrict(value, depth + 1)) return false;
  }
  return true;
}
