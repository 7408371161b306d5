// A live event of a team server updates the copy of its own machine only (web/src/live/list-events.ts):
// one session id may be listed twice, once per machine that pushed it.
import { expect, it } from 'vitest';
import type { SessionSummary } from '../../web/src/api/types.js';
import { applySessionEvent, eventParams } from '../../web/src/live/list-events.js';
import { FILTER_DEFAULTS } from '../../web/src/sessions/filters.js';
import { uuidN } from '../helper.js';

function copy(machine: string, title: string): SessionSummary {
  return {
    id: uuidN(1),
    path: `sessions/2025/10/01/rollout-2025-10-01T08-00-01-${uuidN(1)}.jsonl`,
    createdAt: '2025-10-01T08:00:00.000Z',
    updatedAt: '2025-10-01T08:00:00.000Z',
    sizeBytes: 100,
    title,
    name: null,
    cwd: '/w',
    source: 'cli',
    originator: 'codex_cli_rs',
    cliVersion: '0.50.0',
    modelProvider: 'openai',
    git: null,
    forkedFromId: null,
    archived: false,
    machine,
  };
}

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
