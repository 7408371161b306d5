import { useEffect, useRef } from 'preact/hooks';

function near(el: HTMLElement, margin: string): boolean {
  const r = el.getBoundingClientRect();
  const m = parseFloat(margin);
  return r.top < innerHeight + m && r.bottom > -m;
}

/**
 * An invisible marker that calls `onVisible` while it is within `margin` of the viewport:
 * infinite scroll and the transcript window's edges. It calls again after each change of
 * `generation` (a page arrived) for as long as it stays in view, so a short page never stalls.
 */
export function Sentinel({ onVisible, generation, margin = '800px' }: { onVisible: () => void; generation: unknown; margin?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const visible = useRef(false);
  const callback = useRef(onVisible);
  callback.current = onVisible;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new IntersectionObserver(
      (records) => {
        visible.current = records.some((r) => r.isIntersecting);
        if (visible.current) callback.current();
      },
      { rootMargin: `${margin} 0px ${margin} 0px` },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [margin]);
  useEffect(() => {
    // The observer's last word may be stale: it reports asynchronously, and the page that just
    // arrived may have pushed the marker away. Only still near, it asks again.
    if (visible.current && ref.current && near(ref.current, margin)) callback.current();
  }, [generation]);
  return <div ref={ref} class="sentinel" aria-hidden="true" />;
}
