// What the push agent says when the server (or what is in front of it) answers an unexpected 409
// or resets the connection: the server's own problem code, and one line with exit status 1.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PushClient, PushError } from '../../src/team/push/client.js';
import { REAL_HOME } from '../helper.js';
import { runCli } from './cli-run.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A server that answers whoami as machine alice and everything else with `answer`. */
async function fakeServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/push/whoami') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"machine":"alice"}');
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const conflict = (res: ServerResponse) =>
  res
    .writeHead(409, { 'content-type': 'application/problem+json' })
    .end('{"status":409,"code":"MACHINE_RETIRED","detail":"alice was retired by an admin"}');

describe('the push client', () => {
  it("keeps a 409's own code and detail when it is not an offset mismatch (append and batch)", async () => {
    const client = new PushClient(await fakeServer((_req, res) => conflict(res)), 'token');
    await client.connect();
    const asked = [
      client.append('sessions/2026/01/01/rollout-x.jsonl', 0, Buffer.from('{}\n'), false, 0),
      client.batch([], []),
    ];
    for (const ask of asked) {
      const err = await ask.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PushError);
      expect((err as PushError).code).toBe('MACHINE_RETIRED');
      expect((err as PushError).message).toContain('alice was retired by an admin');
    }
  });

  it('says a reset connection in one line and exits 1 (no stack)', async () => {
    const server = await fakeServer((req) => req.socket.destroy());
    const home = await mkdtemp(join(tmpdir(), 'codex-push-reset-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await cp(REAL_HOME, home, { recursive: true });
    const run = await runCli(['push', '--server', server, '--codex-home', home, '--once'], { CODEX_SESSIONS_TOKEN: 'token' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/codex-sessions: .*socket hang up|ECONNRESET/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
