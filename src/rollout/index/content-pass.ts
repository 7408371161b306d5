import type { FileStamp } from '../files/file-stamp.js';
import { contentLines } from '../sources/codex/content-lines.js';
import { openRollout, type ByteSource, type ReadEnv } from '../reading/session-reader.js';
import { claudeLineDocs, lineDoc } from '../search/file-docs.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { RolloutFile } from '../types.js';
import type { UsageResponse } from '../sources/common/usage-response.js';
import { claude, codex, type AgentName } from '../sources/registry.js';
import { claudeUsageResponse } from '../usage/claude-usage.js';
import { initialClaudeCounterState, restoreClaudeCounterState } from '../sources/claude/usage-counter.js';
import type { CounterState } from '../sources/codex/usage-counter.js';
import type { NormalizedRecord } from '../sources/common/normalized-record.js';
import type { ContentState } from './content-state.js';
import type { JsonRecord } from '../types.js';
import { fingerprint } from './identity.js';
import type { ContentPosition } from './store.js';
import { SLICE_WEIGHT, type WriteBatch } from './write-batch.js';

/**
 * Content held before it is written: bounds the memory one file's pass holds, whatever its size,
 * and keeps one operation within a write slice (write-batch.ts SLICE_WEIGHT), which cannot split it.
 */
const FLUSH_CHARS = SLICE_WEIGHT / 2;
const FLUSH_ITEMS = 100;

/** Bytes to index and what they are (the stamp fields that tell a replaced file). */
export interface OpenedBytes {
  stat: { dev: number; ino: number; size: number };
  source: ByteSource;
  close(): Promise<void>;
}

/**
 * Reads a file's complete lines from `from` up to `stamp.size` and queues their content (search
 * documents, usage responses) in `batch`, in steps of bounded size, each with a checkpoint and
 * the fingerprint of the bytes before it: an interrupted pass resumes where it stopped, and an
 * append is read from the previous end on. Returns the end position, or null when the file on
 * disk is no longer the one stamped (replaced meanwhile: the next update starts over). `open`
 * gives the bytes (the local file by default; a pushed file's from the team database).
 */
export async function indexContent(
  batch: WriteBatch,
  file: RolloutFile,
  from: ContentPosition,
  stamp: FileStamp,
  env: ReadEnv,
  open: () => Promise<OpenedBytes> = () => openRollout(file, env.realRoot),
  agent: AgentName = 'codex',
): Promise<ContentPosition | null> {
  const opened = await open();
  const { stat, source } = opened;
  try {
    if (stat.ino !== stamp.ino || stat.dev !== stamp.dev || stat.size < stamp.size) return null;
    const position: ContentPosition = { ...from, state: structuredClone(from.state) };
    const counter = usageCounterOf(agent, position.state.usage);
    let docs: LocatedDoc[] = [];
    let responses: UsageResponse[] = [];
    let chars = 0;
    let queuedFrom = from.offset;
    const queue = async (doneAtSize?: number) => {
      const [found, counted] = [docs, responses];
      position.state.usage = counter.checkpoint; // without `seen`: the store has its keys (IndexStore.responseKeys)
      const at = { ...position, state: structuredClone(position.state) };
      const hasRecords = counter.hasRecords;
      [docs, responses, chars] = [[], [], 0];
      const print = await fingerprint(source, at.offset);
      const { relPath } = file;
      const from = queuedFrom;
      batch.add({ kind: 'content', relPath, from, docs: found, responses: counted, hasRecords, at, fingerprint: print, doneAtSize });
      queuedFrom = at.offset;
    };
    for await (const content of contentLines(source, from, stamp.size, env)) {
      // A Claude line: its search docs (its usage is counted below, by the Claude counter).
      const claudeDocs = agent === 'claude' ? claudeLineDocs(content.line) : null;
      for (const doc of claudeDocs ?? []) {
        docs.push(doc);
        chars += doc.text.length;
      }
      const doc = claudeDocs === null ? lineDoc(content, position.state.search) : null;
      if (doc !== null) {
        docs.push(doc);
        chars += doc.text.length;
      }
      const { line, record } = content;
      const response = record !== null && line.record !== null ? counter.feed(line.record, line.lineNo, record) : null;
      if (response !== null) responses.push(response);
      position.offset = line.end;
      position.lineNo = line.lineNo + 1;
      if (chars >= FLUSH_CHARS || docs.length + responses.length >= FLUSH_ITEMS) {
        await queue();
        await batch.flush();
      }
    }
    await queue(stamp.size);
    return position;
  } finally {
    await opened.close();
  }
}

/** What the content pass needs of a source's usage counter, in the common layout (usage/claude-usage.ts). */
interface ContentCounter {
  feed(record: JsonRecord, lineNo: number, normalized: NormalizedRecord): UsageResponse | null;
  readonly checkpoint: ContentState['usage'];
  /** Codex's rule 1 flag (the file has token_usage_record lines); false for Claude. */
  readonly hasRecords: boolean;
}

/** The counter of a file of `agent`, resumed from `state` (a state of the other source's shape starts over). */
function usageCounterOf(agent: AgentName, state: ContentState['usage']): ContentCounter {
  if (agent === 'claude') {
    const restored = restoreClaudeCounterState(state);
    // A fresh file's state is the Codex initial one (initialContentState): Claude's starts over.
    const counter = claude.usageCounter(restored !== null && 'lastTimestamp' in restored ? restored : initialClaudeCounterState());
    return {
      feed: (record, lineNo) => {
        const r = counter.feed(record, lineNo);
        return r === null ? null : claudeUsageResponse(r);
      },
      get checkpoint() {
        return counter.checkpoint;
      },
      hasRecords: false,
    };
  }
  const counter = codex.usageCounter(state as CounterState);
  return {
    feed: (record, lineNo, normalized) => counter.feed(record, lineNo, normalized),
    get checkpoint() {
      return counter.checkpoint;
    },
    get hasRecords() {
      return !counter.countsTokenCount;
    },
  };
}
