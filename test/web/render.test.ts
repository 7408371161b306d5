// The dashboard's pure helpers: ANSI and diff rendering, search highlights, the event-stream
// parser, live list updates and the usage chart's stacking. The browser tests cover the views.
import { describe, expect, it } from 'vitest';
import type { SessionEvent, SessionSummary, UsageRow } from '../../web/src/api/types.js';
import { SseParser } from '../../web/src/api/sse-parser.js';
import { time } from '../../web/src/format.js';
import { applySessionEvent, eventParams } from '../../web/src/live/list-events.js';
import { ansiSegments, stripAnsi } from '../../web/src/render/ansi.js';
import { diffLines, diffStats } from '../../web/src/render/diff.js';
import { highlightParts } from '../../web/src/search/highlight.js';
import { FILTER_DEFAULTS, filtersFrom, queryFrom } from '../../web/src/sessions/filters.js';
import { daysBetween, emptyRow, fillDays, stackByModel } from '../../web/src/usage/stacked.js';

const ESC = '\u001b';

describe('ansiSegments', () => {
  it('turns SGR colours into classes and drops every other escape', () => {
    expect(ansiSegments(`${ESC}[1;31mred${ESC}[0m plain ${ESC}[92mbright${ESC}[39m${ESC}]0;title\u0007${ESC}[2K!`)).toEqual([
      { text: 'red', classes: 'ansi-fg-1 ansi-bold' },
      { text: ' plain ', classes: '' },
      { text: 'bright', classes: 'ansi-fg-10' },
      { text: '!', classes: '' },
    ]);
    expect(ansiSegments(`${ESC}[38;5;3mx${ESC}[38;2;1;2;3my`)).toEqual([{ text: 'xy', classes: 'ansi-fg-3' }]);
  });

  it('keeps what a terminal would show after carriage returns', () => {
    expect(stripAnsi('10%\r50%\r100%\ndone\r\n')).toBe('100%\ndone\n');
  });
});

describe('diffLines', () => {
  it('classifies apply_patch and unified diff lines, and counts them', () => {
    const patch = '*** Begin Patch\n*** Update File: a.ts\n@@ f\n-old\n+new\n same\n*** Add File: b.ts\n+x\n*** End Patch';
    expect(diffLines(patch).map((l) => l.kind)).toEqual(['meta', 'file', 'hunk', 'del', 'add', 'context', 'file', 'add', 'meta']);
    expect(diffStats(diffLines(patch))).toEqual({ files: ['a.ts', 'b.ts'], added: 2, removed: 1 });
    const git = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b';
    expect(diffLines(git).map((l) => l.kind)).toEqual(['file', 'file', 'file', 'hunk', 'del', 'add']);
    expect(diffStats(diffLines(git))).toEqual({ files: ['x'], added: 1, removed: 1 });
  });
});

describe('highlightParts', () => {
  it('marks the ranges, in order, merged, clamped to the snippet', () => {
    expect(
      highlightParts('find the bug here', [
        [9, 12],
        [0, 4],
      ]),
    ).toEqual([
      { text: 'find', mark: true },
      { text: ' the ', mark: false },
      { text: 'bug', mark: true },
      { text: ' here', mark: false },
    ]);
    expect(
      highlightParts('abc', [
        [1, 99],
        [2, 3],
        [-5, 0],
      ]),
    ).toEqual([
      { text: 'a', mark: false },
      { text: 'bc', mark: true },
    ]);
    expect(highlightParts('😀 x', [[0, 2]])).toEqual([
      { text: '😀', mark: true },
      { text: ' x', mark: false },
    ]);
  });
});

describe('SseParser', () => {
  it('parses events split anywhere, with ids that persist, comments, CRLF and multi-line data', () => {
    const parser = new SseParser();
    const text = ': keep-alive\r\nevent: record\r\nid: 120\r\ndata: {"a":1}\r\n\r\ndata: x\ndata: y\n\nretry: 5000\nevent: gone\ndata:\n\n';
    const events = [];
    for (let i = 0; i < text.length; i += 7) events.push(...parser.push(text.slice(i, i + 7)));
    expect(events).toEqual([
      { event: 'record', data: '{"a":1}', id: '120' },
      { event: 'message', data: 'x\ny', id: '120' },
      { event: 'gone', data: '', id: '120' },
    ]);
    expect(parser.retryMs).toBe(5000);
  });
});

function session(id: string, createdAt: string, extra: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id,
    path: `sessions/${id}.jsonl`,
    createdAt,
    updatedAt: createdAt,
    sizeBytes: 1,
    title: `title ${id}`,
    name: null,
    cwd: '/p',
    source: 'cli',
    originator: null,
    cliVersion: null,
    modelProvider: 'openai',
    git: null,
    forkedFromId: null,
    archived: false,
    ...extra,
  };
}

