/**
 * Secret redaction for exports and MCP transcripts (docs/export.md). Every rule is here, and each is
 * described in docs/export.md; test/rollout/transcript/redact.test.ts holds a true positive and a
 * near miss for each kind. A secret becomes `[REDACTED:<kind>]`.
 *
 * A pass over a text per vendor token format (case-sensitive, anchored on a fixed prefix, so the
 * engine skips most text quickly), then one pass that finds credentials by their context (an `Authorization` scheme, a URL's password,
 * a `password = value` assignment), case-insensitively, keeping the context and replacing only
 * the secret.
 */

export type RedactionKind =
  | 'aws_key'
  | 'github_token'
  | 'gitlab_token'
  | 'slack_token'
  | 'stripe_key'
  | 'google_key'
  | 'openai_key'
  | 'anthropic_key'
  | 'private_key'
  | 'jwt'
  | 'bearer'
  | 'basic_auth'
  | 'url_password'
  | 'secret_assignment';

const PEM_LABEL = String.raw`[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?`;

/** Vendor token formats, in the order they are tried at one position (Anthropic before OpenAI: both start `sk-`). */
export const TOKEN_RULES: [RedactionKind, string][] = [
  // An unterminated block (a cut-off output) is redacted to the end of the text.
  ['private_key', String.raw`-----BEGIN ${PEM_LABEL}-----[\s\S]*?(?:-----END ${PEM_LABEL}-----|$)`],
  ['aws_key', String.raw`\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b`],
  ['github_token', String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})\b`],
  ['gitlab_token', String.raw`\bgl(?:pat|dt|rt|ptt|ft|cbt|imt|soat|oas|agent)-[A-Za-z0-9_-]{20,}`],
  ['slack_token', String.raw`\bxox[abposre]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}`],
  ['stripe_key', String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9]{24,}`],
  ['google_key', String.raw`\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])|\bGOCSPX-[A-Za-z0-9_-]{24,}|\bya29\.[0-9A-Za-z_-]{20,}`],
  ['anthropic_key', String.raw`\bsk-ant-[A-Za-z0-9_-]{20,}`],
  // An OpenAI key has a digit among its characters: `sk-` and a long hyphenated word is prose or a name.
  ['openai_key', String.raw`\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?(?=[A-Za-z0-9_-]{0,200}\d)[A-Za-z0-9_-]{20,}`],
  // Header and payload are base64url JSON objects: both start `eyJ` (`{"`).
  ['jwt', String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`],
];

/** One expression per rule: V8 runs ten anchored ones far faster than their alternation. */
const TOKENS = TOKEN_RULES.map(([kind, source]) => [kind, new RegExp(source, 'g')] as const);
const TOKEN_KINDS = TOKEN_RULES.map(([kind]) => kind);
/** A whole value that is one vendor token (for an assignment's kind). */
const WHOLE_TOKEN = new RegExp(`^(?:${TOKEN_RULES.map(([kind, source]) => `(?<${kind}>${source})`).join('|')})$`);

/**
 * Key names whose value is a secret: the name ends with one of these words (DB_PASSWORD,
 * githubToken, "api-key"). The match starts at the word, not at the name: a rule that had to find
 * where a name begins would be tried at every position of every text, ten times slower.
 */
const SECRET_KEY = String.raw`(?:p(?:assw(?:or)?d|wd)|secret|token|(?:api|access|private|auth)[_-]?key|apikey|credentials?)s?`;

export const CONTEXT_RULES = [
  // `Authorization: Bearer <token>`, `-H "Bearer ..."`: the token goes, the scheme stays.
  String.raw`\b(?<bearerScheme>bearer\s+)(?<bearer>[A-Za-z0-9._~+/-]{16,}=*)`,
  String.raw`\b(?<basicScheme>basic\s+)(?<basic>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])`,
  // scheme://user:password@host: the password goes.
  String.raw`(?<urlHead>://[^\s:/?#@"'<>]{1,256}:)(?<url>[^\s@/?#"'<>]{1,256})(?=@)`,
  // key = value, key: value, "key": "value", key="value": the value goes.
  String.raw`(?<assignHead>${SECRET_KEY}["']?\s{0,4}(?:=|:=|:)\s{0,4})` +
    String.raw`(?<assign>"[^"\n]{1,1024}"|'[^'\n]{1,1024}'|[^\s"',;)}\]<>]{1,1024})`,
];
const CONTEXT = new RegExp(CONTEXT_RULES.join('|'), 'gi');

