// Rules of the dashboard that need no browser (issues 16 and 17): one line-format parser for the
// server and the browser, session links that hold only a UUID, a live row keeping its cost, and
// dates of past years with their year.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../src/rollout/sources/codex/formats.js';
import type { ConversationUsage, SessionEvent, SessionSummary } from '../../web/src/api/types.js';
import { age } from '../../web/src/format.js';
import { applySessionEvent } from '../../web/src/live/list-events.js';
import { listUsageOf } from '../../web/src/live/usage-refresh.js';
import { parseRoute } from '../../web/src/router.js';
import { viewOf } from '../../web/src/session/records.js';
import { FILTER_DEFAULTS } from '../../web/src/sessions/filters.js';
import { legacyLines, REAL_HOME, recordTypeLines, uuidN, envelopeLines } from '../helper.js';

const ROOT = join(import.meta.dirname, '../..');

async function filesUnder(dir: string, ext: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(ext)).map((e) => join(e.parentPath, e.name));
}

describe('one line-format parser', () => {
  it('the browser reads every line of every generation as the server does', async () => {
    const spec = { stamp: '2025-06-01T10-00-00', id: uuidN(1), title: 'hello' };
    const lines: unknown[] = [...legacyLines(spec), ...recordTypeLines(spec), ...envelopeLines(spec)];
    for (const file of await filesUnder(join(REAL_HOME, 'sessions'), '.jsonl')) {
      for (const text of (await readFile(file, 'utf8')).split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text));
    }
    // Where the two copies disagreed: a bare meta without a timestamp, and a bare meta after line 1.
    lines.push({ id: uuidN(2) }, { id: uuidN(3), timestamp: '2025-06-01T10:00:00Z' }, { record_type: 'state' }, { type: 'x', payload: 1 });
    expect(lines.length).toBeGreaterThan(100);
    lines.forEach((record, i) => {
      const line = (typeof record === 'string' ? JSON.parse(record) : record) as Record<string, unknown>;
      const view = viewOf(line, i + 1);
      const server = normalizeRecord(line);
      expect({ kind: view?.kind, payload: view?.payload }).toEqual(server);
    });
    expect(viewOf([1, 2], 1)).toBeNull();
    expect(viewOf('text', 1)).toBeNull();
  });

  it('web/ has no line-format rules of its own (no record_type table, no envelope kinds besides the shared module)', async () => {
    for (const file of await filesUnder(join(ROOT, 'web/src'), '.ts')) {
      const text = await readFile(file, 'utf8');
      expect(text.includes('record_type'), file).toBe(false);
      expect(/RECORD_TYPES|ENVELOPE_KINDS|isBareMeta/.test(text), file).toBe(false);
    }
    // The shared module stays importable by the browser bundle: it imports only modules of
    // sources/common that themselves import nothing (node: ones least of all).
    const shared = await readFile(join(ROOT, 'src/rollout/sources/codex/formats.ts'), 'utf8');
    const specifiers = [...shared.matchAll(/^\s*import\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1] as string);
    expect(specifiers.length).toBe(shared.match(/^\s*import\s/gm)?.length ?? 0);
    for (const specifier of specifiers) {
      expect(specifier, specifier).toMatch(/^\.\.\/common\/[a-z-]+\.js$/);
      const target = join(ROOT, 'src/rollout/sources/common', specifier.slice('../common/'.length).replace(/\.js$/, '.ts'));
      expect(/^\s*import\s/m.test(await readFile(target, 'utf8')), target).toBe(false);
    }
  });
});

describe('session routes', () => {
  const id = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';

  it('take a UUID in any case, and nothing else', () => {
    expect(parseRoute(`#/session/${id}?line=4`)).toMatchObject({ view: 'session', id });
    expect(parseRoute(`#/session/${id.toUpperCase()}`)).toMatchObject({ view: 'session', id: id.toUpperCase() });
    for (const [raw, shown] of [
      [`${id}%0Acurl%20x%20%7C%20sh`, `${id}\ncurl x | sh`],
      ['..', '..'],
      ['%2e%2e', '..'],
      ['%E0%A4%A', '%E0%A4%A'],
      [`${id}%2F..`, `${id}/..`],
      [` ${id}`, ` ${id}`],
    ]) {
      expect(parseRoute(`#/session/${raw}`)).toMatchObject({ view: 'session', id: null, badId: shown });
    }
  });
});

function summary(id: string, usage: SessionSummary['usage']): SessionSummary {
  return {
    id,
    path: `sessions/${id}.jsonl`,
    createdAt: '2025-10-01T00:00:00.000Z',
    updatedAt: '2025-10-01T00:00:00.000Z',
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
    usage,
  };
}

describe('a live row and its cost', () => {
  const tokens = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningOutputTokens: 0, totalTokens: 15 };
  const counted = { ...tokens, costUSD: 1, models: ['m'] };
  const f = FILTER_DEFAULTS;

  it('keeps the count it has when an update arrives without one (the stream does not carry it)', () => {
    const list = [summary('a', counted)];
    const event: SessionEvent = { change: 'updated', session: { ...summary('a', null), sizeBytes: 99 } };
    const after = applySessionEvent(list, event, f, true);
    expect(after[0]).toMatchObject({ sizeBytes: 99, usage: counted });
    // A count the event carries wins; a session never counted stays uncounted.
    const recounted = { ...counted, totalTokens: 99 };
    expect(applySessionEvent(list, { change: 'updated', session: summary('a', recounted) }, f, true)[0]?.usage).toEqual(recounted);
    expect(applySessionEvent([summary('b', null)], { change: 'updated', session: summary('b', null) }, f, true)[0]?.usage).toBeNull();
  });

  it("takes the session's own usage document as a list item's usage", () => {
    const tokens = { inputTokens: 100, cachedInputTokens: 40, outputTokens: 10, reasoningOutputTokens: 2, totalTokens: 110 };
    const usage: ConversationUsage = {
      id: 'a',
      totals: { ...tokens, costUSD: 0.5 },
      byModel: { 'z-model': { ...tokens, costUSD: null }, 'a-model': { ...tokens, costUSD: 0.5 } },
      turns: [],
      contextWindow: null,
      peakInputTokens: null,
      unpricedModels: ['z-model'],
    };
    expect(listUsageOf(usage)).toEqual({ ...tokens, costUSD: 0.5, models: ['a-model', 'z-model'] });
  });
});

describe('age', () => {
  it('gives a date of a past year its year, and leaves it out in the current one', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(age('2026-12-06T11:59:30Z', now)).toBe('now');
    expect(age('2026-12-01T12:00:00Z', now)).toBe('5d');
    const thisYear = age('2026-03-05T12:00:00Z', now);
    expect(thisYear).toMatch(/Mar/);
    expect(thisYear).not.toMatch(/2026/);
    expect(age('2025-12-20T12:00:00Z', now)).toMatch(/2025/);
    expect(age('2024-03-05T12:00:00Z', now)).toMatch(/Mar.*2024/);
  });
});
