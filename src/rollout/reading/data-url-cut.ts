/**
 * Long lines parsed whole (a session meta, a user message searched for the title, a record a
 * scan reads for its text) are mostly inline images: a user message pasting a screenshot
 * carries it as a `data:image/...;base64,...` string of megabytes. No reader of a parsed record
 * looks at an image's bytes (titles, search and usage read text and numbers; a session is sent
 * from its file's bytes, never re-serialised), so such strings are cut to their first
 * DATA_URL_KEEP characters on the way to JSON.parse: a 15 MiB image line parses as a few KiB.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** A string is cut only from this many bytes on (short data URLs stay whole). */
export const DATA_URL_CUT_FROM = 1024;
/** What is kept of a cut data URL: its media type and the start of its data. */
export const DATA_URL_KEEP = 64;
/** A data URL whose kept part is plain ASCII without escapes, so that cutting it leaves valid JSON. */
const DATA_URL = /^data:[A-Za-z0-9.+/-]{1,100}(;[A-Za-z0-9=.+-]{1,100})*[;,][A-Za-z0-9+/=,;]*$/;

/**
 * Streams a JSON text and cuts long data-URL strings. Feed it chunks; `size` is the length of the
 * output so far, and with `keep` the output chunks are collected (`text()`).
 */
export class DataUrlCutter {
  private readonly out: Buffer[] = [];
  size = 0;
  private inString = false;
  /** Backslashes just before the current position, inside a string (an odd count escapes a quote). */
  private slashes = 0;
  /** The start of the current string while it is shorter than DATA_URL_CUT_FROM (undecided). */
  private head: Buffer[] = [];
  private headLength = 0;
  private mode: 'deciding' | 'pass' | 'drop' = 'pass';

  /**
   * `everyString`: every long string is cut, not only data URLs (ReadEnv.cutLongStrings): to its
   * first DATA_URL_KEEP bytes or less, at a character and escape boundary, so that it stays a
   * valid, non-empty JSON string.
   */
  constructor(
    private readonly keep: boolean,
    private readonly everyString = false,
  ) {}

  private emit(bytes: Buffer): void {
    this.size += bytes.length;
    // Copied: the chunks a reader yields share one buffer.
    if (this.keep && bytes.length > 0) this.out.push(Buffer.from(bytes));
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.inString) {
        const q = chunk.indexOf(QUOTE, i);
        if (q === -1) {
          this.emit(chunk.subarray(i));
          return;
        }
        this.emit(chunk.subarray(i, q + 1));
        this.inString = true;
        this.slashes = 0;
        this.mode = 'deciding';
        this.head = [];
        this.headLength = 0;
        i = q + 1;
        continue;
      }
      // Inside a string: its end is the next quote not escaped by an odd run of backslashes.
      let q = chunk.indexOf(QUOTE, i);
      while (q !== -1 && this.escapedAt(chunk, i, q)) q = chunk.indexOf(QUOTE, q + 1);
      const end = q === -1 ? chunk.length : q;
      this.content(chunk.subarray(i, end));
      this.slashes = trailingSlashes(chunk, i, end, this.slashes);
      if (q === -1) return;
      this.closeString();
      i = q + 1;
    }
  }

  /** Whether the quote at `q` is escaped: the backslashes right before it (from `from`, then the run carried over) are odd. */
  private escapedAt(chunk: Buffer, from: number, q: number): boolean {
    let n = 0;
    for (let k = q - 1; k >= from && chunk[k] === BACKSLASH; k--) n++;
    if (n === q - from) n += this.slashes;
    return n % 2 === 1;
  }

  private content(part: Buffer): void {
    if (this.mode === 'pass') return this.emit(part);
    if (this.mode === 'drop') return;
    this.head.push(Buffer.from(part));
    this.headLength += part.length;
    if (this.headLength < DATA_URL_CUT_FROM) return;
    const head = Buffer.concat(this.head);
    this.head = [];
    const kept = head.subarray(0, DATA_URL_KEEP).toString('latin1');
    if (DATA_URL.test(kept)) {
      this.mode = 'drop';
      this.emit(head.subarray(0, DATA_URL_KEEP));
    } else if (this.everyString) {
      this.mode = 'drop';
      this.emit(head.subarray(0, wholeUpTo(head, DATA_URL_KEEP)));
    } else {
      this.mode = 'pass';
      this.emit(head);
    }
  }

  private closeString(): void {
    if (this.mode === 'deciding') this.emit(Buffer.concat(this.head));
    this.head = [];
    this.emit(Buffer.from([QUOTE]));
    this.inString = false;
  }

  /** The output so far, as text. */
  text(): string {
    return Buffer.concat(this.out).toString('utf8');
  }
}

/** The run of backslashes at the end of chunk[from, end), added to `carried` when the whole part is backslashes. */
function trailingSlashes(chunk: Buffer, from: number, end: number, carried: number): number {
  let n = 0;
  for (let k = end - 1; k >= from && chunk[k] === BACKSLASH; k--) n++;
  return n === end - from ? carried + n : n;
}

/** Escaped characters a reader's trim takes away (`\\n`, `\\r`, `\\t`). */
const ESCAPED_SPACE = new Set([0x6e, 0x72, 0x74]);

/**
 * The longest start of a JSON string's content with at most `limit` bytes after its leading
 * white space (so that a text is still told from an empty one) that ends on a whole character
 * and a whole escape (`\\n`, `\\u00e9`): cut there, the string is still valid JSON.
 */
function wholeUpTo(content: Buffer, limit: number): number {
  let i = 0;
  let whole = 0;
  let textFrom = -1;
  while (i < content.length) {
    const b = content[i] as number;
    const escape = b === BACKSLASH ? (content[i + 1] as number) : -1;
    const step = escape === 0x75 ? 6 : escape >= 0 ? 2 : b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    const space = b === 0x20 || ESCAPED_SPACE.has(escape);
    if (textFrom < 0 && !space) textFrom = i;
    if (i + step > content.length || (textFrom >= 0 && i + step - textFrom > limit)) break;
    i += step;
    whole = i;
  }
  return whole;
}