describe('applySessionEvent', () => {
  const list = [session('c', '2025-10-03T00:00:00.000Z'), session('a', '2025-10-01T00:00:00.000Z')];
  const f = FILTER_DEFAULTS;
  const ev = (change: SessionEvent['change'], s: SessionSummary): SessionEvent => ({ change, session: s });

  it('puts a new session where the order says, and leaves one past the loaded page to paging', () => {
    const created = session('d', '2025-10-04T00:00:00.000Z');
    expect(applySessionEvent(list, ev('created', created), f, false).map((s) => s.id)).toEqual(['d', 'c', 'a']);
    const middle = session('b', '2025-10-02T00:00:00.000Z');
    expect(applySessionEvent(list, ev('created', middle), f, false).map((s) => s.id)).toEqual(['c', 'b', 'a']);
    const older = session('z', '2025-09-01T00:00:00.000Z');
    expect(applySessionEvent(list, ev('created', older), f, false)).toBe(list);
    expect(applySessionEvent(list, ev('created', older), f, true).map((s) => s.id)).toEqual(['c', 'a', 'z']);
    // A session without a user message yet is not listed (includeEmpty=false), until one arrives.
    const empty = { ...session('e', '2025-10-05T00:00:00.000Z'), title: null };
    expect(applySessionEvent(list, ev('created', empty), f, false)).toBe(list);
    expect(applySessionEvent(list, ev('updated', { ...empty, title: 'now' }), f, false).map((s) => s.id)).toEqual(['e', 'c', 'a']);
  });

  it('updates in place, moves to the top with sort=updated, and drops removed, archived or filtered-out sessions', () => {
    const grown = { ...session('a', '2025-10-01T00:00:00.000Z'), updatedAt: '2025-10-09T00:00:00.000Z', sizeBytes: 99 };
    expect(applySessionEvent(list, ev('updated', grown), f, false).map((s) => [s.id, s.sizeBytes])).toEqual([
      ['c', 1],
      ['a', 99],
    ]);
    const byUpdate = { ...f, sort: 'updated' };
    expect(applySessionEvent(list, ev('updated', grown), byUpdate, false).map((s) => s.id)).toEqual(['a', 'c']);
    expect(applySessionEvent(list, ev('removed', list[0] as SessionSummary), f, false).map((s) => s.id)).toEqual(['a']);
    const archived = { ...(list[1] as SessionSummary), archived: true };
    expect(applySessionEvent(list, ev('archived', archived), f, false).map((s) => s.id)).toEqual(['c']);
    const renamed = { ...(list[1] as SessionSummary), name: 'nope' };
    expect(applySessionEvent(list, ev('renamed', renamed), { ...f, q: 'title c' }, false).map((s) => s.id)).toEqual(['c']);
  });

  it('asks the stream to filter by what the server can filter', () => {
    expect(eventParams({ ...f, cwd: '/p', source: 'exec', q: 'x' })).toEqual({ archived: 'false', cwd: '/p', source: 'exec' });
  });
});

describe('filters in the URL', () => {
  it('round-trip, leaving defaults out', () => {
    const query = queryFrom({ ...FILTER_DEFAULTS, source: 'exec', sort: 'updated' });
    expect(query.toString()).toBe('source=exec&sort=updated');
    expect(filtersFrom(query)).toEqual({ ...FILTER_DEFAULTS, source: 'exec', sort: 'updated' });
  });
});

describe('stackByModel', () => {
  const row = (key: string, byModel: Record<string, [number, number | null]>): UsageRow => ({
    ...emptyRow(key),
    byModel: Object.fromEntries(
      Object.entries(byModel).map(([m, [tokens, cost]]) => [
        m,
        { inputTokens: tokens, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0, totalTokens: tokens, costUSD: cost },
      ]),
    ),
  });

  it('stacks models largest first, over every day of the range', () => {
    const days = fillDays(
      [row('2025-10-01', { a: [10, 1], b: [30, 2] }), row('2025-10-03', { a: [5, null] })],
      daysBetween('2025-10-01', '2025-10-03'),
    );
    expect(days.map((d) => d.key)).toEqual(['2025-10-01', '2025-10-02', '2025-10-03']);
    const tokens = stackByModel(days, 'tokens');
    expect(tokens.models).toEqual(['b', 'a']);
    expect(tokens.values).toEqual([
      [30, 0, 0],
      [10, 0, 5],
    ]);
    expect(tokens.tops).toEqual([
      [30, 0, 0],
      [40, 0, 5],
    ]);
    expect(stackByModel(days, 'cost').tops).toEqual([
      [2, 0, 0],
      [3, 0, 0],
    ]);
  });

  it('leaves a model without a price out of the cost chart (it would read as $0), not out of the token chart', () => {
    const days = [row('2025-10-01', { local: [100, null], o3: [10, 0.5] }), row('2025-10-02', { local: [50, null] })];
    expect(stackByModel(days, 'tokens').models).toEqual(['local', 'o3']);
    const cost = stackByModel(days, 'cost');
    expect(cost.models).toEqual(['o3']);
    expect(cost.values).toEqual([[0.5, 0]]);
  });

  it('keeps a row without a day (responses without a time) off the time axis', () => {
    const rows = [{ ...row('x', { a: [7, 1] }), key: null }, row('2025-10-02', { a: [1, 1] })];
    const days = fillDays(rows, daysBetween('2025-10-01', '2025-10-02'));
    expect(days.map((d) => [d.key, Object.keys(d.byModel)])).toEqual([
      ['2025-10-01', []],
      ['2025-10-02', ['a']],
    ]);
  });
});

describe('time', () => {
  it("says what toLocaleTimeString says with the same options, call after call (one formatter, reused)", () => {
    const options = { hour: '2-digit', minute: '2-digit', second: '2-digit' } as const;
    for (const iso of ['2025-10-06T09:00:01.000Z', '2025-10-06T23:59:59Z', '2024-02-29T12:00:00+05:30', '2025-10-06T00:00:00.123Z']) {
      expect(time(iso)).toBe(new Date(iso).toLocaleTimeString(undefined, options));
    }
    expect([time(null), time(undefined), time(''), time('not a time')]).toEqual(['', '', '', '']);
  });
});
