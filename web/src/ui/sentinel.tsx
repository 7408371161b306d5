import { useEffect, useRef } from 'preact/hooks';

/**
 * An invisible marker that calls `onVisible` while it is within `margin` of the viewport:
 * infinite scroll and the transcript window's edges. It calls again after each change of
 * `generation` (a page arrived) for as long as it stays in view, so a short page never stalls.
 */
export function Sentinel({ onVisible, generation, margin = '800px' }: { onVisible: () => void; generation: unknown; margin?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const observer = useRef<IntersectionObserver | null>(null);
  const callback = useRef(onVisible);
  callback.current = onVisible;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const o = new IntersectionObserver(
      (records) => {
        if (records.some((r) => r.isIntersecting)) callback.current();
      },
      { rootMargin: `${margin} 0px ${margin} 0px` },
    );
    o.observe(el);
    observer.current = o;
    return () => {
      o.disconnect();
      observer.current = null;
    };
  }, [margin]);
  useEffect(() => {
    // The observer speaks only when the marker crosses the margin, so "still in view after the
    // page arrived" must be asked of it: observing afresh makes it report the marker's state at
    // its next frame, in or out. Measuring here instead (getBoundingClientRect) stalled the
    // transcript (issue 17): a script's layout sizes new content-visibility:auto entries by their
    // placeholder, the frame's by their content, so the measure said "pushed away" while the
    // observer saw the marker stay in view and had nothing to report, for good at the page's end.
    const el = ref.current;
    const o = observer.current;
    if (!el || !o) return;
    o.takeRecords();
    o.unobserve(el);
    o.observe(el);
  }, [generation]);
  return <div ref={ref} class="sentinel" aria-hidden="true" />;
}
