import { RolloutError, RolloutErrorKind } from '../errors.js';
import { readExactly } from '../reading/byte-source.js';
import type { OpenRollout, ReadEnv } from '../reading/session-reader.js';
import { HtmlRenderer } from './html.js';
import { MarkdownRenderer } from './markdown.js';
import { NO_REDACTION, Redactor, type TextFilter } from './redact.js';
import { shown, type Renderer, type TranscriptHeader, type TranscriptOptions } from './render.js';
import { readTranscript, START, type TranscriptPosition } from './transcript.js';

export interface ExportRequest extends TranscriptOptions {
  format: 'markdown' | 'html';
  redact: boolean;
}

/** An export under way: its text in pieces, and the count of secrets redacted so far (null: not redacting). */
export interface TranscriptExport {
  pieces: AsyncGenerator<string>;
  redactions(): number | null;
}

function rendererFor(format: 'markdown' | 'html', options: TranscriptOptions, filter: TextFilter): Renderer {
  return format === 'html' ? new HtmlRenderer(options, filter) : new MarkdownRenderer(options, filter);
}

/**
 * The whole session in `request.format`, produced record by record from the open file (one
 * record in memory at a time): the header, each shown item under its turn's heading, the footer.
 * The caller owns `opened` and closes it.
 */
export function exportTranscript(opened: OpenRollout, header: TranscriptHeader, request: ExportRequest, env: ReadEnv): TranscriptExport {
  const filter = request.redact ? new Redactor() : NO_REDACTION;
  const renderer = rendererFor(request.format, request, filter);
  const redactions = () => (request.redact ? filter.total : null);
  async function* pieces(): AsyncGenerator<string> {
    yield renderer.begin(header);
    let turn = 0;
    for await (const placed of readTranscript(opened.source, START, opened.stat.size, env)) {
      if (!shown(placed, request)) continue;
      if (placed.turn !== turn) {
        turn = placed.turn;
        yield renderer.turn(turn);
      }
      const text = renderer.item(placed);
      if (text !== '') yield text;
    }
    yield renderer.end(redactions());
  }
  return { pieces: pieces(), redactions };
}

/** A piece of a transcript as Markdown, and the cursor of the rest (null: the end). */
export interface TranscriptPiece {
  markdown: string;
  nextCursor: string | null;
  redactions: number | null;
  /** The turns the piece holds (first, last); null when it holds none. */
  turns: [number, number] | null;
}

/**
 * `v1.<offset>.<line>.<turn>`, and `.<skip>` inside a line of several items, base64url: opaque
 * to clients, checked against the file when used.
 */
export function encodeTranscriptCursor(p: TranscriptPosition): string {
  return Buffer.from(`v1.${p.offset}.${p.lineNo}.${p.turn}${p.skip > 0 ? `.${p.skip}` : ''}`).toString('base64url');
}

/** A cursor's position in `opened`: it must lie within the file, at the start of a line. */
export async function decodeTranscriptCursor(cursor: string | undefined, opened: OpenRollout): Promise<TranscriptPosition> {
  if (cursor === undefined) return START;
  const m = /^v1\.(\d{1,15})\.(\d{1,12})\.(\d{1,12})(?:\.([1-9]\d{0,5}))?$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const p = m === null ? null : { offset: Number(m[1]), lineNo: Number(m[2]), turn: Number(m[3]), skip: Number(m[4] ?? 0) };
  const ok = p !== null && p.offset > 0 && p.offset <= opened.stat.size && p.lineNo > 1 && cursor.length <= 64;
  if (!ok || (await readExactly(opened.source, p.offset - 1, 1))?.[0] !== 0x0a) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor must be a nextCursor returned for this session');
  }
  return p;
}

const TRUNCATED = '\n\n*… this item is longer than one piece; it was cut here.*\n';

/** `text` cut to at most `bytes` bytes of UTF-8, at a character boundary. */
function cutToBytes(text: string, bytes: number): string {
  let cut = text.slice(0, bytes);
  while (Buffer.byteLength(cut) > bytes) cut = cut.slice(0, Math.floor(cut.length * 0.9));
  return cut.replace(/[\uD800-\uDBFF]$/, '');
}

/**
 * The transcript from `position` as Markdown, up to `maxBytes` bytes of UTF-8: whole items while
 * they fit, then a cursor at the first item left over. An item longer than a whole piece alone
 * is cut to fit (the piece says so). The header comes with the first piece only.
 */
export async function transcriptPiece(
  opened: OpenRollout,
  header: TranscriptHeader | null,
  position: TranscriptPosition,
  options: TranscriptOptions & { redact: boolean; maxBytes: number },
  env: ReadEnv,
): Promise<TranscriptPiece> {
  const filter = options.redact ? new Redactor() : NO_REDACTION;
  const renderer = new MarkdownRenderer(options, filter);
  let out = header === null ? '' : renderer.begin(header);
  let bytes = Buffer.byteLength(out);
  let turn = position.turn;
  let turns: [number, number] | null = null;
  let nextCursor: string | null = null;
  let before = position;
  for await (const placed of readTranscript(opened.source, position, opened.stat.size, env)) {
    if (!shown(placed, options)) {
      before = placed.next;
      continue;
    }
    let text = placed.turn !== turn ? renderer.turn(placed.turn) : '';
    text += renderer.item(placed);
    let size = Buffer.byteLength(text);
    if (bytes + size > options.maxBytes) {
      if (turns !== null) {
        nextCursor = encodeTranscriptCursor(before);
        break;
      }
      text = cutToBytes(text, Math.max(0, options.maxBytes - bytes - TRUNCATED.length)) + TRUNCATED;
      size = Buffer.byteLength(text);
    }
    out += text;
    bytes += size;
    turn = placed.turn;
    turns = [turns?.[0] ?? placed.turn, placed.turn];
    before = placed.next;
  }
  return { markdown: out, nextCursor, redactions: options.redact ? filter.total : null, turns };
}