/** Values of an assignment that are not secrets: numbers, booleans, type names, placeholders. */
const NOT_A_SECRET = [
  /^[-+]?\d+(?:\.\d+)?$/, // max_tokens = 100
  /^(?:true|false|null|none|nil|undefined|yes|no|on|off|required|optional|string|str|bool|boolean|int|number|object|any)$/i,
  /^\*+$|^x{3,}$|^\.{3,}$|^…$|^<[^>]*>$|^\{\{.*\}\}$|^\[REDACTED:/i, // placeholders, and a value already redacted
  /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|^%[A-Za-z_]+%$/, // $VAR, ${VAR}, %VAR%
];

/** Unquoted values that are code, not literals: a reference, a call, a member, an identifier with `_` or a camel hump. */
const CODE = [
  /^(?:process\.env|os\.environ|os\.getenv|env|self|this|config|settings|options|opts|args|params)\b/i,
  /^[A-Za-z_$][\w$.]*\(/, // getToken(
  /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/, // opts.token
  /^[a-z]+(?:_[a-z]+)+$|^[a-z]+(?:[A-Z][a-z0-9]*)+$/, // refreshed_token, apiKey
];

function unquote(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.endsWith(q) && value.length >= 2 ? value.slice(1, -1) : value;
}

function isSecretValue(value: string): boolean {
  const bare = unquote(value).trim();
  if (bare.length < 4 || NOT_A_SECRET.some((re) => re.test(bare))) return false;
  return bare !== value || !CODE.some((re) => re.test(bare));
}

/** A Basic credential is base64 of `user:password`: anything else after the word "basic" is prose. */
function isBasicCredential(encoded: string): boolean {
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded);
}

/** A bearer token has a digit, or a separator a word does not: "Bearer authentication" is prose. */
const looksLikeToken = (token: string) => /\d/.test(token) || /[._~+/=-]/.test(token);

const marker = (kind: RedactionKind) => `[REDACTED:${kind}]`;

type Groups = Record<string, string | undefined>;

/**
 * Redacts texts and counts what it replaced, per kind. One per export or tool result: the
 * count is what the response reports.
 */
export class Redactor {
  readonly counts = new Map<RedactionKind, number>();
  total = 0;

  private note(kind: RedactionKind): string {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.total += 1;
    return marker(kind);
  }

  redact(text: string): string {
    if (text.length < 8) return text;
    let tokensDone = text;
    for (const [kind, re] of TOKENS) {
      // The block rule's label is costly to try at every run of dashes: only where a key can be.
      if (kind === 'private_key' && !tokensDone.includes('PRIVATE KEY')) continue;
      tokensDone = tokensDone.replace(re, () => this.note(kind));
    }
    return tokensDone.replace(CONTEXT, (whole, ...args) => {
      const g = args[args.length - 1] as Groups;
      if (g.bearer !== undefined) return looksLikeToken(g.bearer) ? `${g.bearerScheme}${this.note('bearer')}` : whole;
      if (g.basic !== undefined) return isBasicCredential(g.basic) ? `${g.basicScheme}${this.note('basic_auth')}` : whole;
      if (g.url !== undefined) return g.url.startsWith('[REDACTED:') ? whole : `${g.urlHead}${this.note('url_password')}`;
      const value = g.assign as string;
      if (!isSecretValue(value)) return whole;
      const bare = unquote(value);
      const quote = bare === value ? '' : value[0];
      const token = WHOLE_TOKEN.exec(bare)?.groups as Groups | undefined;
      const kind = (token && TOKEN_KINDS.find((k) => token[k] !== undefined)) || 'secret_assignment';
      return `${g.assignHead}${quote}${this.note(kind)}${quote}`;
    });
  }
}

/** A redactor that changes nothing (`redact=false`). */
export const NO_REDACTION = { redact: (text: string) => text, total: 0 };

export type TextFilter = Pick<Redactor, 'redact' | 'total'>;
