import type { RolloutFile } from '../../types.js';
import { filesOf, type Positional } from './packed-listing.js';
import { utcStamp } from './session-head.js';

/** Above every `<stamp>|<uuid>` key of the same stamp: lower-case hex never reaches `~`. */
const AFTER_IDS = '|~';

/**
 * The highest key a file last written at `mtimeMs` can have: its first timestamp is at or
 * before its last write (Claude Code appends, and stamps each line as it writes it), so its
 * key's stamp is at most its mtime's. Null for an mtime a date cannot show (no bound).
 */
export function keyBoundOf(mtimeMs: number): string | null {
  const at = new Date(mtimeMs);
  return Number.isNaN(at.getTime()) || at.getUTCFullYear() > 9999 || at.getUTCFullYear() < 0
    ? null
    : `${utcStamp(at.toISOString())}${AFTER_IDS}`;
}

/** A max-heap of files by key. */
class ByKeyDesc {
  private readonly items: RolloutFile[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): RolloutFile | undefined {
    return this.items[0];
  }

  push(file: RolloutFile): void {
    const a = this.items;
    a.push(file);
    for (let i = a.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (a[up]!.key >= a[i]!.key) break;
      [a[up], a[i]] = [a[i]!, a[up]!];
      i = up;
    }
  }

  pop(): RolloutFile | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]!.key > a[m]!.key) m = l;
      if (r < a.length && a[r]!.key > a[m]!.key) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
    return top;
  }
}

/**
 * Files in key order, newest first, reading the heads of only as many as that order needs
 * (docs/claude.md, "Serving"): `byMtime` is the files by mtime, newest first, and a file read is given out
 * once no file still unread can have a higher key (keyBoundOf the next one's mtime). A first
 * page reads the page's files and those written since the page's oldest began, not the tree.
 * `keyed` reads (or remembers) a file's key, null when it cannot be read; `batch` files are
 * read at once. A file whose first timestamp is after its mtime (an mtime set back by hand)
 * comes later than its key says.
 */
export async function* newestFirst<F extends { readonly mtimeMs: number }>(
  byMtime: Positional<F>,
  keyed: (file: F) => Promise<RolloutFile | null>,
  batch: number,
): AsyncGenerator<RolloutFile> {
  const pending = new ByKeyDesc();
  for (let i = 0; i < byMtime.length; ) {
    const read = await Promise.all(filesOf(byMtime, i, i + batch).map(keyed));
    i += batch;
    for (const file of read) if (file !== null) pending.push(file);
    const next = byMtime.at(i);
    const bound = next === undefined ? null : keyBoundOf(next.mtimeMs);
    if (next !== undefined && bound === null) continue;
    while (pending.size > 0 && (bound === null || pending.peek()!.key > bound)) yield pending.pop()!;
  }
  while (pending.size > 0) yield pending.pop()!;
}
