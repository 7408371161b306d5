import { appendFile, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { REAL_HOME } from '../helper.js';
import { runCli, startCli } from './cli-run.js';
import { describePg } from './pg.js';
import { heldBytes, startTeam, type Team } from './team-helper.js';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length > 0) await rm(dirs.pop() as string, { recursive: true, force: true });
});

async function copyOfRealHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'codex-push-home-'));
  dirs.push(home);
  await cp(REAL_HOME, home, { recursive: true });
  await writeFile(join(home, 'session_index.jsonl'), '{"id":"01a20b7f-b328-76c3-845d-05f34097390d","thread_name":"A name"}\n');
  return home;
}

/** Every entry of the home with its kind, length, mode and times: the agent must change none of it. */
async function snapshot(home: string): Promise<string[]> {
  const entries = (await readdir(home, { recursive: true })).sort();
  return Promise.all(entries.map(async (e) => {
    const s = await stat(join(home, e));
    return `${e} ${s.isDirectory() ? 'd' : 'f'} ${s.size} ${s.mode} ${s.mtimeMs} ${s.ctimeMs}`;
  }));
}

async function localFiles(home: string): Promise<string[]> {
  const entries = (await readdir(home, { recursive: true })) as string[];
  const files: string[] = [];
  for (const e of entries) if (e.endsWith('.jsonl') && (await stat(join(home, e))).isFile()) files.push(e);
  return files.sort();
}

/** The server holds exactly the home's pushable files, byte for byte. */
async function expectMirrored(team: Team, home: string): Promise<void> {
  const local = await localFiles(home);
  const { rows } = await team.db.query<{ path: string }>("SELECT path FROM cs_files WHERE machine = 'alice' ORDER BY path COLLATE \"C\"");
  expect(rows.map((r) => r.path)).toEqual([...local].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const path of local) {
    const held = await heldBytes(team.db, 'alice', path);
    expect(held?.equals(await readFile(join(home, path))), path).toBe(true);
  }
}

async function changeMarks(team: Team): Promise<{ seq: string; chunks: number }> {
  const { rows } = await team.db.query(
    'SELECT (SELECT max(change_seq)::text FROM cs_files) AS seq, (SELECT count(*)::int FROM cs_chunks) AS chunks',
  );
  return rows[0];
}

async function pushOnce(team: Team, token: string, home: string) {
  const run = await runCli(['push', '--server', team.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: token });
  expect(run.code, run.stderr).toBe(0);
  return run;
}

