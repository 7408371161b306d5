import { Type } from 'typebox';
import { pattern } from './param-detail.js';
import { SOURCE_VALUES } from '../rollout/listing/filters.js';

/** A machine name as push tokens carry it (src/team/tokens.ts MACHINE_NAME). */
const MACHINE_PATTERN = pattern('^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', 'a machine name');
const MachineName = Type.String({ pattern: MACHINE_PATTERN, description: 'A machine name' });

/** Team mode: the machine a session id is read from, when it is on several (409 AMBIGUOUS_ID otherwise). */
export const machineChoice = {
  machine: Type.Optional(
    Type.String({
      pattern: MACHINE_PATTERN,
      description: 'Team mode: the machine to read the session from, when the id is on several (400 on a single machine)',
    }),
  ),
};

/** The `machine` of a request about one session, as findById takes it. */
export function chosenMachine(query: { machine?: string | undefined }): string[] | undefined {
  return query.machine === undefined ? undefined : [query.machine];
}

/** The filters on what a session is (its project, source, provider): the list, search and usage take them. */
export const sessionSelectors = {
  cwd: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      maxItems: 50,
      description: 'Session cwd, exact after normalisation (trailing slashes, . and .. segments); repeatable',
    }),
  ),
  source: Type.Optional(
    Type.Array(Type.Enum([...SOURCE_VALUES]), {
      maxItems: 8,
      description: 'Where the session came from; interactive = cli + vscode; repeatable',
    }),
  ),
  agent: Type.Optional(
    Type.Array(Type.Enum(['codex', 'claude']), {
      maxItems: 2,
      description:
        'The agent that wrote the session: codex (Codex CLI) or claude (Claude Code); repeatable. An agent not served gives nothing',
    }),
  ),
  provider: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 50,
      description: 'Model provider; a session without one counts as openai; repeatable',
    }),
  ),
  machine: Type.Optional(
    Type.Array(MachineName, {
      maxItems: 50,
      description: 'Team mode: sessions pushed by this machine; repeatable (400 on a single machine)',
    }),
  ),
};
