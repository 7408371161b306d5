import { expect, it } from 'vitest';
import { BATCH_TYPE, encodeBatch } from '../../src/team/ingest/batch.js';
import { describePg } from './pg.js';
import { heldBytes, startTeam, type Team } from './team-helper.js';

const PATH = 'sessions/2026/11/24/rollout-2026-11-24T03-00-48-01a20b7f-b328-76c3-845d-05f34097390d.jsonl';
const ARCHIVED = 'archived_sessions/rollout-2026-11-24T03-00-48-01a20b7f-b328-76c3-845d-05f34097390d.jsonl';

function put(team: Team, token: string | null, path: string, offset: number | string, body: Uint8Array | string, extra = '') {
  return fetch(`${team.base}/push/alice/files/${path}?offset=${offset}${extra}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: body as Uint8Array<ArrayBuffer> | string, // never a SharedArrayBuffer, which BodyInit rules out
  });
}

async function problem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as { code: string; status: number; size?: number };
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}

describePg('ingest endpoints', () => {
  it('appends at the held length only; a wrong offset is 409 OFFSET_MISMATCH with the length held', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const first = await put(team, token, PATH, 0, 'line one\n');
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ path: PATH, size: 9 });
    expect((await put(team, token, PATH, 9, 'line two\n')).status).toBe(200);
    for (const wrong of [0, 5, 9, 100]) {
      const body = await problem(await put(team, token, PATH, wrong, 'again\n'), 409, 'OFFSET_MISMATCH');
      expect(body.size).toBe(18);
    }
    // A file the server does not hold starts at 0.
    expect((await problem(await put(team, token, ARCHIVED, 3, 'x'), 409, 'OFFSET_MISMATCH')).size).toBe(0);
    expect((await heldBytes(team.db, 'alice', PATH))?.toString()).toBe('line one\nline two\n');
  });

  it('replace=true drops what was held (a rewritten file); replace must start at 0', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    await put(team, token, PATH, 0, 'old content\n');
    await problem(await put(team, token, PATH, 4, 'x', '&replace=true'), 400, 'INVALID_QUERY');
    expect((await put(team, token, PATH, 0, 'new\n', '&replace=true')).status).toBe(200);
    expect((await heldBytes(team.db, 'alice', PATH))?.toString()).toBe('new\n');
    const { rows } = await team.db.query('SELECT generation FROM cs_files WHERE path = $1', [PATH]);
    expect(rows[0].generation).toBe(2);
  });

  it('concurrent pushes of one file at one offset: exactly one lands, the others get 409', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    await put(team, token, PATH, 0, 'head\n');
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => put(team, token, PATH, 5, `writer ${i}\n`)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(7);
    expect((await heldBytes(team.db, 'alice', PATH))?.toString()).toMatch(/^head\nwriter \d\n$/);
  });

  it('moves keep the file (an archive move), deletes remove it; both answer problem+json when wrong', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    await put(team, token, PATH, 0, 'content\n');
    const { rows: before } = await team.db.query('SELECT id FROM cs_files WHERE path = $1', [PATH]);
    const move = (from: string, to: string) =>
      fetch(`${team.base}/push/alice/moves`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from, to }),
      });
    expect((await move(PATH, ARCHIVED)).status).toBe(200);
    const { rows: after } = await team.db.query('SELECT id, path FROM cs_files');
    expect(after).toEqual([{ id: before[0].id, path: ARCHIVED }]);
    await problem(await move(PATH, ARCHIVED), 404, 'NOT_FOUND');
    await put(team, token, PATH, 0, 'another\n');
    await problem(await move(PATH, ARCHIVED), 409, 'FILE_EXISTS');
    await problem(await move('../etc/passwd', ARCHIVED), 400, 'INVALID_PATH');
    const remove = (path: string) =>
      fetch(`${team.base}/push/alice/files/${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect((await remove(PATH)).status).toBe(204);
    await problem(await remove(PATH), 404, 'NOT_FOUND');
    expect(await heldBytes(team.db, 'alice', PATH)).toBeNull();
    expect((await heldBytes(team.db, 'alice', ARCHIVED))?.toString()).toBe('content\n');
  });

  it('refuses paths that are malformed or outside the layout', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    // Encoded, because fetch would resolve a literal "..": the server must refuse them once decoded.
    const malformed = [
      'sessions%2F2026%2F..%2F..%2Fetc%2Fpasswd',
      'sessions%2F.%2F2026%2F11%2F24%2Frollout-a.jsonl',
      '%2Fetc%2Fpasswd',
      'sessions//2026/11/24/rollout-a.jsonl',
    ];
    for (const bad of malformed) {
      await problem(await put(team, token, bad, 0, 'x'), 400, 'INVALID_PATH');
    }
    for (const outside of ['config.toml', 'auth.json', 'sessions/2026/11/24/notes.txt', 'sessions/rollout-a.jsonl', 'history.jsonl']) {
      await problem(await put(team, token, outside, 0, 'x'), 400, 'PATH_OUTSIDE_LAYOUT');
    }
    expect((await put(team, token, 'session_index.jsonl', 0, '{}\n')).status).toBe(200);
    const { rows } = await team.db.query('SELECT count(*)::int AS n FROM cs_files');
    expect(rows[0].n).toBe(1);
  });

  it('bounds a request body: more than 4 MiB is 413 CONTENT_TOO_LARGE and nothing is stored', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    await problem(await put(team, token, PATH, 0, Buffer.alloc(4 * 1024 * 1024 + 1, 0x61)), 413, 'CONTENT_TOO_LARGE');
    expect((await put(team, token, PATH, 0, Buffer.alloc(4 * 1024 * 1024, 0x61))).status).toBe(200);
    await problem(await put(team, token, PATH, 'x1', 'y'), 400, 'INVALID_QUERY');
    await problem(await put(team, token, PATH, '', 'y'), 400, 'INVALID_QUERY');
    expect((await heldBytes(team.db, 'alice', PATH))?.length).toBe(4 * 1024 * 1024);
  });

  it('roles: no token 401, read/usage cannot push (403 WRONG_ROLE), push only as its machine (403 WRONG_MACHINE)', async () => {
    const team = await startTeam();
    await problem(await put(team, null, PATH, 0, 'x'), 401, 'UNAUTHORIZED');
    await problem(await put(team, 'cst_' + 'A'.repeat(43), PATH, 0, 'x'), 401, 'UNAUTHORIZED');
    for (const role of ['read', 'usage'] as const) {
      const token = await team.token(role);
      await problem(await put(team, token, PATH, 0, 'x'), 403, 'WRONG_ROLE');
      await problem(await fetch(`${team.base}/push/whoami`, { headers: { authorization: `Bearer ${token}` } }), 403, 'WRONG_ROLE');
      await problem(await fetch(`${team.base}/push/alice/files`, { headers: { authorization: `Bearer ${token}` } }), 403, 'WRONG_ROLE');
    }
    const bob = await team.token('push', 'bob');
    await problem(await put(team, bob, PATH, 0, 'x'), 403, 'WRONG_MACHINE');
    await problem(await fetch(`${team.base}/push/alice/files`, { headers: { authorization: `Bearer ${bob}` } }), 403, 'WRONG_MACHINE');
    const whoami = await fetch(`${team.base}/push/whoami`, { headers: { authorization: `Bearer ${bob}` } });
    expect(await whoami.json()).toEqual({ machine: 'bob' });
    const { rows } = await team.db.query('SELECT count(*)::int AS n FROM cs_files');
    expect(rows[0].n).toBe(0);
    await team.db.query("UPDATE cs_tokens SET revoked_at = now() WHERE machine = 'bob'");
    await problem(await fetch(`${team.base}/push/whoami`, { headers: { authorization: `Bearer ${bob}` } }), 401, 'UNAUTHORIZED');
  });

  it('lists what is held page by page in path order, with fingerprints', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const paths = Array.from({ length: 5 }, (_, i) => `sessions/2026/11/2${i}/rollout-x${i}.jsonl`);
    for (const path of paths) expect((await put(team, token, path, 0, `${path}\n`)).status).toBe(200);
    const seen: string[] = [];
    let after = '';
    for (let i = 0; i < 10; i++) {
      const url = `${team.base}/push/alice/files?limit=2&after=${encodeURIComponent(after)}`;
      const page = (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        files: { path: string; size: number; head: string; tail: string }[];
        next: string | null;
      };
      seen.push(...page.files.map((f) => f.path));
      expect(page.files.every((f) => f.head.length === 22 && f.tail === f.head)).toBe(true);
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toEqual(paths);
    for (const limit of ['0', '5001', 'x']) {
      const response = await fetch(`${team.base}/push/alice/files?limit=${limit}`, { headers: { authorization: `Bearer ${token}` } });
      await problem(response, 400, 'INVALID_QUERY');
    }
  });

  it('a batch stores all its pieces or none: one wrong offset is 409 naming the file, and nothing is stored', async () => {
    const team = await startTeam();
    const token = await team.token('push', 'alice');
    const post = (body: Buffer | string, type = BATCH_TYPE) =>
      fetch(`${team.base}/push/alice/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: body as Buffer<ArrayBuffer> | string,
      });
    const a = Buffer.from('first file\n');
    const b = Buffer.from('second file\n');
    const entries = [
      { path: PATH, offset: 0, length: a.length },
      { path: ARCHIVED, offset: 0, length: b.length, mtime: 5 },
    ];
    const ok = await post(encodeBatch(entries, [a, b]));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { files: { path: string; size: number; mtimeMs: number | null }[] }).files).toMatchObject([
      { path: ARCHIVED, size: b.length, mtimeMs: 5 },
      { path: PATH, size: a.length, mtimeMs: null },
    ]);
    const wrongEntries = [
      { path: PATH, offset: a.length, length: 1 },
      { path: ARCHIVED, offset: 3, length: 1 },
    ];
    const wrong = await post(encodeBatch(wrongEntries, [a.subarray(0, 1), a.subarray(0, 1)]));
    const body = await problem(wrong, 409, 'OFFSET_MISMATCH');
    expect(body).toMatchObject({ path: ARCHIVED, size: b.length });
    expect((await heldBytes(team.db, 'alice', PATH))?.equals(a)).toBe(true);
    const tooMany = Array.from({ length: 257 }, (_, i) => ({ path: `sessions/2026/11/24/rollout-${i}.jsonl`, offset: 0, length: 0 }));
    const malformed: (Buffer | string)[] = [
      'no newline',
      'not json\n',
      '[]\n',
      `${JSON.stringify([{ path: PATH, offset: a.length, length: 5 }])}\nab`,
      `${JSON.stringify([{ path: PATH, offset: a.length, length: 1 }])}\nabc`,
      `${JSON.stringify([{ path: PATH, offset: -1, length: 1 }])}\na`,
      `${JSON.stringify([{ path: PATH, offset: 2, length: 1, replace: true }])}\na`,
      `${JSON.stringify([{ path: PATH, offset: a.length, length: 1 }, { path: PATH, offset: a.length + 1, length: 1 }])}\nab`,
      `${JSON.stringify(tooMany)}\n`,
    ];
    for (const bad of malformed) await problem(await post(bad), 400, 'INVALID_QUERY');
    await problem(await post(`${JSON.stringify([{ path: 'auth.json', offset: 0, length: 1 }])}\na`), 400, 'PATH_OUTSIDE_LAYOUT');
    await problem(await post(Buffer.alloc(5 * 1024 * 1024)), 413, 'CONTENT_TOO_LARGE');
    expect((await heldBytes(team.db, 'alice', PATH))?.equals(a)).toBe(true);
  });

  it('a batch leaves every row and byte exactly as the same appends sent one by one: new, appended, replaced, touched', async () => {
    const team = await startTeam();
    const [alice, bob] = [await team.token('push', 'alice'), await team.token('push', 'bob')];
    const paths = [0, 1, 2, 3].map((i) => `sessions/2026/11/24/rollout-2026-11-24T03-00-48-01a20b7f-b328-76c3-845d-05f34097390${i}.jsonl`);
    const one = (token: string, machine: string, path: string, offset: number, data: Buffer, extra = '') =>
      fetch(`${team.base}/push/${machine}/files/${path}?offset=${offset}${extra}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: data as Buffer<ArrayBuffer>,
      });
    const batch = (token: string, machine: string, entries: object[], pieces: Buffer[]) =>
      fetch(`${team.base}/push/${machine}/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': BATCH_TYPE },
        body: encodeBatch(entries as never, pieces) as Buffer<ArrayBuffer>,
      });
    const big = Buffer.alloc(3000, 'x');
    const small = Buffer.from('line\n');
    // Round 1 makes three files; round 2 appends to one (past the 1 KiB windows), replaces one,
    // touches one (no bytes, a new mtime) and makes a fourth.
    const rounds = [
      [
        { path: paths[0], offset: 0, data: small, mtime: 1 },
        { path: paths[1], offset: 0, data: big, mtime: 2 },
        { path: paths[2], offset: 0, data: small, mtime: 3 },
      ],
      [
        { path: paths[0], offset: small.length, data: big, mtime: 4 },
        { path: paths[1], offset: 0, data: small, mtime: 5, replace: true },
        { path: paths[2], offset: small.length, data: Buffer.alloc(0), mtime: 6 },
        { path: paths[3], offset: 0, data: big, mtime: 7 },
      ],
    ];
    for (const round of rounds) {
      for (const e of round) {
        const extra = `&mtime=${e.mtime}${e.replace === true ? '&replace=true' : ''}`;
        expect((await one(alice, 'alice', e.path as string, e.offset, e.data, extra)).status).toBe(200);
      }
      const entries = round.map((e) => ({ path: e.path, offset: e.offset, length: e.data.length, mtime: e.mtime, replace: e.replace }));
      expect((await batch(bob, 'bob', entries, round.map((e) => e.data))).status).toBe(200);
    }
    const rows = async (machine: string) =>
      (
        await team.db.query(
          `SELECT path, size, head, tail, head_fp, tail_fp, mtime_ms, generation FROM cs_files WHERE machine = $1 ORDER BY path`,
          [machine],
        )
      ).rows;
    expect(await rows('bob')).toEqual(await rows('alice'));
    expect((await rows('bob')).map((r: { generation: number }) => r.generation)).toEqual([1, 2, 1, 1]);
    for (const path of paths) expect(await heldBytes(team.db, 'bob', path)).toEqual(await heldBytes(team.db, 'alice', path));
    expect((await heldBytes(team.db, 'bob', paths[0] as string))?.equals(Buffer.concat([small, big]))).toBe(true);
  });
});
