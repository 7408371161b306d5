// What the tests of team mode's read routes share: homes pushed by the real agent and indexed,
// read over real HTTP with a token of each role.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REAL_HOME, tempHome } from '../helper.js';
import { generatedHome } from './pushed-homes.js';
import { pushOnce, pushedUpkeep } from './pushed-index-helper.js';
import { startTeam, type Team } from './team-helper.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** GET `path` from the team server with `token` (and extra headers). */
export async function teamGet(team: Team, path: string, token: string | null, headers: Record<string, string> = {}): Promise<Answer> {
  const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${team.base}${path}`, { headers: { ...auth, ...headers } });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

export interface PushedTeam {
  team: Team;
  /** Each machine's home as it was pushed. */
  homes: Record<string, string>;
  read: string;
  usage: string;
  push: string;
}

/**
 * A team with the real fixture home pushed as `alice` and the generated one (resumed, forked,
 * archived, renamed, untitled) as `bob` and a copy as `carol` (every id of bob's on two machines, one
 * named otherwise),
 * indexed to the end before the test reads.
 */
export async function pushedTeam(): Promise<PushedTeam> {
  const team = await startTeam();
  const real = await tempHome();
  await cp(REAL_HOME, real, { recursive: true });
  const generated = await generatedHome();
  // carol holds bob's sessions, one of them named otherwise.
  const carol = await tempHome();
  await cp(generated, carol, { recursive: true });
  const named = JSON.parse(await readFile(join(carol, 'session_index.jsonl'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(carol, 'session_index.jsonl'), `${JSON.stringify({ ...named, thread_name: 'renamed on carol' })}\n`);
  const homes = { alice: real, bob: generated, carol };
  for (const [machine, home] of Object.entries(homes)) await pushOnce(team, await team.token('push', machine), home);
  const { upkeep } = pushedUpkeep(team);
  expect(await upkeep.run(true, true)).toBe(true);
  return { team, homes, read: await team.token('read'), usage: await team.token('usage'), push: await team.token('push', 'alice') };
}

/** A body without `machine` on its items (what a single-machine server answers lacks it). */
export function withoutMachine<T>(body: T): T {
  return JSON.parse(JSON.stringify(body), (key, value) => (key === 'machine' ? undefined : value)) as T;
}
