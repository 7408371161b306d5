// A push with no change asks for one digest of what the server holds, not for the listing of
// every file (docs/team.md, "The push agent"): it answers fast even while the server indexes.
import { appendFile, cp, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { holdingsDigest } from '../../src/team/ingest/layout.js';
import { scanHome } from '../../src/team/push/local-tree.js';
import { REAL_HOME } from '../helper.js';
import { runCli } from './cli-run.js';
import { describePg } from './pg.js';
import { startTeam } from './team-helper.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/**
 * A pass-through proxy to `target` that records each request's method and path; a request for
 * which `drop` answers true has its connection reset instead (before it reaches the server), one
 * for which `lose` does after the server answered (it landed; the pusher cannot know).
 */
async function recordingProxy(
  target: string,
  drop: (request: string) => boolean = () => false,
  lose: (request: string) => boolean = () => false,
): Promise<{ base: string; seen: string[] }> {
  const seen: string[] = [];
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url?.split('?')[0]}`);
    if (drop(seen.at(-1)!)) return void req.socket.destroy();
    const options = { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers };
    const lost = lose(seen.at(-1)!);
    const upstream = httpRequest(options, (answer) => {
      if (lost) return void answer.resume().on('end', () => req.socket.destroy());
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, seen };
}

describePg('the no-change check of the push agent', () => {
  it('is one digest request when nothing changed; any change of a length, a time or a file set lists and sends', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await mkdtemp(join(tmpdir(), 'codex-push-digest-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await cp(REAL_HOME, home, { recursive: true });
    await writeFile(join(home, 'session_index.jsonl'), '{"id":"01a20b7f-b328-76c3-845d-05f34097390d","thread_name":"A name"}\n');
    const proxy = await recordingProxy(team.base);
    const push = async () => {
      proxy.seen.length = 0;
      const run = await runCli(['push', '--server', proxy.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: token });
      expect(run.code, run.stderr).toBe(0);
      return { sent: /push: (\d+) files sent/.exec(run.stderr)?.[1], requests: [...proxy.seen] };
    };
    const serverDigest = async () => {
      const response = await fetch(`${team.base}/push/alice/digest`, { headers: { authorization: `Bearer ${token}` } });
      return (await response.json()) as { machine: string; files: number; digest: string };
    };
    const localDigest = () =>
      holdingsDigest([...scanHome(home).values()].map((f) => ({ path: f.path, size: f.size, mtimeMs: Math.floor(f.mtimeMs) })));

    expect(await serverDigest()).toMatchObject({ machine: 'alice', files: 0 });
    const first = await push();
    expect(first.requests).toContain('GET /push/alice/files');
    // The server's digest, computed in SQL, is the agent's of the home it pushed.
    expect(await serverDigest()).toEqual({ machine: 'alice', files: scanHome(home).size, digest: localDigest() });

    const again = await push();
    expect(again).toEqual({ sent: '0', requests: ['GET /push/whoami', 'GET /push/alice/digest'] });

    // A new mtime alone: listed, compared by content, nothing sent, and in step again.
    const [session] = [...scanHome(home).keys()].filter((p) => p.startsWith('sessions/'));
    await utimes(join(home, session!), new Date(), new Date(Date.now() + 5000));
    expect(await serverDigest()).not.toMatchObject({ digest: localDigest() });
    const touched = await push();
    expect(touched.requests).toContain('GET /push/alice/files');
    await appendFile(join(home, session!), '{"type":"event_msg","payload":{"type":"agent_message","message":"more"}}\n');
    expect((await push()).sent).toBe('1');
    expect(await serverDigest()).toMatchObject({ digest: localDigest() });
    await rm(join(home, session!));
    const gone = await push();
    expect(gone.requests).toContain(`DELETE /push/alice/files/${session}`);
    expect(await serverDigest()).toMatchObject({ files: scanHome(home).size, digest: localDigest() });
    expect((await push()).requests).toEqual(['GET /push/whoami', 'GET /push/alice/digest']);
  });

  it('push --once meets a connection reset midway: it passes again and ends with everything sent', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await mkdtemp(join(tmpdir(), 'codex-push-reset-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await cp(REAL_HOME, home, { recursive: true });
    let batches = 0;
    const proxy = await recordingProxy(team.base, (request) => request === 'POST /push/alice/batch' && ++batches === 1);
    const run = await runCli(['push', '--server', proxy.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: token });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/trying again/);
    expect(proxy.seen.filter((r) => r === 'POST /push/alice/batch').length).toBeGreaterThan(1);
    const { rows } = await team.db.query<{ n: number }>("SELECT count(*)::int AS n FROM cs_files WHERE machine = 'alice'");
    expect(rows[0]!.n).toBe(scanHome(home).size);
    const held = await fetch(`${team.base}/push/alice/digest`, { headers: { authorization: `Bearer ${token}` } });
    const local = [...scanHome(home).values()].map((f) => ({ path: f.path, size: f.size, mtimeMs: Math.floor(f.mtimeMs) }));
    expect(((await held.json()) as { digest: string }).digest).toBe(holdingsDigest(local));
  });

  it('push --once whose answer is lost after its batch landed says in all what it sent, not "0 files sent"', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const home = await mkdtemp(join(tmpdir(), 'codex-push-lost-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await cp(REAL_HOME, home, { recursive: true });
    const files = scanHome(home).size;
    let batches = 0;
    const proxy = await recordingProxy(team.base, () => false, (request) => request === 'POST /push/alice/batch' && ++batches === 1);
    const run = await runCli(['push', '--server', proxy.base, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: token });
    expect(run.code, run.stderr).toBe(0);
    // The second pass finds everything held (the batch landed): what the first sent counts, found landed.
    expect(run.stderr).toMatch(/trying again/);
    expect(run.stderr).not.toMatch(/push: 0 files sent/);
    const summaries = run.stderr.split('\n').filter((l) => l.startsWith('push: '));
    const all = `^push: in all ${files} files sent \\([\\d.]+ MB\\), 0 replaced, 0 moved, 0 deleted, in 2 passes$`;
    expect(summaries.at(-1)).toMatch(new RegExp(all));
    const { rows } = await team.db.query<{ n: number }>("SELECT count(*)::int AS n FROM cs_files WHERE machine = 'alice'");
    expect(rows[0]!.n).toBe(files);
  });

  it('answers only a push token of its own machine', async () => {
    const team = await startTeam();
    const get = async (token: string, machine: string) => {
      const response = await fetch(`${team.base}/push/${machine}/digest`, { headers: { authorization: `Bearer ${token}` } });
      return [response.status, ((await response.json()) as { code?: string }).code];
    };
    expect(await get(await team.token('read'), 'alice')).toEqual([403, 'WRONG_ROLE']);
    expect(await get(await team.token('push', 'bob'), 'alice')).toEqual([403, 'WRONG_MACHINE']);
    expect(await get('cst_unknown', 'alice')).toEqual([401, 'UNAUTHORIZED']);
  });
});
