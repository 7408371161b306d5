// The same checks over both sources' SessionSource on the real fixture homes: what the layers
// above rely on of any source, whichever agent wrote the files.
import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS, type ReadEnv } from '../../../src/rollout/reading/session-reader.js';
import { claudeSource } from '../../../src/rollout/sources/claude/index.js';
import { codexSource } from '../../../src/rollout/sources/codex/index.js';
import { normalizeRecord } from '../../../src/rollout/sources/codex/formats.js';
import type { UsageCounter } from '../../../src/rollout/sources/codex/usage-counter.js';
import type { ClaudeUsageCounter } from '../../../src/rollout/sources/claude/usage-counter.js';
import type { SearchDoc } from '../../../src/rollout/sources/common/search-doc.js';
import type { OpenConversation, SessionSource, SourceShapes } from '../../../src/rollout/sources/source.js';
import type { JsonRecord, RolloutFile, RolloutLogger } from '../../../src/rollout/types.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const quiet: RolloutLogger = { debug: () => {}, warn: () => {} };

/** What the checks need of a source besides the seam: how its counter and extractor take a parsed line. */
interface Case {
  source: SessionSource<SourceShapes>;
  home: string;
  count(counter: unknown, record: JsonRecord, lineNo: number): boolean;
  docs(record: JsonRecord, state: unknown): SearchDoc[];
}

const CASES: Case[] = [
  {
    source: codexSource as unknown as SessionSource<SourceShapes>,
    home: `${FIXTURES}/codex-home-real`,
    count: (counter, record, lineNo) => (counter as UsageCounter).feed(record, lineNo) !== null,
    docs: (record, state) => {
      const doc = codexSource.search.docOf(normalizeRecord(record), state as ReturnType<typeof codexSource.search.initial>);
      return doc === null ? [] : [doc];
    },
  },
  {
    source: claudeSource as unknown as SessionSource<SourceShapes>,
    home: `${FIXTURES}/claude-home-real`,
    count: (counter, record, lineNo) => (counter as ClaudeUsageCounter).feed(record, lineNo) !== null,
    docs: (record) => [...(claudeSource.search.docOf(record, null) ?? [])],
  },
];

async function recordsOf(conversation: OpenConversation): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  for await (const event of conversation.records()) {
    if (event.kind !== 'record') continue;
    const chunks: Buffer[] = [];
    for await (const chunk of conversation.textOf(event.text)) chunks.push(chunk);
    out.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonRecord);
  }
  return out;
}

describe.each(CASES)('the $source.agent source on its real fixture home', (c) => {
  it('discovers, lists, opens, counts and extracts every session the same way', async () => {
    const walker = c.source.walker(c.home);
    const budget = new MemoryBudget(64 * 1024 * 1024, 5_000);
    const env: ReadEnv = { realRoot: await realpath(c.home), limits: DEFAULT_READ_LIMITS, budget };
    expect(await c.source.homeState(c.home)).toBe('ready');
    const files: RolloutFile[] = [];
    for await (const file of walker.everyFile()) files.push(file);
    expect(files.length).toBeGreaterThan(1);
    let responses = 0;
    let docs = 0;
    for (const file of files) {
      expect(walker.fileAt(file.relPath)?.id).toBe(file.id);
      expect(c.source.parseKey(file.key)).toBe(file.key);
      const listed = await c.source.readListing(file, 2, 2, env, quiet);
      expect(listed?.read?.summary.id).toBe(file.id);
      expect(listed?.read?.head.length).toBeGreaterThan(0);
      const conversation = (await c.source.openConversation(file, null, env, quiet)) as OpenConversation;
      try {
        expect(conversation.summary.id).toBe(file.id);
        expect(conversation.summary.createdAt).toBe(listed?.read?.summary.createdAt);
        const records = await recordsOf(conversation);
        expect(records.length).toBeGreaterThan(0);
        const counter = c.source.usageCounter();
        const state = c.source.search.initial();
        records.forEach((record, i) => {
          if (c.count(counter, record, i + 1)) responses += 1;
          docs += c.docs(record, state).length;
        });
      } finally {
        await conversation.close();
      }
      expect(c.source.isArchivedPath(file.relPath)).toBe(file.archived);
    }
    expect(responses).toBeGreaterThan(0);
    expect(docs).toBeGreaterThan(0);
    const [first] = files;
    expect((await c.source.filesClaiming(walker, first!.id)).map((f) => f.relPath)).toContain(first!.relPath);
    expect(c.source.parseKey('not a key')).toBeNull();
    expect(c.source.keyBounds.first < c.source.keyBounds.last).toBe(true);
  });
});
