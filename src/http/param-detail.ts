/**
 * The words of a 400 for a parameter the schema refused: which parameter, what it takes (the
 * allowed values where there is a set, the route's parameters for an unknown one) and what came.
 * ajv's own messages name neither the parameter ("querystring must NOT have additional
 * properties") nor the values.
 */

/** One error of ajv, as Fastify hands it over. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

interface PropertySchema {
  type?: unknown;
  enum?: unknown[];
  items?: PropertySchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
}

type Context = 'querystring' | 'params' | 'headers';

const WHAT: Record<Context, string> = { querystring: 'query parameter', params: 'path parameter', headers: 'header' };

/** What a pattern stands for, in words: registered where the schema is written (see `pattern`). */
const PATTERNS = new Map<string, string>();

/** A schema pattern and what it means to a reader ("a UUID"): 400s say the words, not the regular expression. */
export function pattern(source: string, expected: string): string {
  PATTERNS.set(source, expected);
  return source;
}

/** A client's value as shown back: JSON-quoted, cut to 64 characters (a detail is no echo chamber). */
export function shown(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** Edit distance, to suggest the parameter a typo meant (names are short: the table is tiny). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

function unknownParameter(name: string, allowed: string[], what: string): string {
  if (allowed.length === 0) return `unknown ${what} "${name}": this route takes no ${what}s`;
  const near = allowed.filter((a) => distance(a.toLowerCase(), name.toLowerCase()) <= 2).sort();
  const hint = near.length > 0 ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : '';
  return `unknown ${what} "${name}"${hint}; this route takes ${allowed.join(', ')}`;
}

/** How a value of `schema` must look, for the keywords whose ajv message says too little. */
function expectation(error: SchemaError, schema: PropertySchema | undefined, value: unknown): string {
  const s = schema?.items !== undefined && error.instancePath.split('/').length > 2 ? schema.items : schema;
  if (Array.isArray(value) && schema?.type !== 'array') return 'must be given once';
  switch (error.keyword) {
    case 'enum':
      return `must be one of ${((error.params.allowedValues as unknown[] | undefined) ?? s?.enum ?? []).join(', ')}`;
    case 'pattern':
      return `must be ${PATTERNS.get(String(error.params.pattern)) ?? 'of the documented form'}`;
    case 'type':
      return error.params.type === 'boolean' ? 'must be true or false' : `must be a ${String(error.params.type)}`;
    case 'minimum':
    case 'maximum':
      return s?.minimum !== undefined && s.maximum !== undefined
        ? `must be from ${s.minimum} to ${s.maximum}`
        : (error.message ?? 'is out of range');
    case 'minLength':
    case 'maxLength':
      return s?.minLength !== undefined && s.maxLength !== undefined
        ? `must be ${s.minLength} to ${s.maxLength} characters long`
        : (error.message ?? 'has the wrong length');
    case 'maxItems':
      return `may be given at most ${String(error.params.limit)} times`;
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * The detail of a 400 for `error` of the `context` part of a request whose schema is `schema`
 * and whose parsed input is `input`: `sort must be one of created, updated; got "foo"`.
 */
export function paramDetail(error: SchemaError, context: Context, schema: unknown, input: unknown): string {
  const what = WHAT[context];
  const properties = (schema as { properties?: Record<string, PropertySchema> } | undefined)?.properties ?? {};
  if (error.keyword === 'additionalProperties') {
    return unknownParameter(String(error.params.additionalProperty), Object.keys(properties), what);
  }
  if (error.keyword === 'required') return `${what} ${String(error.params.missingProperty)} is required`;
  const [name = '', index] = error.instancePath.split('/').slice(1);
  const whole = (input as Record<string, unknown> | null | undefined)?.[name];
  const value = index !== undefined && Array.isArray(whole) ? whole[Number(index)] : whole;
  const got = value === undefined ? '' : `; got ${Array.isArray(value) ? `${value.length} values` : shown(value)}`;
  return `${what} ${name} ${expectation(error, properties[name], whole)}${got}`;
}
