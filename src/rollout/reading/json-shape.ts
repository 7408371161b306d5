import { isUtf8 } from 'node:buffer';

/**
 * What one line is, decided from its bytes as they stream by, without holding the line: the
 * streaming twin of parseLine for lines too long to be held (see splitRawLines). It accepts
 * exactly what JSON.parse accepts of the line's UTF-8 text (RFC 8259: literals, numbers, strings
 * without raw control characters, any nesting depth), and also reports whether the bytes are
 * valid UTF-8 and where the value starts and ends (a record's text is the line without the
 * white space around it).
 */
export type JsonShape = 'object' | 'other' | 'invalid' | 'empty';

export interface ShapeReport {
  shape: JsonShape;
  /** All bytes form valid UTF-8 (otherwise the text is the bytes decoded with U+FFFD, re-encoded). */
  utf8: boolean;
  /** Offsets of the value's first byte and one past its last byte, relative to the line's start. */
  start: number;
  end: number;
}

const enum S {
  Value, // a value must follow (start, after ':' or after ',' in an array)
  ArrayFirst, // after '[': a value or ']'
  ObjectFirst, // after '{': a key or '}'
  Key, // after ',' in an object: a key
  Colon, // after a key
  After, // after a value: ',' or a closing bracket, or the end at the top
  Str,
  Esc,
  Hex,
  Lit,
  NumSign, // after '-'
  NumZero, // a leading 0
  NumInt,
  NumDot, // after '.'
  NumFrac,
  NumE, // after 'e'
  NumESign, // after 'e+' / 'e-'
  NumExp,
  Done,
  Fail,
}

const OBJECT = 1;
const ARRAY = 2;

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** Number states at which a number may end. */
function numberComplete(s: S): boolean {
  return s === S.NumZero || s === S.NumInt || s === S.NumFrac || s === S.NumExp;
}

export class JsonShapeChecker {
  private state = S.Value;
  private stack = new Uint8Array(8);
  private depth = 0;
  private key = false; // the string being read is an object key
  private hexLeft = 0;
  private literal: readonly number[] = [];
  private literalAt = 0;
  private topIsObject = false;
  private position = 0;
  private start = -1;
  private end = -1;
  // UTF-8 validation, natively, chunk by chunk: a sequence cut by a chunk boundary is carried over.
  private utf8Carry: Buffer = EMPTY;
  private utf8Valid = true;

