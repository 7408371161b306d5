import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildTestApp,
  envelopeLines,
  legacyLines,
  list,
  recordTypeLines,
  rolloutRelPath,
  stampToIso,
  tempHome,
  uuidN,
  writeLines,
  writeSession,
} from '../helper.js';

describe('GET /conversations: every format generation', () => {
  it('summarises envelope, record_type and legacy files alike', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-10-01T08-00-00', id: uuidN(3), title: 'envelope title', cwd: '/e' });
    const rtSpec = { stamp: '2025-08-01T08-00-00', id: uuidN(2) };
    await writeSession(home, rtSpec, recordTypeLines({ ...rtSpec, title: 'record type title' }));
    const legacySpec = { stamp: '2025-04-01T08-00-00', id: uuidN(1) };
    await writeSession(home, legacySpec, legacyLines({ ...legacySpec, title: 'legacy title' }));
    const page = await list(await buildTestApp(home), 'head=1');
    const [env, rt, legacy] = page.items;
    expect(page.items.map((i) => i.title)).toEqual(['envelope title', 'record type title', 'legacy title']);
    expect(env).toMatchObject({
      createdAt: '2025-10-01T08:00:00.000Z',
      cwd: '/e',
      source: 'cli',
      originator: 'codex_cli_rs',
      cliVersion: '0.50.0',
      modelProvider: 'openai',
      git: null,
      forkedFromId: null,
      archived: false,
      name: null,
    });
    expect(rt).toMatchObject({ createdAt: '2025-08-01T08:00:00.000Z', cwd: '/home/u/rt', cliVersion: '0.20.0', source: 'unknown' });
    expect(legacy).toMatchObject({
      createdAt: '2025-04-01T08:00:00.000Z',
      cwd: null,
      source: 'unknown',
      modelProvider: 'openai',
      git: { commitHash: 'abc123', branch: 'main', repositoryUrl: 'git@example.com:u/r.git' },
    });
    // Records are served untouched, whatever their generation.
    expect(legacy?.head[0]).toEqual(legacyLines({ stamp: '2025-04-01T08-00-00', id: uuidN(1) })[0]);
  });

  it('normalises sources and providers', async () => {
    const home = await tempHome();
    const cases: [unknown, string][] = [
      ['vscode', 'vscode'],
      ['exec', 'exec'],
      ['mcp', 'mcp'],
      [{ subagent: 'review' }, 'subagent'],
      [{ subagent: { thread_spawn: { depth: 1 } } }, 'subagent'],
      [{ custom: 'atlas' }, 'custom'],
      ['something-new', 'unknown'],
    ];
    for (const [i, [source]] of cases.entries()) {
      await writeSession(home, {
        stamp: `2025-06-01T00-00-0${i}`,
        id: uuidN(i + 1),
        title: 't',
        source,
        provider: i === 0 ? null : 'azure',
      });
    }
    const page = await list(await buildTestApp(home), 'order=asc');
    expect(page.items.map((i) => i.source)).toEqual(cases.map(([, s]) => s));
    expect(page.items.map((i) => i.modelProvider)).toEqual(['openai', ...cases.slice(1).map(() => 'azure')]);
  });

  it('reads names from session_index.jsonl, newest entry winning', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-06-01T00-00-00', id: uuidN(1), title: 't' });
    await writeLines(join(home, 'session_index.jsonl'), [
      { id: uuidN(1), thread_name: 'newer', updated_at: '2025-06-03T00:00:00Z' },
      { id: uuidN(1), thread_name: 'older', updated_at: '2025-06-02T00:00:00Z' },
      'garbage',
    ]);
    const page = await list(await buildTestApp(home));
    expect(page.items[0]?.name).toBe('newer');
  });
});

