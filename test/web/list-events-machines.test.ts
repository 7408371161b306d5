// A live event of a team server updates the copy of its own machine only (web/src/live/list-events.ts):
// one session id may be listed twice, once per machine that pushed it.
import { expect, it } from 'vitest';
import type { SessionSummary } from '../../web/src/api/types.js';
import { applySessionEvent, eventParams } from '../../web/src/live/list-events.js';
import { FILTER_DEFAULTS } from '../../web/src/sessions/filters.js';
import { webSummary } from './summaries.js';

const copy = (machine: string, title: string): SessionSummary => webSummary(1, { title, machine });

it('updates the copy of the event’s machine, and keeps the other machine’s', () => {
  const items = [copy('carol', 'on carol'), copy('bob', 'on bob')];
  const updated = applySessionEvent(items, { change: 'updated', session: copy('bob', 'bob wrote more') }, FILTER_DEFAULTS, true);
  expect(updated.map((i) => [i.machine, i.title])).toEqual([
    ['carol', 'on carol'],
    ['bob', 'bob wrote more'],
  ]);
  const archived = { ...copy('carol', 'on carol'), archived: true };
  const gone = applySessionEvent(updated, { change: 'archived', session: archived }, FILTER_DEFAULTS, true);
  expect(gone.map((i) => i.machine)).toEqual(['bob']);
});

it('asks the stream for the machine filter only when one is set', () => {
  expect(eventParams(FILTER_DEFAULTS)).toEqual({ archived: 'false' });
  expect(eventParams({ ...FILTER_DEFAULTS, machine: 'bob' })).toEqual({ archived: 'false', machine: 'bob' });
});
