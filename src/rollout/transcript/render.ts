import type { PricedTokens } from '../usage/tally.js';
import type { SessionSummary } from '../types.js';
import type { TextFilter } from './redact.js';
import type { PlacedItem } from './transcript.js';

/** What an export shows (docs/export.md): tools in full, as one line each, or not at all; reasoning summaries or not. */
export interface TranscriptOptions {
  tools: 'full' | 'summary' | 'none';
  reasoning: boolean;
}

export const DEFAULT_TRANSCRIPT_OPTIONS: TranscriptOptions = { tools: 'full', reasoning: true };

/**
 * The bounds of an export, in characters (UTF-16 code units), documented in docs/export.md. A
 * longer tool output keeps its first OUTPUT_HEAD and last OUTPUT_TAIL characters with a note of
 * how many were left out between them; a command or other tool input keeps its first INPUT_CHARS,
 * a patch its first PATCH_CHARS. Messages and reasoning are whole.
 */
export const BOUNDS = { OUTPUT_HEAD: 6000, OUTPUT_TAIL: 2000, INPUT_CHARS: 8000, PATCH_CHARS: 32_000 } as const;

/**
 * Text around a cut that is redacted with the kept part: a secret that crosses the cut is seen
 * whole (and replaced) as long as it is shorter than this. A private key block longer than this
 * is still caught, as its rule runs to the end of the text when the block has no end.
 */
const REDACT_MARGIN = 4096;

/** Where a cut of redacted text may fall: not inside a `[REDACTED:kind]` marker. */
function safeCut(text: string, at: number, forward: boolean): number {
  const open = text.lastIndexOf('[REDACTED:', at);
  if (open === -1) return at;
  const close = text.indexOf(']', open);
  if (close === -1 || close < at) return at;
  return forward ? close + 1 : open;
}

/** A text redacted and bounded: its first part, what was left out after it, and its last part. */
export interface Bounded {
  head: string;
  omitted: number;
  tail: string;
}

/** `text` redacted, and cut to its first `head` and last `tail` characters when longer. */
export function boundText(text: string, head: number, tail: number, filter: TextFilter): Bounded {
  if (text.length <= head + tail) return { head: filter.redact(text), omitted: 0, tail: '' };
  const first = filter.redact(text.slice(0, head + REDACT_MARGIN));
  const kept = { head: first.slice(0, safeCut(first, head, true)), omitted: text.length - head - tail, tail: '' };
  if (tail > 0) {
    const last = filter.redact(text.slice(-(tail + REDACT_MARGIN)));
    kept.tail = last.slice(safeCut(last, last.length - tail, false));
  }
  return kept;
}

/** The export's header facts: the session summary and, when counted, its usage. */
export interface TranscriptHeader {
  summary: SessionSummary;
  models: string[];
  totals: PricedTokens | null;
}

/** A format of the transcript: each method returns the text of one part, already redacted. */
export interface Renderer {
  begin(header: TranscriptHeader): string;
  turn(n: number): string;
  item(placed: PlacedItem): string;
  end(redactions: number | null): string;
}

/** Whether an item is shown with these options. */
export function shown(placed: PlacedItem, options: TranscriptOptions): boolean {
  const { kind } = placed.item;
  if (kind === 'reasoning') return options.reasoning;
  if (kind === 'tool_call' || kind === 'tool_output') return options.tools !== 'none';
  return true;
}

/** The first line of a command, cut to 200 characters: a tool call in `tools=summary`. */
export function oneLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  const cut = first.length > 200 ? `${first.slice(0, 200)}…` : first;
  return cut + (text.includes('\n') ? ' …' : '');
}

export const formatInt = (n: number) => n.toLocaleString('en-US');

/** Token figures of the header: total, with its parts. */
export function tokensLine(t: PricedTokens): string {
  // Claude's cache writes are part of its input (docs/usage.md, "Both agents"): named only where there are some.
  const writes = (t.cacheWrite5mTokens ?? 0) + (t.cacheWrite1hTokens ?? 0);
  return `${formatInt(t.totalTokens)} (input ${formatInt(t.inputTokens)}, cached ${formatInt(t.cachedInputTokens)}, ` +
    `${writes > 0 ? `cache writes ${formatInt(writes)}, ` : ''}output ${formatInt(t.outputTokens)}, ` +
    `reasoning ${formatInt(t.reasoningOutputTokens)})`;
}

export function costLine(t: PricedTokens): string {
  return t.costUSD === null ? 'no price for its models' : `$${t.costUSD.toFixed(4)}`;
}
