// A small Claude home with one case per UTC day, each a place where this service's counting
// rules (docs/claude.md, "Usage rules") and ccusage's differ, or a control where they agree:
// bench/claude-vs-ccusage.mjs runs both over it, so that every difference it prints has a
// case that shows it alone. The cases are written here, not found in the real files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const CWD = '/tmp/claude-cases';
const PROJECT = 'projects/-tmp-claude-cases';
const SONNET = 'claude-sonnet-4-5-20250929';
const OPUS_46 = 'claude-opus-4-6';
const sid = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** What each day of the home shows, and why the two counts differ there (null: they must agree). */
export const CASES = {
  '2026-01-01': {
    what: 'one response on a sidechain line in an older file and on a main-chain line in a newer one',
    why: 'ccusage keeps the copy in the file with the earliest timestamp (here the sub-agent\'s opening usage, ' +
      'output 4); we prefer the main-chain copy (output 400)',
  },
  '2026-01-02': {
    what: 'cache writes with a 1-hour lifetime (`cache_creation.ephemeral_1h_input_tokens`)',
    why: 'ccusage reads only `cache_creation_input_tokens` and prices every write at the 5-minute rate; ' +
      'we price 1-hour writes at the 1-hour rate (2x input instead of 1.25x)',
  },
  '2026-01-03': {
    what: 'a response line without `timestamp`, and one whose timestamp has an offset (`+00:00`)',
    why: 'ccusage drops a line whose timestamp is missing or not `...Z`; we date the first by the line before it ' +
      'and read the second as the same instant',
  },
  '2026-01-04': {
    what: 'a model neither price table knows (`claude-nova-9`)',
    why: 'same tokens; ccusage counts it $0, we leave its cost unknown (null, "not priced")',
  },
  '2026-01-05': {
    what: 'a `.jsonl` under projects/ that is not a session (`notes.jsonl`)',
    why: 'ccusage reads every `projects/**/*.jsonl`; we read only `<uuid>.jsonl` and `subagents/agent-*.jsonl`',
  },
  '2026-01-06': {
    what: 'a response in `fast` mode (`usage.speed: "fast"`, Opus 4.6)',
    // Both name the model `claude-opus-4-6-fast` and price it at 6× (docs/usage.md, "Both agents"): a control now.
    why: null,
  },
  '2026-01-07': {
    what: 'controls: a response split into three lines, an API error (529), a response without `requestId`',
    why: null,
  },
};

function usage(input, write, read, output, extra = {}) {
  return { input_tokens: input, cache_creation_input_tokens: write, cache_read_input_tokens: read, output_tokens: output, ...extra };
}

function line(session, at, fields) {
  return { parentUuid: null, isSidechain: false, userType: 'external', entrypoint: 'cli', cwd: CWD, sessionId: session,
    version: '2.1.197', gitBranch: 'main', ...(at === undefined ? {} : { timestamp: at }), ...fields };
}

const prompt = (session, at, text, n) => line(session, at, { type: 'user', uuid: sid(9000 + n), message: { role: 'user', content: text } });

function answer(session, at, n, { model = SONNET, id = `msg_case${n}`, req = `req_case${n}`, u, sidechain = false, extra = {} }) {
  const message = { id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: `answer ${n}` }],
    stop_reason: 'end_turn', usage: u };
  return line(session, at, { type: 'assistant', uuid: sid(8000 + n), isSidechain: sidechain, message,
    ...(req === null ? {} : { requestId: req }), ...extra });
}

const jsonl = (records) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Writes the cases home into `dir` (which must not exist or be empty). */
export async function writeCasesHome(dir) {
  const files = {};
  const put = (rel, records) => {
    files[rel] = jsonl(records);
  };
  // 01: the sub-agent file of session 1 starts before session 2, which holds the main-chain copy.
  const s1 = sid(1);
  const s2 = sid(2);
  put(`${PROJECT}/${s1}.jsonl`, [prompt(s1, '2026-01-01T09:59:00.000Z', 'start a sub-agent', 1)]);
  put(`${PROJECT}/${s1}/subagents/agent-a0000000000000001.jsonl`, [
    { ...answer(s1, '2026-01-01T10:00:00.000Z', 1, { u: usage(3, 1000, 0, 4), sidechain: true }), agentId: 'a0000000000000001' },
  ]);
  put(`${PROJECT}/${s2}.jsonl`, [
    prompt(s2, '2026-01-01T10:05:00.000Z', 'carry on', 2),
    answer(s2, '2026-01-01T10:05:01.000Z', 1, { u: usage(3, 1000, 0, 400) }),
  ]);
  // 02: 1-hour cache writes.
  const s3 = sid(3);
  put(`${PROJECT}/${s3}.jsonl`, [
    prompt(s3, '2026-01-02T10:00:00.000Z', 'cache for an hour', 3),
    answer(s3, '2026-01-02T10:00:01.000Z', 2, { u: usage(5, 10_000, 2_000, 50,
      { cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 10_000 } }) }),
  ]);
  // 03: no timestamp; an offset timestamp.
  const s4 = sid(4);
  put(`${PROJECT}/${s4}.jsonl`, [
    prompt(s4, '2026-01-03T10:00:00.000Z', 'times', 4),
    answer(s4, undefined, 3, { u: usage(7, 300, 0, 30) }),
    answer(s4, '2026-01-03T12:00:00+00:00', 4, { u: usage(11, 500, 0, 70) }),
  ]);
  // 04: an unknown model.
  const s5 = sid(5);
  put(`${PROJECT}/${s5}.jsonl`, [
    prompt(s5, '2026-01-04T10:00:00.000Z', 'new model', 5),
    answer(s5, '2026-01-04T10:00:01.000Z', 5, { model: 'claude-nova-9', u: usage(13, 700, 100, 90) }),
  ]);
  // 05: a file that is not a session.
  put(`${PROJECT}/notes.jsonl`, [answer(sid(6), '2026-01-05T10:00:00.000Z', 6, { u: usage(17, 900, 0, 110) })]);
  // 06: fast mode.
  const s7 = sid(7);
  put(`${PROJECT}/${s7}.jsonl`, [
    prompt(s7, '2026-01-06T10:00:00.000Z', 'fast', 7),
    answer(s7, '2026-01-06T10:00:01.000Z', 7, { model: OPUS_46, u: usage(19, 1_100, 300, 130, { speed: 'fast' }) }),
  ]);
  // 07: controls.
  const s8 = sid(8);
  const split = (at, k) => {
    const r = answer(s8, at, 8, { u: usage(23, 1_300, 400, 150) });
    return { ...r, uuid: sid(8800 + k) };
  };
  put(`${PROJECT}/${s8}.jsonl`, [
    prompt(s8, '2026-01-07T10:00:00.000Z', 'controls', 8),
    split('2026-01-07T10:00:01.000Z', 1),
    split('2026-01-07T10:00:02.000Z', 2),
    split('2026-01-07T10:00:03.000Z', 3),
    answer(s8, '2026-01-07T10:00:04.000Z', 9, { model: '<synthetic>', u: usage(0, 0, 0, 0),
      extra: { isApiErrorMessage: true, error: 'overloaded' } }),
    answer(s8, '2026-01-07T10:00:05.000Z', 10, { req: null, u: usage(29, 1_500, 500, 170) }),
  ]);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}