describe('GET /conversations: broken and odd files', () => {
  it('skips what is not a session and keeps what is', async () => {
    const home = await tempHome();
    const day = join(home, 'sessions/2025/09/01');
    // Valid sessions around the broken ones.
    await writeSession(home, {
      stamp: '2025-09-01T00-00-09',
      id: uuidN(9),
      title: 'garbage lines inside',
      extra: ['{not json', '[1,2]', '42', ''],
    });
    await writeSession(home, { stamp: '2025-09-01T00-00-08', id: uuidN(8), title: 'truncated last line', extra: [] }, [
      ...envelopeLines({ stamp: '2025-09-01T00-00-08', id: uuidN(8), title: 'truncated last line' }),
    ]);
    await writeFile(
      join(home, rolloutRelPath('2025-09-01T00-00-08', uuidN(8))),
      '{"timestamp":"x","type":"event_msg","payl',
      { flag: 'a' },
    );
    await writeLines(join(home, rolloutRelPath('2025-09-01T00-00-07', uuidN(7))), []); // empty file
    const metaOnly = envelopeLines({ stamp: '2025-09-01T00-00-06', id: uuidN(6) })[0]!;
    await writeLines(join(home, rolloutRelPath('2025-09-01T00-00-06', uuidN(6))), [metaOnly]); // meta only
    const noMeta = ['garbage', '{"type":"response_item","payload":{}}'];
    await writeLines(join(home, rolloutRelPath('2025-09-01T00-00-05', uuidN(5))), noMeta); // no meta
    // Names and places that are not rollout files at all.
    await writeFile(join(day, `rollout-2025-09-01T00-00-04-${uuidN(4)}.jsonl.zst`), 'x');
    await writeFile(join(day, 'notes.txt'), 'x');
    await writeFile(join(day, `.rollout-2025-09-01T00-00-03-${uuidN(3)}.jsonl.tmp`), 'x');
    await mkdir(join(day, `rollout-2025-09-01T00-00-02-${uuidN(2)}.jsonl`)); // a directory named like a rollout
    await mkdir(join(home, 'sessions/2025/backup'), { recursive: true });
    await writeSession(home, { stamp: '2025-09-01T00-00-01', id: uuidN(1), title: 'hidden' }).then(async (rel) => {
      await mkdir(join(home, 'sessions/2025/backup/01'), { recursive: true });
      await writeLines(
        join(home, `sessions/2025/backup/01/rollout-2025-09-01T00-00-01-${uuidN(0xa)}.jsonl`),
        envelopeLines({ stamp: '2025-09-01T00-00-01', id: uuidN(0xa), title: 'x' }),
      );
      return rel;
    });
    await writeFile(join(home, 'sessions/2024'), 'a year that is a file');

    const app = await buildTestApp(home);
    const page = await list(app);
    expect(page.items.map((i) => [i.id, i.title])).toEqual([
      [uuidN(9), 'garbage lines inside'],
      [uuidN(8), 'truncated last line'],
      [uuidN(1), 'hidden'],
    ]);
    // Counted: 9, 8, 7 (empty), 6 (meta only), 5 (no meta), 1.
    expect(page.numScannedFiles).toBe(6);
    const withEmpty = await list(app, 'includeEmpty=true');
    expect(withEmpty.items.map((i) => i.id)).toEqual([uuidN(9), uuidN(8), uuidN(6), uuidN(1)]);
  });

  it('finds a title after 12 meta-like lines and 150 KB', async () => {
    const home = await tempHome();
    const stamp = '2025-09-02T00-00-00';
    const ts = stampToIso(stamp);
    const filler = Array.from({ length: 12 }, (_, i) => ({
      timestamp: ts,
      type: i % 2 ? 'turn_context' : 'event_msg',
      payload: { type: 'token_count', pad: 'x'.repeat(12_800), i },
    }));
    const lines = [
      {
        timestamp: ts,
        type: 'session_meta',
        payload: { id: uuidN(1), timestamp: ts, cwd: '/p', source: 'exec', base_instructions: { text: 'y'.repeat(25_000) } },
      },
      ...filler,
      {
        timestamp: ts,
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: '# AGENTS.md instructions for /p\n\n<INSTRUCTIONS>be good</INSTRUCTIONS>' }],
        },
      },
      {
        timestamp: ts,
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'the real request' }] },
      },
    ];
    await writeSession(home, { stamp, id: uuidN(1) }, lines);
    const page = await list(await buildTestApp(home));
    expect(page.items[0]?.sizeBytes).toBeGreaterThan(150_000);
    expect(page.items[0]?.title).toBe('the real request');
  });

  it('titles an image-only first message "[Image]" and strips to the user request', async () => {
    const home = await tempHome();
    const a = '2025-09-03T00-00-01';
    const b = '2025-09-03T00-00-02';
    await writeSession(home, { stamp: a, id: uuidN(1) }, [
      envelopeLines({ stamp: a, id: uuidN(1) })[0]!,
      {
        timestamp: 't',
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
      },
      { timestamp: 't', type: 'event_msg', payload: { type: 'user_message', message: '', images: ['data:image/png;base64,AAAA'] } },
    ]);
    await writeSession(home, { stamp: b, id: uuidN(2) }, [
      envelopeLines({ stamp: b, id: uuidN(2) })[0]!,
      {
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'user_message', message: 'context\n## My request for Codex:\n  fix it  ', kind: 'plain' },
      },
    ]);
    const page = await list(await buildTestApp(home));
    expect(page.items.map((i) => i.title)).toEqual(['fix it', '[Image]']);
  });

  it('never takes injected context for a title', async () => {
    const home = await tempHome();
    const stamp = '2025-09-04T00-00-00';
    const injected = [
      '<environment_context>\n<cwd>/x</cwd>\n</environment_context>',
      '<user_instructions>\nbe terse\n</user_instructions>',
      '<permissions instructions>\nsandbox\n</permissions instructions>',
      '# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>\nhi\n</INSTRUCTIONS>',
      '<INSTRUCTIONS>\nhi\n</INSTRUCTIONS>',
    ];
    await writeSession(home, { stamp, id: uuidN(1) }, [
      envelopeLines({ stamp, id: uuidN(1) })[0]!,
      ...injected.map((text) => ({
        timestamp: 't',
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
      })),
      {
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'user_message', message: '<environment_context>x</environment_context>', kind: 'environment_context' },
      },
    ]);
    const app = await buildTestApp(home);
    expect((await list(app)).items).toEqual([]);
    const withEmpty = await list(app, 'includeEmpty=true');
    expect(withEmpty.items[0]?.title).toBeNull();
  });

  it('ignores symbolic links that leave the Codex home, follows those that stay inside', async () => {
    const home = await tempHome();
    const outside = await tempHome();
    const stamp = '2025-09-05T00-00-0';
    const secret = join(outside, 'secret.jsonl');
    await writeLines(secret, envelopeLines({ stamp: `${stamp}1`, id: uuidN(1), title: 'outside secret' }));
    await mkdir(join(home, 'sessions/2025/09/05'), { recursive: true });
    await symlink(secret, join(home, rolloutRelPath(`${stamp}1`, uuidN(1))));
    await symlink('/etc/passwd', join(home, rolloutRelPath(`${stamp}2`, uuidN(2))));
    await symlink(join(home, 'nowhere'), join(home, rolloutRelPath(`${stamp}3`, uuidN(3))));
    const inside = await writeSession(home, { stamp: `${stamp}4`, id: uuidN(4), title: 'real', archived: true });
    await symlink(join(home, inside), join(home, rolloutRelPath(`${stamp}5`, uuidN(5))));
    const app = await buildTestApp(home);
    const page = await list(app);
    expect(page.items.map((i) => i.id)).toEqual([uuidN(5)]);
    for (const n of [1, 2, 3]) {
      const res = await app.inject(`/conversations/${uuidN(n)}`);
      expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
    }
  });
});
