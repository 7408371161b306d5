// A snippet cut into plain and highlighted parts from the server's `ranges` (UTF-16 offsets,
// end exclusive: docs/search.md). Ranges are clamped, sorted and merged, so bad input never throws.
// No DOM: unit-tested in Node.

export interface Part {
  text: string;
  mark: boolean;
}

export function highlightParts(snippet: string, ranges: readonly (readonly [number, number])[]): Part[] {
  const clean = ranges
    .map(([s, e]) => [Math.max(0, Math.min(s, snippet.length)), Math.max(0, Math.min(e, snippet.length))] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const parts: Part[] = [];
  let at = 0;
  for (const [s, e] of clean) {
    const start = Math.max(s, at);
    if (e <= start) continue;
    if (start > at) parts.push({ text: snippet.slice(at, start), mark: false });
    parts.push({ text: snippet.slice(start, e), mark: true });
    at = e;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), mark: false });
  return parts;
}
