import type { AgentTool, AgentToolResult, ToolExecutionContext, ToolValidation } from '../agent/types.js';
import type { JsonSchema } from '../ai/types.js';
import { jsonSchemaValidator } from './json-schema-validator.js';

/**
 * The slice of the Standard Schema interface qcore uses. zod 4 implements it
 * (as do valibot and arktype), so qcore needs no zod at run time: it calls
 * the schema's own `validate` and `toJSONSchema`.
 */
export interface StandardSchema<TInput = unknown, TOutput = TInput> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<TOutput> | Promise<StandardResult<TOutput>>;
    readonly types?: { readonly input: TInput; readonly output: TOutput } | undefined;
  };
}

type StandardResult<T> =
  | { readonly value: T; readonly issues?: undefined }
  | {
      readonly issues: readonly {
        readonly message: string;
        readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
      }[];
    };

/** A schema that can describe itself as JSON Schema, as zod 4 schemas can. */
interface JsonSchemaSource {
  toJSONSchema(options?: { io?: 'input' | 'output'; target?: string; unrepresentable?: 'any' | 'throw' }): JsonSchema;
}

declare const argsType: unique symbol;

/**
 * A plain JSON Schema that also carries, for TypeScript only, the type of the
 * arguments it accepts. Made by `typedJsonSchema`; nothing is added at run time.
 */
export type TypedJsonSchema<TArgs> = JsonSchema & { readonly [argsType]?: TArgs };

/**
 * Types a plain JSON Schema's arguments without a schema library. The type is
 * the caller's promise: keep it in step with the schema, which is what
 * `validate` checks.
 *
 * ```ts
 * const parameters = typedJsonSchema<{ city: string }>({
 *   type: 'object', properties: { city: { type: 'string' } }, required: ['city'],
 * });
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function typedJsonSchema<TArgs>(schema: JsonSchema): TypedJsonSchema<TArgs> {
  return schema;
}

export type InferArgs<TSchema> =
  TSchema extends StandardSchema<unknown, infer TOutput>
    ? TOutput
    : TSchema extends TypedJsonSchema<infer TArgs>
      ? unknown extends TArgs
        ? Record<string, unknown>
        : TArgs
      : Record<string, unknown>;

export interface ToolDefinition<TSchema, TDetails> {
  name: string;
  description: string;
  /**
   * A zod object schema (or any Standard Schema with `toJSONSchema`), or a
   * plain JSON Schema, typed with `typedJsonSchema` if you like. qcore never
   * imports zod itself: it calls the schema's own methods.
   */
  parameters: TSchema;
  execute(
    args: InferArgs<TSchema>,
    context: ToolExecutionContext<TDetails>,
  ): Promise<AgentToolResult<TDetails>> | AgentToolResult<TDetails>;
  writes?(args: InferArgs<TSchema>): string | readonly string[] | undefined;
}

/**
 * Defines a tool whose arguments are checked against its schema before
 * `execute` runs. With a zod schema, `args` is typed from it:
 *
 * ```ts
 * const weather = defineTool({
 *   name: 'weather', description: 'Current weather for a city',
 *   parameters: z.object({ city: z.string() }),
 *   execute: async ({ city }) => ({ content: [{ type: 'text', text: `Sunny in ${city}` }] }),
 * });
 * ```
 */
export function defineTool<TSchema extends StandardSchema | JsonSchema, TDetails = unknown>(
  definition: ToolDefinition<TSchema, TDetails>,
): AgentTool<InferArgs<TSchema>, TDetails> {
  const { parameters } = definition;
  const standard = isStandardSchema(parameters) ? parameters : undefined;
  const jsonSchema = standard ? toProviderSchema(standard, definition.name) : (parameters as JsonSchema);
  const tool: AgentTool<InferArgs<TSchema>, TDetails> = {
    name: definition.name,
    description: definition.description,
    parameters: jsonSchema,
    validate: standard
      ? (args) =>
          validateStandard(standard, args) as
            | ToolValidation<InferArgs<TSchema>>
            | Promise<ToolValidation<InferArgs<TSchema>>>
      : async (args) => (await jsonSchemaValidator())(jsonSchema, args) as ToolValidation<InferArgs<TSchema>>,
    execute: async (args, context) => definition.execute(args, context),
  };
  if (definition.writes) tool.writes = definition.writes;
  return tool;
}

function isStandardSchema(value: unknown): value is StandardSchema {
  return typeof value === 'object' && value !== null && '~standard' in value;
}

/**
 * The JSON Schema providers see: the input side (fields with defaults are
 * optional to the model), without `$schema`, which some providers reject.
 */
function toProviderSchema(schema: StandardSchema, name: string): JsonSchema {
  const source = schema as unknown as Partial<JsonSchemaSource>;
  if (typeof source.toJSONSchema !== 'function') {
    throw new Error(
      `Tool "${name}": its schema cannot describe itself as JSON Schema; pass a zod 4 schema or a JSON Schema`,
    );
  }
  const { $schema: _ignored, ...rest } = source.toJSONSchema({ io: 'input', unrepresentable: 'any' });
  return rest;
}

function validateStandard(
  schema: StandardSchema,
  args: unknown,
): ToolValidation<unknown> | Promise<ToolValidation<unknown>> {
  const result = schema['~standard'].validate(args);
  return result instanceof Promise ? result.then(toValidation) : toValidation(result);
}

/** Issues listed in a validation error; the rest are counted. A model reads the first few anyway. */
const MAX_LISTED_ISSUES = 20;

function toValidation(result: StandardResult<unknown>): ToolValidation<unknown> {
  if (!result.issues) return { ok: true, value: result.value };
  const issues = result.issues;
  const lines = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const path = (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('.');
    return `- ${path || '(root)'}: ${issue.message}`;
  });
  if (issues.length > MAX_LISTED_ISSUES) lines.push(`- … and ${issues.length - MAX_LISTED_ISSUES} more issues`);
  return { ok: false, error: lines.join('\n') };
}
