/**
 * The index home of a machine's pushed Codex home. A local home's id is `<hostname>:<absolute
 * path>` (rollout/index/identity.ts homeId); a machine name starts with a letter or digit, so
 * `pushed:<machine>` never equals one. One pushed home per machine (a push token is one machine's).
 */
export const PUSHED_PREFIX = 'pushed:';

export const pushedHome = (machine: string): string => `${PUSHED_PREFIX}${machine}`;

/** The machine of a pushed home, or null for any other home. */
export function machineOf(home: string): string | null {
  return home.startsWith(PUSHED_PREFIX) ? home.slice(PUSHED_PREFIX.length) : null;
}
