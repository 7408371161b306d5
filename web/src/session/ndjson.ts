// Splits a byte stream into lines without copying a long line more than once, and tracks the
// byte offset just past each complete line (where a live follow resumes: docs/live.md `from`).

export interface Line {
  text: string;
  /** Byte offset just past this line's newline. */
  end: number;
}

export class LineSplitter {
  /** Bytes consumed by complete lines so far. */
  offset = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly decoder = new TextDecoder();

  /** The complete lines in `chunk` (with what earlier chunks left over); the rest waits for more. */
  push(chunk: Uint8Array): Line[] {
    const lines: Line[] = [];
    let start = 0;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, at);
      const text = this.pending.length === 0 ? this.decoder.decode(piece) : this.joinPending(piece);
      this.offset += this.pendingBytes + piece.length + 1;
      this.pending = [];
      this.pendingBytes = 0;
      lines.push({ text, end: this.offset });
      start = at + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.slice(start));
      this.pendingBytes += chunk.length - start;
    }
    return lines;
  }

  /** What is left after the last newline: a line the writer has not finished (or a last line without newline). */
  rest(): string {
    return this.pending.length === 0 ? '' : this.joinPending(new Uint8Array(0));
  }

  private joinPending(last: Uint8Array): string {
    const all = new Uint8Array(this.pendingBytes + last.length);
    let at = 0;
    for (const part of this.pending) {
      all.set(part, at);
      at += part.length;
    }
    all.set(last, at);
    return this.decoder.decode(all);
  }
}
