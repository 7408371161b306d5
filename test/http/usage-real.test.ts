import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageCounter, type UsageResponse } from '../../src/rollout/sources/codex/usage-counter.js';
import { groupUsage } from '../../src/rollout/usage/grouping.js';
import { countedResponses } from '../../src/rollout/usage/ownership.js';
import { PriceBook } from '../../src/rollout/usage/pricing.js';
import { MODES, REAL_HOME, appFor, buildTestApp, copyOfRealHome, stampToIso } from '../helper.js';
import { fileResponses } from '../usage-lines.js';

/**
 * ccusage's figures for the real corpus, from the pinned @ccusage/codex 18.0.11:
 *
 *   CODEX_HOME=test/fixtures/codex-home-real npx -y @ccusage/codex@18.0.11 daily --json --offline --timezone UTC
 *
 * ccusage reads `sessions/` only (never `archived_sessions/`), sums every token_count event's
 * last_token_usage and ignores token_usage_record lines. On this corpus, where no event is
 * re-emitted, that is right, and it must equal what we count for `sessions/`. It prices the
 * unknown `mock-model` at $0; we give it no price (costUSD null, listed in unpricedModels).
 */
const CCUSAGE_DAILY_18_0_11 = {
  date: 'Nov 24, 2026',
  inputTokens: 60289,
  cachedInputTokens: 4900,
  outputTokens: 2058,
  reasoningOutputTokens: 343,
  totalTokens: 62347,
  models: ['mock-model'],
};

/** Ours for the whole home: `sessions/` plus the two archived sessions. */
const WHOLE_HOME = { inputTokens: 65137, cachedInputTokens: 5300, outputTokens: 2226, reasoningOutputTokens: 371, totalTokens: 67363 };

const FILES = ['sessions/2026/11/24', 'archived_sessions'].flatMap((dir) =>
  readdirSync(join(REAL_HOME, dir)).map((name) => {
    const m = /^rollout-(.{19})-(.{36})\.jsonl$/.exec(name)!;
    return { rel: `${dir}/${name}`, id: m[2]!, stamp: m[1]! };
  }),
);

const tokens = ({ inputTokens, cachedInputTokens, outputTokens, reasoningOutputTokens, totalTokens }: Record<string, number>) => ({
  inputTokens,
  cachedInputTokens,
  outputTokens,
  reasoningOutputTokens,
  totalTokens,
});

function counted() {
  const files = FILES.map((f) => fileResponses(REAL_HOME, f.rel, f.id, stampToIso(f.stamp)));
  const byFile = countedResponses(files);
  return (filter: (rel: string) => boolean) =>
    FILES.filter((f) => filter(f.rel)).flatMap((f) =>
      byFile.get(f.rel)!.map((response) => ({ response, session: { id: f.id, cwd: null, source: 'exec', provider: 'mock' } })),
    );
}

describe('usage of the real Codex 0.169 corpus', () => {
  const prices = new PriceBook();

  it('equals ccusage-codex 18.0.11 daily --json --offline for sessions/', () => {
    const day = groupUsage(counted()((rel) => rel.startsWith('sessions/')), 'day', 'UTC', prices);
    expect(day.rows).toHaveLength(1);
    const row = day.rows[0]!;
    expect(row.key).toBe('2026-11-24');
    const { date: _date, models, ...figures } = CCUSAGE_DAILY_18_0_11;
    expect(tokens(row as unknown as Record<string, number>)).toEqual(figures);
    expect(Object.keys(row.byModel)).toEqual(models);
    expect(row.costUSD).toBeNull();
    expect(day.unpricedModels).toEqual(['mock-model']);
  });

  it('counts the whole home, archived sessions included, and every session route adds up to it', async () => {
    const all = groupUsage(counted()(() => true), 'month', 'UTC', prices);
    expect(tokens(all.totals as unknown as Record<string, number>)).toEqual(WHOLE_HOME);
    const app = await buildTestApp(REAL_HOME);
    const sum = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0, totalTokens: 0 };
    for (const f of FILES) {
      const res = await app.inject(`/conversations/${f.id}/usage`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += body.totals[k];
      expect(body.unpricedModels).toEqual(['mock-model']);
      expect(body.contextWindow).toBe(258400);
    }
    expect(sum).toEqual(WHOLE_HOME);
  });

  it('gives every file the same figures from its token_count events as from its token_usage_record lines (the fork too)', () => {
    for (const f of FILES) {
      const lines = readFileSync(join(REAL_HOME, f.rel), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const sum = (source: UsageResponse['source'], keep: (l: Record<string, unknown>) => boolean) => {
        const counter = new UsageCounter();
        const total = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0, totalTokens: 0 };
        lines.forEach((l, i) => {
          const r = keep(l) ? counter.feed(l, i + 1) : null;
          if (r?.source === source) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
        });
        return total;
      };
      const fromRecords = sum('record', () => true);
      expect(fromRecords.totalTokens, f.rel).toBeGreaterThan(0);
      expect(sum('token_count', (l) => l.type !== 'token_usage_record'), f.rel).toEqual(fromRecords);
    }
  });

  it.each(MODES)('GET /usage?archived=false equals ccusage, and the whole home is counted by default ($mode)', async ({ index }) => {
    const app = await appFor(await copyOfRealHome(), index);
    const day = await app.inject('/usage?groupBy=day&archived=false');
    expect(day.statusCode).toBe(200);
    const { date: _date, models, ...figures } = CCUSAGE_DAILY_18_0_11;
    const [row, ...rest] = day.json().rows;
    expect(rest).toEqual([]);
    expect(row.key).toBe('2026-11-24');
    expect(tokens(row)).toEqual(figures);
    expect(Object.keys(row.byModel)).toEqual(models);
    expect(tokens((await app.inject('/usage')).json().totals)).toEqual(WHOLE_HOME);
  });
});
