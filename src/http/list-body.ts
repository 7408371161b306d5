import type { ConversationsPage, GitInfo, SessionSummary, UsageSummary } from '../rollout/types.js';

/**
 * The JSON body of a list page, as one UTF-8 buffer, without a parse → stringify round trip of
 * the records: the head and tail records are the files' own JSON text (see recordBytes) and
 * are copied in as bytes. Everything else is written field by field in the order of the
 * ConversationsPage / ConversationItem schemas (src/http/schemas.ts), exactly as Fastify's
 * schema serialiser wrote it: JSON.stringify for strings, `null` for null.
 */
export function pageBody(page: ConversationsPage): Buffer {
  const parts: (string | Buffer)[] = ['{"items":['];
  page.items.forEach((item, i) => {
    parts.push(i === 0 ? '' : ',', summaryFields(item), ',"head":[');
    pushRecords(parts, item.head);
    parts.push('],"tail":[');
    pushRecords(parts, item.tail);
    parts.push(']}');
  });
  parts.push(
    `],"nextCursor":${str(page.nextCursor)},"numScannedFiles":${integer(page.numScannedFiles)},"reachedScanCap":${page.reachedScanCap}}`,
  );
  return join(parts);
}

/**
 * What a page was built from, for an ETag when nothing watches the tree: each item's summary
 * (its path, size and mtime pin the head and tail records of an append-only file, and its
 * name the names file) and the paging fields.
 */
export function pageValidator(page: ConversationsPage): string {
  const items = page.items.map((item) => `${summaryFields(item)}|${item.head.length}|${item.tail.length}`);
  return `${items.join('\n')}\n${page.nextCursor}|${page.numScannedFiles}|${page.reachedScanCap}`;
}

const str = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

function integer(n: number): string {
  if (!Number.isInteger(n)) throw new TypeError(`not an integer: ${n}`);
  return String(n);
}

function git(value: GitInfo | null): string {
  if (value === null) return 'null';
  return `{"branch":${str(value.branch)},"commitHash":${str(value.commitHash)},"repositoryUrl":${str(value.repositoryUrl)}}`;
}

/** `{` and every summary property, in schema order (no closing brace): list items and the JSON form of one session. */
export function summaryFields(s: SessionSummary): string {
  return (
    `{"id":${str(s.id)},"path":${str(s.path)},"createdAt":${str(s.createdAt)},"updatedAt":${str(s.updatedAt)},` +
    `"sizeBytes":${integer(s.sizeBytes)},"title":${str(s.title)},"name":${str(s.name)},"cwd":${str(s.cwd)},` +
    `"source":${str(s.source)},"originator":${str(s.originator)},"cliVersion":${str(s.cliVersion)},` +
    `"modelProvider":${str(s.modelProvider)},"git":${git(s.git)},"forkedFromId":${str(s.forkedFromId)},` +
    `"archived":${s.archived === true},"usage":${usage(s.usage)}`
  );
}

function usage(u: UsageSummary | null): string {
  if (u === null) return 'null';
  const cost = u.costUSD === null ? 'null' : Number.isFinite(u.costUSD) ? String(u.costUSD) : 'null';
  return (
    `{"inputTokens":${integer(u.inputTokens)},"cachedInputTokens":${integer(u.cachedInputTokens)},` +
    `"outputTokens":${integer(u.outputTokens)},"reasoningOutputTokens":${integer(u.reasoningOutputTokens)},` +
    `"totalTokens":${integer(u.totalTokens)},"costUSD":${cost},"models":${JSON.stringify(u.models)}}`
  );
}

function pushRecords(parts: (string | Buffer)[], records: Buffer[]): void {
  records.forEach((record, i) => {
    if (i > 0) parts.push(',');
    parts.push(record);
  });
}

function join(parts: (string | Buffer)[]): Buffer {
  let length = 0;
  for (const part of parts) length += typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) {
    if (typeof part === 'string') at += out.write(part, at, 'utf8');
    else at += part.copy(out, at);
  }
  return out;
}
