/**
 * A transcript as listed: its path and the three numbers of its stat a walk uses (the order, and
 * whether a key found before still holds), not the file's ClaudeFile and fs.Stats. A listing of
 * 65,000 of those was about 1.4 KB a file, held while the next one runs and by each page's walk:
 * while the first build ran, V8 let the old space grow to a few times that live set, 841 MB at
 * 100,000 sessions (branch rssreq32, docs/performance.md). The rest is derived from the path
 * when a head is read (ClaudeWalker.keyed).
 */
export interface StattedFile {
  readonly relPath: string;
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

/** Items read by position: an array, or a PackedListing. */
export interface Positional<F> {
  readonly length: number;
  at(i: number): F | undefined;
}

/** A listing read by position: an array of StattedFile, or a PackedListing. */
export type Listing = Positional<StattedFile>;

/** The items of `listing` from `start` to before `end`. */
export function filesOf<F>(listing: Positional<F>, start: number, end: number): F[] {
  const files: F[] = [];
  for (let i = start; i < Math.min(end, listing.length); i++) files.push(listing.at(i)!);
  return files;
}

/**
 * A listing kept for the pages asked while the first index build runs (KnownFiles' snapshot),
 * held outside V8's heap: the paths as UTF-8 in one Buffer, the three numbers in a Float64Array.
 * As objects it was about 254 bytes a file in the heap, live all through the build, and V8 lets
 * its old generation grow to a multiple of what is live (twice during a pass: pass-heap.ts), so
 * 65,000 files cost ~30 MB of peak RSS at 100,000 sessions (branch rsspages33,
 * docs/performance.md). Here it is ~110 bytes a file, counted once. A file is made again when
 * a walk reaches it: a page reaches a few dozen.
 */
export class PackedListing implements Listing {
  readonly length: number;
  private readonly paths: Buffer;
  /** Where each path starts in `paths` (and, at `length`, where the last ends). */
  private readonly starts: Uint32Array;
  /** mtimeMs, size and ino of each file, in that order. */
  private readonly numbers: Float64Array;

  constructor(files: readonly StattedFile[]) {
    this.length = files.length;
    const bytes = files.map((f) => Buffer.byteLength(f.relPath));
    this.paths = Buffer.allocUnsafeSlow(bytes.reduce((n, b) => n + b, 0));
    this.starts = new Uint32Array(files.length + 1);
    this.numbers = new Float64Array(files.length * 3);
    let at = 0;
    files.forEach((f, i) => {
      this.starts[i] = at;
      at += this.paths.write(f.relPath, at, 'utf8');
      this.numbers.set([f.mtimeMs, f.size, f.ino], i * 3);
    });
    this.starts[files.length] = at;
  }

  /** Bytes held (outside the heap but for the object itself). */
  get heldBytes(): number {
    return this.paths.byteLength + this.starts.byteLength + this.numbers.byteLength;
  }

  at(i: number): StattedFile | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    const n = this.numbers;
    return {
      relPath: this.paths.toString('utf8', this.starts[i], this.starts[i + 1]),
      mtimeMs: n[i * 3]!,
      size: n[i * 3 + 1]!,
      ino: n[i * 3 + 2]!,
    };
  }
}
