/**
 * The compact text renderings of the tools' results: what a model reads when a client shows it
 * only the text content. The structured content carries the REST answer whole.
 */

type Json = Record<string, unknown>;

const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : '—');
const cost = (v: unknown) => (typeof v === 'number' ? `$${v.toFixed(4)}` : 'no price');
const oneLine = (v: unknown, max = 160) => {
  const s = typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

function usageOf(item: Json): string {
  const u = item.usage as Json | null | undefined;
  return u ? ` · ${n(u.totalTokens)} tokens, ${cost(u.costUSD)}` : '';
}

const more = (nextCursor: string | null) => (nextCursor === null ? 'No more results.' : `More: call again with cursor "${nextCursor}".`);

/** A page of sessions (list_sessions, search_sessions): one line each, the matches under it. */
export function pageText(items: Json[], nextCursor: string | null): string {
  if (items.length === 0) return `No sessions. ${more(nextCursor)}`;
  const lines = items.map((item) => {
    const title = oneLine(item.name ?? item.title) || '(untitled)';
    const on = typeof item.machine === 'string' ? ` · on ${item.machine}` : '';
    const head = `- ${item.id}${on} · ${String(item.createdAt)} · ${String(item.cwd ?? '?')}${usageOf(item)}\n  ${title}`;
    const matches = Array.isArray(item.matches) ? (item.matches as Json[]) : [];
    const found = typeof item.matchCount === 'number' ? `\n  ${item.matchCount} matching records` : '';
    return head + found + matches.map((m) => `\n    line ${String(m.line)} (${String(m.role)}): ${oneLine(m.snippet, 220)}`).join('');
  });
  return `${lines.join('\n')}\n${more(nextCursor)}`;
}

export function sessionSearchText(found: readonly object[], nextCursor: string | null): string {
  const matches = found as Json[];
  if (matches.length === 0) return `No matches. ${more(nextCursor)}`;
  const lines = matches.map((m) => `- line ${String(m.line)} (${String(m.role)}, ${String(m.kind)}): ${oneLine(m.snippet, 220)}`);
  return `${lines.join('\n')}\n${more(nextCursor)}`;
}

/** Claude's cache writes (priced apart: docs/claude.md), said only where there are some. */
const cacheWrites = (t: Json) => {
  const count = (v: unknown) => (typeof v === 'number' ? v : 0);
  const w = count(t.cacheWrite5mTokens) + count(t.cacheWrite1hTokens);
  return w > 0 ? `, cache writes ${n(w)}` : '';
};

const tokens = (t: Json) =>
  `${n(t.totalTokens)} tokens (input ${n(t.inputTokens)}, cached ${n(t.cachedInputTokens)}${cacheWrites(t)}, ` +
  `output ${n(t.outputTokens)}, reasoning ${n(t.reasoningOutputTokens)}), ${cost(t.costUSD)}`;

export function sessionUsageText(u: Json): string {
  const byModel = Object.entries((u.byModel ?? {}) as Record<string, Json>).map(([model, t]) => `- ${model}: ${tokens(t)}`);
  const turns = (u.turns as Json[]).map((t) => `- ${String(t.at ?? '?')} ${String(t.model)}: ${tokens(t)}`);
  const omitted = typeof u.turnsOmitted === 'number' ? `\n(${u.turnsOmitted} more turns left out)` : '';
  return `Session ${String(u.id)}: ${tokens(u.totals as Json)}\nBy model:\n${byModel.join('\n') || '- none'}\n` +
    `Turns:\n${turns.join('\n') || '- none'}${omitted}`;
}

export function usageReportText(r: Json): string {
  const rows = (r.rows as Json[]).map((row) => `- ${String(row.key)}: ${tokens(row)} · ${n(row.sessions)} sessions`);
  const omitted = typeof r.rowsOmitted === 'number' && r.rowsOmitted > 0 ? `\n(${r.rowsOmitted} more rows left out)` : '';
  return `Usage by ${String(r.groupBy)} (${String(r.tz)}): ${tokens(r.totals as Json)}\n${rows.join('\n') || '- no usage'}${omitted}`;
}

/** What comes before a transcript piece: where it is, and how to read on. */
export function piecePreamble(p: {
  id: string;
  machine?: string;
  turns: { first: number; last: number } | null;
  nextCursor: string | null;
}): string {
  const where = p.turns === null ? 'no turns' : `turns ${p.turns.first}–${p.turns.last}`;
  const on = p.machine === undefined ? '' : ` and machine "${p.machine}"`;
  const next =
    p.nextCursor === null ? 'This is the end of the session.' : `To read on, call read_session with cursor "${p.nextCursor}"${on}.`;
  return `<!-- session ${p.id}, ${where}. ${next} -->\n\n`;
}