  feed(chunk: Uint8Array): void {
    this.checkUtf8(chunk);
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.state === S.Str) {
        // Most bytes of a long line are string content: skip to the next quote, backslash or control byte.
        let j = i;
        while (j < n) {
          const b = chunk[j] as number;
          if (b === 0x22 || b === 0x5c || b < 0x20) break;
          j += 1;
        }
        this.position += j - i;
        i = j;
        if (i === n) break;
      } else if (this.state === S.Fail) {
        this.position += n - i;
        break;
      }
      this.step(chunk[i] as number);
      this.position += 1;
      i += 1;
    }
  }

  report(): ShapeReport {
    let shape: JsonShape;
    if (this.start === -1) shape = this.state === S.Fail ? 'invalid' : 'empty';
    else if (numberComplete(this.state) && this.depth === 0) shape = 'other'; // a bare number at the end
    else if (this.state !== S.Done) shape = 'invalid';
    else shape = this.topIsObject ? 'object' : 'other';
    if (this.state === S.Done || (numberComplete(this.state) && this.depth === 0)) {
      if (this.end === -1) this.end = this.position;
    }
    const utf8 = this.utf8Valid && this.utf8Carry.length === 0;
    return { shape, utf8, start: Math.max(0, this.start), end: Math.max(0, this.end) };
  }

  private checkUtf8(chunk: Uint8Array): void {
    if (!this.utf8Valid) return;
    let start = 0;
    if (this.utf8Carry.length > 0) {
      const need = sequenceLength(this.utf8Carry[0] as number) - this.utf8Carry.length;
      if (chunk.length < need) {
        this.utf8Carry = Buffer.concat([this.utf8Carry, chunk]);
        return;
      }
      this.utf8Valid = isUtf8(Buffer.concat([this.utf8Carry, chunk.subarray(0, need)]));
      this.utf8Carry = EMPTY;
      start = need;
    }
    // A lead byte near the end whose sequence continues in the next chunk is carried over.
    let end = chunk.length;
    for (let k = 1; k <= 3 && end - k >= start; k++) {
      const b = chunk[end - k] as number;
      if ((b & 0xc0) === 0x80) continue;
      if (sequenceLength(b) > k) {
        this.utf8Carry = Buffer.from(chunk.subarray(end - k));
        end -= k;
      }
      break;
    }
    if (this.utf8Valid) this.utf8Valid = isUtf8(chunk.subarray(start, end));
  }

  /** One bit per open container (1: object), so that even a line of 16 MiB of `[` keeps the stack at 2 MiB. */
  private push(kind: number): void {
    const byte = this.depth >> 3;
    if (byte === this.stack.length) {
      const bigger = new Uint8Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    const bit = 1 << (this.depth & 7);
    this.stack[byte] = kind === OBJECT ? (this.stack[byte] as number) | bit : (this.stack[byte] as number) & ~bit;
    this.depth += 1;
  }

  /** The kind of the innermost open container. */
  private top(): number {
    const d = this.depth - 1;
    return ((this.stack[d >> 3] as number) >> (d & 7)) & 1 ? OBJECT : ARRAY;
  }

  /** A value just ended: back to its container, or done at the top. */
  private valueEnded(): void {
    if (this.depth === 0) {
      this.state = S.Done;
      this.end = this.position + 1;
    } else this.state = S.After;
  }

  private step(b: number): void {
    switch (this.state) {
      case S.Str:
        if (b === 0x22) {
          if (this.key) {
            this.key = false;
            this.state = S.Colon;
          } else this.valueEnded();
        } else if (b === 0x5c) this.state = S.Esc;
        else if (b < 0x20) this.state = S.Fail;
        return;
      case S.Esc:
        if (b === 0x75) {
          this.state = S.Hex;
          this.hexLeft = 4;
        } else if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) {
          this.state = S.Str;
        } else this.state = S.Fail;
        return;
      case S.Hex:
        if (!isHex(b)) this.state = S.Fail;
        else if (--this.hexLeft === 0) this.state = S.Str;
        return;
      case S.Lit:
        if (b !== this.literal[this.literalAt]) this.state = S.Fail;
        else if (++this.literalAt === this.literal.length) this.valueEnded();
        return;
      case S.NumSign:
        if (b === 0x30) this.state = S.NumZero;
        else if (isDigit(b)) this.state = S.NumInt;
        else this.state = S.Fail;
        return;
      case S.NumDot:
        this.state = isDigit(b) ? S.NumFrac : S.Fail;
        return;
      case S.NumE:
        if (b === 0x2b || b === 0x2d) this.state = S.NumESign;
        else this.state = isDigit(b) ? S.NumExp : S.Fail;
        return;
      case S.NumESign:
        this.state = isDigit(b) ? S.NumExp : S.Fail;
        return;
      case S.NumZero:
      case S.NumInt:
      case S.NumFrac:
      case S.NumExp:
        if (isDigit(b) && this.state !== S.NumZero) return;
        if (b === 0x2e && (this.state === S.NumZero || this.state === S.NumInt)) {
          this.state = S.NumDot;
          return;
        }
        if ((b === 0x65 || b === 0x45) && this.state !== S.NumExp) {
          this.state = S.NumE;
          return;
        }
        // The number ended just before this byte, which belongs to what follows.
        if (this.depth === 0) {
          this.state = S.Done;
          this.end = this.position;
        } else this.state = S.After;
        this.step(b);
        return;
      default:
        this.structural(b);
    }
  }

  private structural(b: number): void {
    if (isWs(b)) return;
    switch (this.state) {
      case S.Done:
        this.state = S.Fail;
        return;
      case S.Colon:
        this.state = b === 0x3a ? S.Value : S.Fail;
        return;
      case S.ObjectFirst:
      case S.Key:
        if (b === 0x22) {
          this.state = S.Str;
          this.key = true;
        } else if (b === 0x7d && this.state === S.ObjectFirst) this.close(OBJECT);
        else this.state = S.Fail;
        return;
      case S.After: {
        const top = this.top();
        if (b === 0x2c) this.state = top === OBJECT ? S.Key : S.Value;
        else if (b === 0x7d && top === OBJECT) this.close(OBJECT);
        else if (b === 0x5d && top === ARRAY) this.close(ARRAY);
        else this.state = S.Fail;
        return;
      }
      case S.ArrayFirst:
        if (b === 0x5d) {
          this.close(ARRAY);
          return;
        }
        this.value(b);
        return;
      default:
        this.value(b);
    }
  }

  private close(kind: number): void {
    if (this.top() !== kind) {
      this.state = S.Fail;
      return;
    }
    this.depth -= 1;
    this.valueEnded();
  }

  private value(b: number): void {
    if (this.start === -1) {
      this.start = this.position;
      this.topIsObject = b === 0x7b;
    }
    if (b === 0x7b) {
      this.push(OBJECT);
      this.state = S.ObjectFirst;
    } else if (b === 0x5b) {
      this.push(ARRAY);
      this.state = S.ArrayFirst;
    } else if (b === 0x22) {
      this.state = S.Str;
      this.key = false;
    } else if (b === 0x2d) this.state = S.NumSign;
    else if (b === 0x30) this.state = S.NumZero;
    else if (isDigit(b)) this.state = S.NumInt;
    else if (b === 0x74) this.literalOf(TRUE);
    else if (b === 0x66) this.literalOf(FALSE);
    else if (b === 0x6e) this.literalOf(NULL);
    else this.state = S.Fail;
  }

  private literalOf(bytes: readonly number[]): void {
    this.literal = bytes;
    this.literalAt = 1;
    this.state = S.Lit;
  }
}

const EMPTY = Buffer.alloc(0);

/** Bytes of the UTF-8 sequence a byte leads (1 for ASCII); 0 for a byte that cannot lead one. */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

const codes = (s: string) => [...s].map((c) => c.charCodeAt(0));
const TRUE = codes('true');
const FALSE = codes('false');
const NULL = codes('null');
