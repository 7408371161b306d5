interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [mediaType, ...params] = part.split(';').map((s) => s.trim());
    const [type, subtype] = (mediaType ?? '').toLowerCase().split('/');
    if (!type || !subtype) continue;
    const qParam = params.find((p) => p.toLowerCase().startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    ranges.push({ type, subtype, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges;
}

/** How well `range` matches `offered`: 3 exact, 2 `type/*`, 1 `*\/*`, 0 not at all. */
function specificity(range: MediaRange, type: string, subtype: string): number {
  if (range.type === type && range.subtype === subtype) return 3;
  if (range.type === type && range.subtype === '*') return 2;
  if (range.type === '*' && range.subtype === '*') return 1;
  return 0;
}

/**
 * The offered media type the client prefers (RFC 9110 §12.5.1: the most specific matching
 * range sets each type's q; the highest q wins; ties go to the first offered), or null when
 * the client accepts none of them. No Accept header accepts anything.
 */
export function negotiate(accept: string | undefined, offered: readonly string[]): string | null {
  if (accept === undefined || accept.trim() === '') return offered[0] ?? null;
  const ranges = parseAccept(accept);
  let best: { type: string; q: number } | null = null;
  for (const candidate of offered) {
    const [type, subtype] = candidate.split('/') as [string, string];
    let q = 0;
    let matched = 0;
    for (const range of ranges) {
      const s = specificity(range, type, subtype);
      if (s > matched) {
        matched = s;
        q = range.q;
      }
    }
    if (q > 0 && (best === null || q > best.q)) best = { type: candidate, q };
  }
  return best?.type ?? null;
}