describePg('codex-sessions push', () => {
  it('mirrors a copy of the real home byte for byte; a second run sends nothing; the home is never written', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await copyOfRealHome();
    const before = await snapshot(home);
    const first = await pushOnce(team, token, home);
    expect(first.stderr).toContain(`as machine alice`);
    expect(first.stderr).toMatch(/push: 26 files sent \(1\.\d MB in [\d.]+ s, [\d.]+ MB\/s\)/);
    await expectMirrored(team, home);
    const marks = await changeMarks(team);
    const second = await pushOnce(team, token, home);
    expect(second.stderr).toMatch(/push: 0 files sent \(0\.0 MB/);
    expect(await changeMarks(team)).toEqual(marks);
    expect(await snapshot(home)).toEqual(before);
  });

  it('sends only appended bytes; replaces a rewritten file; moves an archived one; removes a deleted one', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await copyOfRealHome();
    await pushOnce(team, token, home);
    const [appended, rewritten, archived, deleted] = (await localFiles(home)).filter((p) => p.startsWith('sessions/'));
    const { rows: ids } = await team.db.query('SELECT id FROM cs_files WHERE path = $1', [archived]);

    await appendFile(join(home, appended as string), '{"type":"event_msg","payload":{"type":"agent_message","message":"more"}}\n');
    // Same length, one byte changed near the start: only a content comparison can tell.
    const original = await readFile(join(home, rewritten as string));
    const changed = Buffer.from(original);
    changed[20] = changed[20] === 0x41 ? 0x42 : 0x41;
    await writeFile(join(home, rewritten as string), changed);
    const archivedTo = `archived_sessions/${(archived as string).split('/').pop()}`;
    await rename(join(home, archived as string), join(home, archivedTo));
    await unlink(join(home, deleted as string));

    const { rows: chunksBefore } = await team.db.query('SELECT count(*)::int AS n FROM cs_chunks');
    const run = await pushOnce(team, token, home);
    expect(run.stderr).toContain(`moved ${archived} -> ${archivedTo}`);
    expect(run.stderr).toContain(`deleted ${deleted} (gone from the home)`);
    expect(run.stderr).toMatch(/push: 2 files sent \([\d.]+ MB in [\d.]+ s, [\d.]+ MB\/s\), 1 replaced, 1 moved, 1 deleted/);
    await expectMirrored(team, home);
    // The append is one new chunk at the old end; the move kept the file's identity.
    const { rows: chunksAfter } = await team.db.query('SELECT count(*)::int AS n FROM cs_chunks');
    expect(chunksAfter[0].n).toBeLessThanOrEqual(chunksBefore[0].n + 1);
    const { rows: moved } = await team.db.query('SELECT id FROM cs_files WHERE path = $1', [archivedTo]);
    expect(moved[0].id).toBe(ids[0].id);
    expect((await pushOnce(team, token, home)).stderr).toMatch(/push: 0 files sent \(0\.0 MB/);
  });

  it('killed with SIGKILL mid-push and started again: nothing lost, nothing sent twice', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await copyOfRealHome();
    // A 16 MB session: four pieces of at most 4 MiB (MAX_PUSH_BYTES), so that a kill can fall
    // between two of them. The sums below count the real home's 1 MB of small files too: the kills
    // fall after those, after the second piece and after the third; the last run sends the fourth.
    const big = 'sessions/2026/11/25/rollout-2026-11-25T10-00-00-01a20b7f-0000-7000-8000-000000000001.jsonl';
    await mkdir(join(home, 'sessions/2026/11/25'), { recursive: true });
    const line = `{"type":"event_msg","payload":{"type":"agent_message","message":"${'x'.repeat(1000)}"}}\n`;
    await writeFile(join(home, big), line.repeat(15_000));
    for (const killAt of [1, 8 * 1024 * 1024, 12 * 1024 * 1024]) {
      const agent = startCli(['push', '--server', team.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: token });
      let exited = false;
      void agent.done.then(() => (exited = true));
      for (;;) {
        const { rows } = await team.db.query("SELECT coalesce(sum(size), 0)::bigint AS n FROM cs_files WHERE machine = 'alice'");
        if (Number(rows[0].n) >= killAt || exited) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      agent.child.kill('SIGKILL');
      await agent.done;
    }
    await pushOnce(team, token, home);
    await expectMirrored(team, home);
    // Every chunk starts where the one before it ended: no byte was stored twice.
    const { rows } = await team.db.query(`SELECT count(*)::int AS bad FROM (
      SELECT "offset", lag("offset") OVER w + lag(length(data)) OVER w AS expected
        FROM cs_chunks WINDOW w AS (PARTITION BY file_id ORDER BY "offset")
    ) c WHERE expected IS NOT NULL AND expected <> "offset"`);
    expect(rows[0].bad).toBe(0);
  });

  it('keeps watching without --once and sends a change', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await copyOfRealHome();
    const agent = startCli(['push', '--server', team.base, '--codex-home', home], { CODEX_SESSIONS_TOKEN: token });
    try {
      const files = await localFiles(home);
      await expect.poll(async () => (await team.db.query("SELECT count(*)::int AS n FROM cs_files")).rows[0].n).toBe(files.length);
      const path = files.find((p) => p.startsWith('sessions/')) as string;
      await appendFile(join(home, path), '{"type":"event_msg","payload":{"type":"agent_message","message":"watched"}}\n');
      const expected = await readFile(join(home, path));
      await expect.poll(async () => (await heldBytes(team.db, 'alice', path))?.equals(expected)).toBe(true);
      const fresh = 'sessions/2026/11/24/rollout-2026-11-24T09-00-00-01a20b7f-0000-7000-8000-000000000002.jsonl';
      await writeFile(join(home, fresh), '{"type":"session_meta"}\n');
      await expect.poll(async () => (await heldBytes(team.db, 'alice', fresh))?.toString()).toBe('{"type":"session_meta"}\n');
    } finally {
      agent.child.kill('SIGTERM');
      await agent.done;
    }
  });

  it('refuses clearly: no token, a read token, no server, a directory that is not a Codex home', async () => {
    const team = await startTeam();
    const home = await copyOfRealHome();
    const empty = await mkdtemp(join(tmpdir(), 'not-a-home-'));
    dirs.push(empty);
    const read = await team.token('read');
    const push = await team.token('push', 'alice');
    const cases: [string[], NodeJS.ProcessEnv, number, string][] = [
      [['push', '--server', team.base, '--codex-home', home, '--once'], {}, 2, 'push needs a push token in CODEX_SESSIONS_TOKEN'],
      [['push', '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: push }, 2, 'push needs --server'],
      [['push', '--server', team.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: read }, 1, '403 WRONG_ROLE'],
      [['push', '--server', team.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: 'cst_nope' }, 1, '401 UNAUTHORIZED'],
      [['push', '--server', team.base, '--codex-home', empty, '--once'], { CODEX_SESSIONS_TOKEN: push }, 1, 'not a Codex home'],
    ];
    // At once: each refusal is a CLI start of its own, none writes anything.
    const runs = await Promise.all(cases.map(([args, env]) => runCli(args, env)));
    cases.forEach(([, , code, message], i) => {
      expect(runs[i]!.code, runs[i]!.stderr).toBe(code);
      expect(runs[i]!.stderr).toContain(message);
    });
    const { rows } = await team.db.query('SELECT count(*)::int AS n FROM cs_files');
    expect(rows[0].n).toBe(0);
  });
});
