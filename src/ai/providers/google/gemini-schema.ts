/**
 * Converts a tool's JSON Schema into the OpenAPI subset that Gemini's
 * `functionDeclarations[].parameters` accepts. Gemini rejects unknown
 * keywords (`$schema`, `additionalProperties`, `const`, `$ref`, …) with a
 * 400, so everything outside the subset is rewritten or dropped:
 * - `$ref` / `$defs` / `definitions` are inlined; a recursive reference is cut
 *   to a plain `object` (Gemini has no references);
 * - a `type` array with `null`, an `anyOf`/`oneOf` member `{type: 'null'}` and
 *   a `null` in `enum` become `nullable: true`;
 * - `oneOf` becomes `anyOf` (Gemini has no exclusive union); `allOf` is merged;
 * - `const` becomes a one-value `enum`; string unions of consts become one enum;
 * - enums of numbers or booleans, which Gemini cannot express (its `enum` is
 *   strings only), move into the description;
 * - `format` survives only where Gemini defines it (enum, date-time, float,
 *   double, int32, int64); `default` is kept, as the API documents it.
 */
import type { JsonSchema } from '../../types.js';

type Node = { [key: string]: unknown };

/** Keywords copied as they are when their value is of the expected kind. */
const NUMBER_KEYS = [
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'minimum',
  'maximum',
] as const;

const FORMATS: Record<string, readonly string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};

/** zod's `z.int()` bounds: noise to the model, so dropped. */
const SAFE_INTEGER = 9007199254740991;

/**
 * The schema Gemini accepts, or `undefined` when the tool takes no
 * arguments: Gemini rejects an `object` with empty `properties`, so such a
 * declaration is sent without `parameters`.
 */
export function toGeminiSchema(schema: JsonSchema): JsonSchema | undefined {
  const converter = new Converter(schema);
  const out = converter.convert(schema);
  if (out.type === 'object' && !out.properties && !out.anyOf) return undefined;
  return out;
}

class Converter {
  readonly #defs: Node;
  /** References being expanded, to cut recursion. */
  readonly #expanding = new Set<string>();

  readonly #root: Node;

  constructor(root: Node) {
    this.#root = root;
    this.#defs = { ...asNode(root.definitions), ...asNode(root.$defs) };
  }

  convert(input: unknown): Node {
    if (!isNode(input)) return {};
    const ref = input.$ref;
    if (typeof ref !== 'string') return this.#convertResolved(input);
    const { $ref: _ref, ...siblings } = input;
    if (this.#expanding.has(ref)) {
      return typeof siblings.description === 'string'
        ? { type: 'object', description: siblings.description }
        : { type: 'object' };
    }
    const target = this.#lookup(ref);
    if (!target) return this.#convertResolved(siblings);
    this.#expanding.add(ref);
    try {
      // The referring node's own keywords (a description, a default) win over the target's.
      return this.convert({ ...target, ...siblings });
    } finally {
      this.#expanding.delete(ref);
    }
  }

  /** Merges `allOf` members into one schema: properties and required are unioned, other keywords first-wins. */
  #mergeAllOf(node: Node): Node {
    const { allOf, ...rest } = node;
    const merged: Node = { ...rest };
    const properties: Node = { ...asNode(rest.properties) };
    const required = new Set<string>(Array.isArray(rest.required) ? (rest.required as string[]) : []);
    for (const item of allOf as unknown[]) {
      if (!isNode(item)) continue;
      const member = typeof item.$ref === 'string' ? { ...this.#lookup(item.$ref), ...item, $ref: undefined } : item;
      for (const [key, value] of Object.entries(member)) {
        if (key === 'properties') Object.assign(properties, asNode(value));
        else if (key === 'required' && Array.isArray(value)) for (const name of value) required.add(String(name));
        else if (key !== '$ref' && !(key in merged)) merged[key] = value;
      }
    }
    if (Object.keys(properties).length > 0) merged.properties = properties;
    if (required.size > 0) merged.required = [...required];
    return merged;
  }

