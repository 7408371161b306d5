// The session list's count line and which live events have the total asked for again
// (web/src/sessions/list-total.ts; the browser test is test/e2e/list-total.test.ts).
import { describe, expect, it } from 'vitest';
import type { SessionEvent, SessionSummary } from '../../web/src/api/types.js';
import { FILTER_DEFAULTS } from '../../web/src/sessions/filters.js';
import { countText, mayChangeTotal } from '../../web/src/sessions/list-total.js';
import { webSummary } from './summaries.js';

const summary = (n: number, title: string | null, archived = false): SessionSummary => webSummary(n, { title, archived });

const event = (change: SessionEvent['change'], session: SessionSummary): SessionEvent => ({ change, session });

describe('the count line', () => {
  it('says how many match when the server counted, what is known otherwise', () => {
    expect(countText(0, true, 1234)).toBe('');
    expect(countText(50, true, 1234)).toBe('50 of 1,234 shown');
    expect(countText(50, true, null)).toBe('50 shown, more as you scroll');
    expect(countText(130, false, null)).toBe('130 shown');
    // The whole list loaded: its rows are the count, whatever total the first page had.
    expect(countText(131, false, 130)).toBe('131 sessions');
    expect(countText(1, false, 1)).toBe('1 session');
    // A total older than the rows (a live row came before the recount): never fewer than shown.
    expect(countText(51, true, 50)).toBe('51 of 51 shown');
  });
});

describe('events that may change the total', () => {
  it('asks for a new session, a first user message, a removal or an archive; not for an append to a listed one', () => {
    const f = FILTER_DEFAULTS;
    const listed = summary(1, 'listed');
    const known = new Map<string, boolean>();
    expect(mayChangeTotal(event('updated', listed), f, [listed], known)).toBe(false);
    expect(mayChangeTotal(event('created', summary(2, 'new')), f, [listed], known)).toBe(true);
    expect(mayChangeTotal(event('updated', summary(2, 'new')), f, [listed], known)).toBe(false);
    // Created without a user message: not listed, nothing changes, until its first message.
    expect(mayChangeTotal(event('created', summary(3, null)), f, [listed], known)).toBe(false);
    expect(mayChangeTotal(event('updated', summary(3, 'now a session')), f, [listed], known)).toBe(true);
    // A session the list has not seen (past the loaded pages, or older than the page): asked once.
    expect(mayChangeTotal(event('updated', summary(4, 'old one')), f, [listed], known)).toBe(true);
    expect(mayChangeTotal(event('updated', summary(4, 'old one')), f, [listed], known)).toBe(false);
    expect(mayChangeTotal(event('archived', summary(1, 'listed', true)), f, [listed], known)).toBe(true);
    expect(mayChangeTotal(event('removed', summary(2, 'new')), f, [listed], known)).toBe(true);
    // Renamed out of a title filter.
    const q = { ...f, q: 'fix' };
    const fix = summary(5, 'fix the bug');
    expect(mayChangeTotal(event('renamed', { ...fix, name: 'other' }), q, [fix], new Map())).toBe(false);
    expect(mayChangeTotal(event('renamed', { ...fix, title: 'other' }), q, [fix], new Map())).toBe(true);
  });
});
