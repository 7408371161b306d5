// Team mode in the dashboard (docs/dashboard.md, "Team mode"): which machine pushed a session. A
// server over one home has no machines, and none of this shows there.
import { useEffect, useState } from 'preact/hooks';
import { knownReadiness, readiness } from '../api/readiness.js';
import type { Readiness } from '../api/types.js';

const machinesOf = (ready: Readiness | null) => (ready?.mode === 'team' && Array.isArray(ready.machines) ? ready.machines : null);

/**
 * A team server's machines (GET /readyz `machines`, asked once per page load), in bytewise order;
 * null over one home, and until the server has said.
 */
export function useMachines(): readonly string[] | null {
  const [machines, setMachines] = useState(() => machinesOf(knownReadiness()));
  useEffect(() => {
    if (machines !== null) return;
    let live = true;
    void readiness().then((ready) => live && setMachines(machinesOf(ready)));
    return () => {
      live = false;
    };
  }, []);
  return machines;
}

/** A machine name as a team server gives it (src/team/tokens.ts): anything else in a link is ignored. */
export const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The `machine=` of a link, when it is a machine name. */
export function machineParam(query: URLSearchParams): string | undefined {
  const machine = query.get('machine');
  return machine !== null && MACHINE_NAME.test(machine) ? machine : undefined;
}

/**
 * Which machine pushed a session, when the item says (`machine`, team mode). On list rows only when
 * the team has more than one machine: a one-machine team would carry the same badge on every row.
 */
export function MachineBadge({ machine, always = false }: { machine: string | undefined; always?: boolean }) {
  const machines = useMachines();
  if (machine === undefined || (!always && (machines === null || machines.length < 2))) return null;
  return (
    <span class="badge machine" title={`Pushed by the machine ${machine}`}>
      {machine}
    </span>
  );
}

/** A machine filter's options: any, then every machine (and the one chosen, should it be gone). */
export function machineOptions(machines: readonly string[], chosen: string, any: string): [string, string][] {
  const names = [...new Set([...machines, chosen])].filter((m) => m !== '');
  return [['', any], ...names.map((m): [string, string] => [m, m])];
}