  #lookup(ref: string): Node | undefined {
    if (ref === '#') return this.#root;
    const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
    if (!match) return undefined;
    const name = (match[1] as string).replace(/~1/g, '/').replace(/~0/g, '~');
    const target = this.#defs[name];
    return isNode(target) ? target : undefined;
  }

  #convertResolved(node: Node): Node {
    if (Array.isArray(node.allOf)) return this.convert(this.#mergeAllOf(node));
    const out: Node = {};
    let nullable = node.nullable === true;
    let type: string | undefined;
    let description = typeof node.description === 'string' ? node.description : undefined;

    if (typeof node.type === 'string') {
      if (node.type === 'null') nullable = true;
      else type = node.type;
    } else if (Array.isArray(node.type)) {
      const types = node.type.filter((t): t is string => typeof t === 'string' && t !== 'null');
      if (types.length !== node.type.length) nullable = true;
      if (types.length === 1) type = types[0];
      else if (types.length > 1) {
        // Constraints other than the type stay on the outer schema, where Gemini applies them to any branch.
        out.anyOf = types.map((t) => ({ type: t }));
      }
    }

    let values: unknown[] | undefined;
    if ('const' in node) values = [node.const];
    else if (Array.isArray(node.enum)) values = node.enum;
    if (values) {
      if (values.includes(null)) nullable = true;
      const present = values.filter((value) => value !== null);
      if (present.length > 0 && present.every((value) => typeof value === 'string')) {
        out.enum = present;
        type ??= 'string';
      } else if (present.length > 0) {
        const list = present.map((value) => JSON.stringify(value)).join(', ');
        description = description ? `${description} (one of: ${list})` : `One of: ${list}`;
        type ??= typeof present[0] === 'boolean' ? 'boolean' : 'number';
      }
    }

    const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
    if (union) {
      const branches: Node[] = [];
      for (const member of union) {
        const branch = this.convert(member);
        if (isNullOnly(branch)) nullable = true;
        else {
          if (branch.nullable === true) nullable = true;
          delete branch.nullable;
          branches.push(branch);
        }
      }
      const single = branches.length === 1 ? branches[0] : stringEnum(branches);
      if (single) {
        // The outer schema's description wins over a branch's.
        for (const [key, value] of Object.entries(single)) {
          if (key === 'description' && description !== undefined) continue;
          if (key === 'type') type ??= value as string;
          else out[key] = value;
        }
      } else if (branches.length > 1) out.anyOf = branches;
    }

    if (type !== undefined) {
      const format = node.format;
      const allowed = FORMATS[type];
      if (typeof format === 'string' && allowed?.includes(format)) out.format = format;
    }
    if (typeof node.title === 'string') out.title = node.title;
    if (description !== undefined) out.description = description;
    if (nullable) out.nullable = true;

    if (isNode(node.properties)) {
      const properties: Node = {};
      for (const [name, value] of Object.entries(node.properties)) properties[name] = this.convert(value);
      if (Object.keys(properties).length > 0) {
        out.properties = properties;
        if (Array.isArray(node.required)) {
          const required = node.required.filter(
            (name): name is string => typeof name === 'string' && name in properties,
          );
          if (required.length > 0) out.required = required;
        }
      }
      type ??= 'object';
    }

    if (Array.isArray(node.prefixItems) && node.prefixItems.length > 0) {
      // Tuples have no Gemini form; any listed element type is accepted at any position.
      const items = node.prefixItems.map((item) => this.convert(item));
      out.items = items.length === 1 ? items[0] : { anyOf: items };
      type ??= 'array';
    } else if (isNode(node.items)) {
      out.items = this.convert(node.items);
      type ??= 'array';
    }

    for (const key of NUMBER_KEYS) {
      const value = node[key];
      if (typeof value === 'number' && Math.abs(value) !== SAFE_INTEGER) out[key] = value;
    }
    // Draft 2020 exclusive bounds become inclusive ones: close enough to guide the model.
    if (typeof node.exclusiveMinimum === 'number' && out.minimum === undefined) out.minimum = node.exclusiveMinimum;
    if (typeof node.exclusiveMaximum === 'number' && out.maximum === undefined) out.maximum = node.exclusiveMaximum;
    if (typeof node.pattern === 'string') out.pattern = node.pattern;
    if ('default' in node && node.default !== undefined) out.default = node.default;

    return type === undefined ? out : { type, ...out };
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asNode(value: unknown): Node {
  return isNode(value) ? value : {};
}

function isNullOnly(branch: Node): boolean {
  const keys = Object.keys(branch);
  return keys.length === 1 && branch.nullable === true;
}

/** A union of string enums (zod's `z.union([z.literal('a'), z.literal('b')])`) as one enum. */
function stringEnum(branches: Node[]): Node | undefined {
  if (branches.length < 2) return undefined;
  const values: unknown[] = [];
  for (const branch of branches) {
    if (branch.type !== 'string' || !Array.isArray(branch.enum)) return undefined;
    if (Object.keys(branch).some((key) => key !== 'type' && key !== 'enum')) return undefined;
    values.push(...branch.enum);
  }
  return { type: 'string', enum: [...new Set(values)] };
}
