// Generated Codex homes for the team tests of pushed homes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelopeLines, tempHome, writeSession, type Line } from '../helper.js';
import { sessionMeta, tokenCount, turnContext, u, usageRecord, v7At } from '../usage-lines.js';

export const jsonl = (lines: Line[]) => lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join('');

/** A home with usage, a resumed and a forked session, an archived one, a rename, an untitled session and a non-session file. */
export async function generatedHome(): Promise<string> {
  const home = await tempHome();
  const a = v7At('2025-03-01T10:00:00Z', 1);
  const b = v7At('2025-03-02T10:00:00Z', 2);
  const fork = v7At('2025-03-03T10:00:00Z', 3);
  const usageOf = (ts: string, n: number) => {
    const used = u(100 * n, 10, 20 * n, 5);
    return [turnContext(ts, n % 2 ? 'gpt-5' : 'o3'), tokenCount(ts, used, used)];
  };
  await writeSession(home, { stamp: '2025-03-01T10-00-00', id: a, title: 'the first error test' }, [
    ...envelopeLines({ stamp: '2025-03-01T10-00-00', id: a, title: 'the first error test' }),
    ...usageOf('2025-03-01T10:01:00Z', 1),
  ]);
  // Resumed: a second file of the same session on a later day.
  await writeSession(home, { stamp: '2025-03-04T09-00-00', id: a, title: 'resumed: the function ok' }, [
    ...envelopeLines({ stamp: '2025-03-04T09-00-00', id: a, title: 'resumed: the function ok' }),
    usageRecord('2025-03-04T09:01:00Z', a, 'resp-1', u(500, 0, 50, 0), { model: 'gpt-5' }),
  ]);
  await writeSession(home, { stamp: '2025-03-02T10-00-00', id: b, title: 'second one', archived: true }, [
    ...envelopeLines({ stamp: '2025-03-02T10-00-00', id: b, title: 'second one' }),
    ...usageOf('2025-03-02T10:05:00Z', 2),
  ]);
  // A fork: its first meta names the parent, the parent's history is copied in.
  await writeSession(home, { stamp: '2025-03-03T10-00-00', id: fork }, [
    sessionMeta('2025-03-03T10:00:00Z', fork, { forked_from_id: a }),
    sessionMeta('2025-03-01T10:00:00Z', a),
    ...envelopeLines({ stamp: '2025-03-03T10-00-00', id: fork, title: 'forked test' }).slice(1),
    ...usageOf('2025-03-03T10:02:00Z', 3),
  ]);
  await writeSession(home, { stamp: '2025-03-05T10-00-00', id: v7At('2025-03-05T10:00:00Z', 5), title: null });
  const day = join(home, 'sessions/2025/03/05');
  await writeFile(join(day, `rollout-2025-03-05T11-00-00-${v7At('2025-03-05T11:00:00Z', 6)}.jsonl`), 'not json\n{"type":"x"}\n');
  await writeFile(join(home, 'session_index.jsonl'), `${JSON.stringify({ id: b, thread_name: 'renamed' })}\n`);
  return home;
}

