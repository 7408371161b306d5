// Windowed rendering: only a slice of the entries (at most WINDOW_MAX) is in the DOM. Sentinels
// at both ends grow the slice as the reader scrolls and drop entries at the far end; what is on
// screen stays in place while entries come and go above it (the browser's scroll anchoring, and
// `up`'s own correction where that anchors on the header, at the page's top). Entries off screen
// also skip layout (content-visibility in the stylesheet). The buttons to the start and the end
// float at the viewport's edges (session.css), so that growing the window never moves them away
// from a pointer.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Sentinel } from '../ui/sentinel.js';
import type { TranscriptBuilder } from './entries.js';
import { EntryView } from './entry-view.js';
import type { TurnTotals } from './turn-usage.js';

const STEP = 60;
const WINDOW_MAX = 360;

interface Window {
  start: number;
  end: number;
}

interface Props {
  builder: TranscriptBuilder;
  version: number;
  /** All records are in (the initial load finished). */
  loaded: boolean;
  /** Scroll to the entry that shows this line (a search hit). */
  focusLine: number | null;
  /** Follow new entries at the bottom while the reader is there (live sessions). */
  stickToBottom: boolean;
  /** Usage and cost per turn (by entry key), once the server has answered. */
  turnUsage: Map<number, TurnTotals> | null;
}

function atBottom(): boolean {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
}

export function Transcript({ builder, version, loaded, focusLine, stickToBottom, turnUsage }: Props) {
  const entries = builder.entries;
  const n = entries.length;
  const [win, setWin] = useState<Window>({ start: 0, end: Math.min(n, STEP) });
  const [target, setTarget] = useState<number | null>(null);
  const focused = useRef<number | null>(null);
  const wasAtBottom = useRef(false);
  const lastN = useRef(n);

  // New entries (the load streaming in, or a live session): the window grows with them while
  // its end is at the end of the transcript, and slides along when the reader follows the bottom.
  useLayoutEffect(() => {
    const previous = lastN.current;
    lastN.current = n;
    if (n === previous || win.end < previous) return;
    const follow = stickToBottom && loaded && atBottom();
    wasAtBottom.current = follow;
    const begin = follow ? Math.max(win.start, n - WINDOW_MAX) : win.start;
    setWin({ start: begin, end: Math.min(n, begin + WINDOW_MAX) });
  }, [n]);

  // Once the grown window is in the document, a reader who was at the bottom stays there.
  useLayoutEffect(() => {
    if (!wasAtBottom.current) return;
    wasAtBottom.current = false;
    window.scrollTo({ top: document.documentElement.scrollHeight });
  }, [win]);

  // A search hit: once its line has been read, centre the window on it and scroll there.
  useEffect(() => {
    if (focusLine === null || focused.current === focusLine || n === 0) return;
    const last = entries[n - 1];
    if (!loaded && (last === undefined || last.line < focusLine)) return;
    focused.current = focusLine;
    const index = builder.indexForLine(focusLine);
    setWin({ start: Math.max(0, index - 20), end: Math.min(n, index + STEP) });
    setTarget(entries[index]?.key ?? null);
  }, [focusLine, version, loaded]);

  useEffect(() => {
    if (target === null) return;
    const el = document.querySelector<HTMLElement>(`[data-key="${target}"]`);
    el?.scrollIntoView({ block: 'center' });
    (el?.querySelector('[data-nav]') as HTMLElement | null)?.focus({ preventScroll: true });
  }, [target]);

  // Entries added above keep what the reader sees in place. The browser's scroll anchoring does
  // that only when its anchor is an entry: at the page's top its anchor is the session's header,
  // above the new entries, so they pushed the view down, the top sentinel stayed in view, and the
  // window slid up by itself to the session's start (seen after "jump to the end" and a scroll
  // to the top). Here the first entry shown before stays where it was, whichever the case.
  const anchor = useRef<{ key: number; top: number } | null>(null);
  useLayoutEffect(() => {
    const a = anchor.current;
    anchor.current = null;
    const el = a && document.querySelector<HTMLElement>(`[data-key="${a.key}"]`);
    if (a && el) window.scrollBy(0, el.getBoundingClientRect().top - a.top);
  }, [win.start]);

  const up = () => {
    const first = entries[win.start];
    const el = first && document.querySelector<HTMLElement>(`[data-key="${first.key}"]`);
    if (first && el && win.start > 0) anchor.current = { key: first.key, top: el.getBoundingClientRect().top };
    setWin((w) =>
      w.start === 0 ? w : { start: Math.max(0, w.start - STEP), end: Math.min(w.end, Math.max(0, w.start - STEP) + WINDOW_MAX) },
    );
  };
  const down = () =>
    setWin((w) => {
      if (w.end >= n) return w;
      const end = Math.min(n, w.end + STEP);
      return { start: Math.max(w.start, end - WINDOW_MAX), end };
    });
  const jump = (where: 'top' | 'bottom') => {
    anchor.current = null;
    setWin(where === 'top' ? { start: 0, end: Math.min(n, STEP) } : { start: Math.max(0, n - STEP), end: n });
    requestAnimationFrame(() => window.scrollTo({ top: where === 'top' ? 0 : document.documentElement.scrollHeight }));
  };

  const slice = entries.slice(win.start, win.end);
  return (
    <div class="transcript" aria-label="Transcript" aria-busy={!loaded}>
      {win.start > 0 && (
        <>
          <button type="button" class="btn edge edge-start" onClick={() => jump('top')}>
            ↑ {win.start} earlier entries · back to the start
          </button>
          <Sentinel onVisible={up} generation={`${win.start}`} margin="1200px" />
        </>
      )}
      {slice.map((entry) => (
        <EntryView
          key={entry.key}
          entry={entry}
          rev={entry.rev}
          target={entry.key === target}
          turnUsage={entry.kind === 'turn' ? turnUsage?.get(entry.key) : undefined}
        />
      ))}
      {win.end < n && (
        <>
          <Sentinel onVisible={down} generation={`${win.end}:${n}`} margin="1200px" />
          <button type="button" class="btn edge edge-end" onClick={() => jump('bottom')}>
            ↓ {n - win.end} more entries · jump to the end
          </button>
        </>
      )}
    </div>
  );
}
