/** One satisfiable byte range, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A `Range` header against a representation of `size` bytes (RFC 9110 §14.1-14.2):
 * - null when the header is to be ignored (not the bytes unit, or not valid syntax: a server
 *   ignores an invalid Range and sends the whole representation);
 * - 'unsatisfiable' when it is valid but no range in it lies within the representation (416);
 * - the one range to send. Several satisfiable ranges that do not merge into one are answered
 *   with the whole representation (no multipart responses), as is allowed.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (match === null) return null;
  const specs = (match[1] as string).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length === 0) return null;
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (m === null || (m[1] === '' && m[2] === '')) return null;
    const [, first, last] = m as unknown as [string, string, string];
    if (first === '') {
      const suffix = Number(last);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(first);
    if (last !== '' && Number(last) < start) return null; // last-pos before first-pos: invalid, so the header is ignored
    if (start < size) ranges.push({ start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) });
  }
  if (ranges.length === 0) return 'unsatisfiable';
  ranges.sort((a, b) => a.start - b.start);
  const merged = ranges.reduce<ByteRange[]>((out, r) => {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.start <= prev.end + 1) prev.end = Math.max(prev.end, r.end);
    else out.push({ ...r });
    return out;
  }, []);
  return merged.length === 1 ? (merged[0] as ByteRange) : null;
}
