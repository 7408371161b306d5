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
 * Fields whose values an every-string cut leaves whole, however long (strings, or everything in
 * an object or array): what the usage counters compare or return as written. Ids above all: cut
 * to 64 bytes, two long ids sharing their start became one response, and a line cut gave
 * another key than the same id on a line parsed whole (claude30). A hostile 15 MiB id costs
 * the line pool what an uncut line does: the measured size counts it.
 */
const WHOLE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'requestId',
  'response_id',
  'thread_id',
  'turn_id',
  'promptId',
  'uuid',
  'forked_from_id',
  'model',
  'timestamp',
  'type',
  'speed',
  'rate_limits',
]);
/** A key is only looked up when its JSON is at most this long: the longest field escaped (`\u0069` for `i`). */
const KEY_BYTES = 6 * 16;
const COLON = 0x3a;

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
  /** Every-string mode: the last byte outside strings that is not white space (a quote for a string's end). */
  private last = 0;
  /** The raw content of the string that ended last, when short enough to be a key of WHOLE_FIELDS. */
  private lastString: Buffer | null = null;
  /** The key of the value being read (set at its colon). */
  private key: Buffer | null = null;
  private depth = 0;
  /** The depth outside an object or array kept whole (a WHOLE_FIELDS value), while in it. */
  private wholeDepth: number | null = null;

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
          this.between(chunk, i, chunk.length);
          this.emit(chunk.subarray(i));
          return;
        }
        this.between(chunk, i, q);
        this.emit(chunk.subarray(i, q + 1));
        this.inString = true;
        this.slashes = 0;
        this.mode = this.everyString && this.keptWhole() ? 'pass' : 'deciding';
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

  /** Every-string mode: follows the structure between strings (keys, depth) in chunk[from, end). */
  private between(chunk: Buffer, from: number, end: number): void {
    if (!this.everyString) return;
    for (let k = from; k < end; k++) {
      const b = chunk[k] as number;
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
      if (b === COLON) this.key = this.lastString;
      else if (b === 0x7b || b === 0x5b) {
        if (this.wholeDepth === null && this.keptWhole()) this.wholeDepth = this.depth;
        this.depth++;
      } else if (b === 0x7d || b === 0x5d) {
        this.depth--;
        if (this.wholeDepth !== null && this.depth <= this.wholeDepth) this.wholeDepth = null;
      }
      this.last = b;
    }
  }

  /** Whether the value starting here is kept whole: inside a kept value, or the value of a WHOLE_FIELDS key. */
  private keptWhole(): boolean {
    if (this.wholeDepth !== null) return true;
    if (this.last !== COLON || this.key === null) return false;
    return WHOLE_FIELDS.has(keyName(this.key));
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
    this.lastString = null;
    if (this.mode === 'deciding') {
      const content = Buffer.concat(this.head);
      this.emit(content);
      if (this.everyString && content.length <= KEY_BYTES) this.lastString = content;
    }
    this.head = [];
    this.last = QUOTE;
    this.emit(Buffer.from([QUOTE]));
    this.inString = false;
  }

  /** The output so far, as text. */
  text(): string {
    return Buffer.concat(this.out).toString('utf8');
  }
}

/** A key's raw JSON content as text (empty when its escapes are not valid JSON). */
function keyName(raw: Buffer): string {
  if (!raw.includes(BACKSLASH)) return raw.toString('utf8');
  try {
    return String(JSON.parse(`"${raw.toString('utf8')}"`));
  } catch {
    return '';
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
