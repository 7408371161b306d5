// Keyboard: `/` focuses the search box; `j` / `k` move to the next / previous item of the
// view's list (sessions, search hits, transcript messages), Enter opens a focused link.

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Items of the current view that j/k visit, in document order. */
function navItems(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>('main [data-nav]'));
}

export function moveFocus(step: 1 | -1): void {
  const items = navItems();
  if (items.length === 0) return;
  const active = document.activeElement instanceof HTMLElement ? document.activeElement.closest<HTMLElement>('[data-nav]') : null;
  let index = active ? items.indexOf(active) : -1;
  if (index === -1) {
    // Start from what is on screen rather than from the top of a long list.
    const firstVisible = items.findIndex((el) => el.getBoundingClientRect().bottom > 0);
    index = step === 1 ? Math.max(0, firstVisible) : Math.max(0, firstVisible);
  } else index = Math.min(items.length - 1, Math.max(0, index + step));
  const next = items[index] as HTMLElement;
  next.focus({ preventScroll: true });
  next.scrollIntoView({ block: 'nearest' });
}

export function installKeys(): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) {
      if (event.key === 'Escape') (event.target as HTMLElement).blur();
      return;
    }
    if (document.querySelector('dialog[open]')) return;
    if (event.key === '/') {
      const box = document.querySelector<HTMLInputElement>('[role="searchbox"]');
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    } else if (event.key === 'j' || event.key === 'k') {
      event.preventDefault();
      moveFocus(event.key === 'j' ? 1 : -1);
    }
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
