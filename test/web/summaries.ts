import type { SessionSummary } from '../../web/src/api/types.js';
import { uuidN } from '../helper.js';

/** A Codex session's summary as the dashboard receives it: session `n` (its id and file name), with `overrides`. */
export function webSummary(n: number, overrides: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id: uuidN(n),
    path: `sessions/2025/10/01/rollout-2025-10-01T08-00-0${n}-${uuidN(n)}.jsonl`,
    createdAt: '2025-10-01T08:00:00.000Z',
    updatedAt: '2025-10-01T08:00:00.000Z',
    sizeBytes: 100,
    title: null,
    name: null,
    cwd: '/w',
    source: 'cli',
    originator: 'codex_cli_rs',
    cliVersion: '0.169.0',
    modelProvider: 'openai',
    git: null,
    forkedFromId: null,
    archived: false,
    usage: null,
    ...overrides,
  } as SessionSummary;
}
