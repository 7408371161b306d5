import type { RecordReader } from '../rollout/repository.js';
import type {
  ConversationItem,
  ConversationsPage,
  GitInfo,
  RecordOrigin,
  RecordText,
  SessionSummary,
  UsageSummary,
} from '../rollout/types.js';

/** A piece of a body: text, a record's held bytes, or a record left in its file. */
type Part = string | Buffer | RecordText;

const FLUSH_BYTES = 64 * 1024;

/**
 * The parts of a list page's JSON body, without a parse → stringify round trip of the records:
 * the head and tail records are the files' own JSON text (see RecordText). Everything else is
 * written field by field in the order of the ConversationsPage / ConversationItem schemas
 * (src/http/schemas.ts), exactly as Fastify's schema serialiser wrote it: JSON.stringify for
 * strings, `null` for null.
 */
function* pageParts(page: ConversationsPage): Generator<Part | { item: ConversationItem }> {
  yield '{"items":[';
  for (const [i, item] of page.items.entries()) {
    if (i > 0) yield ',';
    yield { item };
    yield summaryFields(item);
    yield ',"head":[';
    yield* recordParts(item.head);
    yield '],"tail":[';
    yield* recordParts(item.tail);
    yield ']}';
  }
  const scanned = integer(page.numScannedFiles);
  const total = page.total === undefined ? '' : `,"total":${integer(page.total)}`;
  const indexing = page.indexing === true ? ',"indexing":true' : '';
  yield `],"nextCursor":${str(page.nextCursor)},"numScannedFiles":${scanned},"reachedScanCap":${page.reachedScanCap}${total}${indexing}}`;
}

function* recordParts(records: RecordText[]): Generator<Part> {
  for (const [i, record] of records.entries()) {
    if (i > 0) yield ',';
    yield record.bytes ?? record;
  }
}

/**
 * The JSON body of a list page: one UTF-8 buffer when every record is held in memory (the usual
 * case), otherwise a stream of pieces in which each record left in its file is copied from it in
 * chunks (`open` opens the file the item was read from, checked to be the same file).
 */
export function pageBody(
  page: ConversationsPage,
  open: (origin: RecordOrigin) => Promise<RecordReader>,
): Buffer | AsyncGenerator<Buffer> {
  if (page.items.every((item) => item.origin === undefined)) {
    const parts: (string | Buffer)[] = [];
    for (const part of pageParts(page)) if (typeof part === 'string' || Buffer.isBuffer(part)) parts.push(part);
    return join(parts);
  }
  return streamedPage(page, open);
}

async function* streamedPage(page: ConversationsPage, open: (origin: RecordOrigin) => Promise<RecordReader>): AsyncGenerator<Buffer> {
  let parts: (string | Buffer)[] = [];
  let size = 0;
  const flush = () => {
    const out = join(parts);
    parts = [];
    size = 0;
    return out;
  };
  let reader: RecordReader | null = null;
  try {
    for (const part of pageParts(page)) {
      if (typeof part === 'string' || Buffer.isBuffer(part)) {
        parts.push(part);
        size += part.length;
        if (size >= FLUSH_BYTES) yield flush();
      } else if ('item' in part) {
        await reader?.close();
        reader = part.item.origin === undefined ? null : await open(part.item.origin);
      } else {
        yield flush();
        yield* (reader as RecordReader).textOf(part);
      }
    }
    yield flush();
  } finally {
    await reader?.close();
  }
}

/**
 * What a page was built from, for an ETag when nothing watches the tree: each item's summary
 * (its path, size and mtime pin the head and tail records of an append-only file, and its
 * name the names file) and the paging fields.
 */
export function pageValidator(page: ConversationsPage): string {
  const items = page.items.map((item) => `${summaryFields(item)}|${item.head.length}|${item.tail.length}`);
  return `${items.join('\n')}\n${page.nextCursor}|${page.numScannedFiles}|${page.reachedScanCap}|${page.total}|${page.indexing === true}`;
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
    `"archived":${s.archived === true},"usage":${usage(s.usage)},"agent":${str(s.agent ?? 'codex')},"model":${str(s.model ?? null)}` +
    `${s.machine === undefined ? '' : `,"machine":${str(s.machine)}`}`
  );
}

function usage(u: UsageSummary | null): string {
  if (u === null) return 'null';
  const cost = u.costUSD === null ? 'null' : Number.isFinite(u.costUSD) ? String(u.costUSD) : 'null';
  return (
    `{"inputTokens":${integer(u.inputTokens)},"cachedInputTokens":${integer(u.cachedInputTokens)},` +
    `"outputTokens":${integer(u.outputTokens)},"reasoningOutputTokens":${integer(u.reasoningOutputTokens)},` +
    `"cacheWrite5mTokens":${integer(u.cacheWrite5mTokens ?? 0)},"cacheWrite1hTokens":${integer(u.cacheWrite1hTokens ?? 0)},` +
    `"totalTokens":${integer(u.totalTokens)},"costUSD":${cost},"models":${JSON.stringify(u.models)}}`
  );
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
