import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../../helper.js';
import {
  claudeSessionFilesOf,
  classifyClaudePath,
  discoverClaudeFiles,
  subagentSessionId,
} from '../../../../src/rollout/sources/claude/discovery.js';
import { claudeHomeFrom, findClaudeHome } from '../../../../src/rollout/sources/claude/home.js';
import { allFiles, quietLog, realHome, tempClaudeHome, writeJsonl } from './claude-home.js';

const ID = '0a1b2c3d-0000-4000-8000-00000000000a';
const line = { type: 'user', message: { role: 'user', content: 'hi' }, timestamp: '2026-01-01T00:00:00.000Z' };

describe('the Claude home', () => {
  it('comes from --claude-home, else CLAUDE_CONFIG_DIR, else ~/.claude', () => {
    expect(claudeHomeFrom('/a/b', { CLAUDE_CONFIG_DIR: '/c' })).toBe('/a/b');
    expect(claudeHomeFrom(undefined, { CLAUDE_CONFIG_DIR: '/c' })).toBe('/c');
    expect(claudeHomeFrom('  ', { CLAUDE_CONFIG_DIR: '' })).toBe(join(homedir(), '.claude'));
    expect(claudeHomeFrom('~/x', {})).toBe(join(homedir(), 'x'));
  });

  it('is not served when it is absent, has no projects/ directory, or projects/ is a file or a link out', async () => {
    const dir = await tempHome();
    expect(await findClaudeHome(join(dir, 'nowhere'))).toBeNull();
    expect(await findClaudeHome(dir)).toBeNull();
    await writeFile(join(dir, 'projects'), 'not a directory');
    expect(await findClaudeHome(dir)).toBeNull();
    // A `projects` that is a link out of the home.
    await rm(join(dir, 'projects'));
    const elsewhere = await tempClaudeHome();
    await symlink(join(elsewhere, 'projects'), join(dir, 'projects'));
    expect(await findClaudeHome(dir)).toBeNull();
    expect(await findClaudeHome(elsewhere)).toMatchObject({ home: elsewhere });
  });
});

describe('discovery on the real home', () => {
  it('finds every main session and both sub-agents, in path order, and nothing else', async () => {
    const files = await allFiles(await realHome());
    expect(files.map((f) => f.relPath)).toEqual([
      'projects/-home-dev-api-server/06d6efa2-55a7-436d-8ca5-53285341e9bb.jsonl',
      'projects/-home-dev-api-server/06d6efa2-55a7-436d-8ca5-53285341e9bb/subagents/agent-a8e81a30845775904.jsonl',
      'projects/-home-dev-api-server/184cbaac-320a-4b57-8bd4-52915a25e2b7.jsonl',
      'projects/-home-dev-api-server/1c88eea7-1651-4c5a-99dc-109b89310655.jsonl',
      'projects/-home-dev-api-server/3471cd50-5c95-48c3-8f2b-07137ab51d3b.jsonl',
      'projects/-home-dev-api-server/bf2f8144-4940-4abd-ae48-51a4b8a6357e.jsonl',
      'projects/-home-dev-api-server/bf2f8144-4940-4abd-ae48-51a4b8a6357e/subagents/agent-a5a7296fb79c3c7af.jsonl',
      'projects/-home-dev-donn-es-caf-/501e2b5f-8a78-4655-a1b7-d98dc23447ac.jsonl',
      'projects/-home-dev-donn-es-caf-/630c32ab-267e-4b06-a873-da24bf186bac.jsonl',
      'projects/-home-dev-web-app/36760438-3946-4452-936d-453806fa61da.jsonl',
      'projects/-home-dev-web-app/5b0f19a8-a7b2-4cad-9a2b-d6aa31c98a13.jsonl',
      'projects/-home-dev-web-app/a1d78632-8649-4e18-a447-5bf96b2bb9f4.jsonl',
    ]);
    const agent = files[1]!;
    const parentId = '06d6efa2-55a7-436d-8ca5-53285341e9bb';
    expect(agent).toMatchObject({ parentId, agentId: 'a8e81a30845775904', projectDir: '-home-dev-api-server' });
    expect(agent.id).toBe(subagentSessionId('06d6efa2-55a7-436d-8ca5-53285341e9bb', 'a8e81a30845775904'));
    expect(agent.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(files[0]).toMatchObject({ id: '06d6efa2-55a7-436d-8ca5-53285341e9bb', parentId: null, agentId: null });
  });
});

describe('the watch plan classifier', () => {
  it('names what each path is, and nothing outside projects/', () => {
    expect(classifyClaudePath('projects')).toEqual({ kind: 'projects' });
    expect(classifyClaudePath('projects/-p')).toEqual({ kind: 'project', projectDir: '-p' });
    expect(classifyClaudePath(`projects/-p/${ID.toUpperCase()}.jsonl`)).toMatchObject({ kind: 'session', file: { id: ID } });
    expect(classifyClaudePath(`projects/-p/${ID}`)).toEqual({ kind: 'session-dir', projectDir: '-p', parentId: ID });
    expect(classifyClaudePath(`projects/-p/${ID}/subagents`)).toEqual({ kind: 'subagents-dir', projectDir: '-p', parentId: ID });
    expect(classifyClaudePath(`projects/-p/${ID}/subagents/agent-abc.jsonl`)).toMatchObject({ kind: 'session', file: { agentId: 'abc' } });
    for (const other of [
      'history.jsonl',
      'tasks/x/1.json',
      `projects/-p/${ID}/subagents/agent-abc.meta.json`,
      `projects/-p/${ID}/subagents/deeper/agent-abc.jsonl`,
      `projects/-p/${ID}/other/agent-abc.jsonl`,
      'projects/-p/not-a-uuid.jsonl',
      `projects/-p/${ID}.jsonl.tmp`,
      `projects/../${ID}.jsonl`,
      `projects/-p/../${ID}.jsonl`,
    ]) {
      expect(classifyClaudePath(other), other).toBeNull();
    }
  });
});

describe('hostile Claude homes', () => {
  it('skips FIFOs, links out of the home, dangling links and non-transcript names; follows links inside', async () => {
    const dir = await tempClaudeHome();
    const outside = await tempHome();
    await writeJsonl(join(outside, `${ID}.jsonl`), [line]);
    await mkdir(join(outside, 'proj'));
    await writeJsonl(join(outside, 'proj', `${ID}.jsonl`), [line]);
    const p = join(dir, 'projects', '-p');
    await writeJsonl(join(p, `${ID}.jsonl`), [line]);
    execFileSync('mkfifo', [join(p, '0a1b2c3d-0000-4000-8000-00000000000b.jsonl')]);
    await symlink(join(outside, `${ID}.jsonl`), join(p, '0a1b2c3d-0000-4000-8000-00000000000c.jsonl'));
    await symlink(join(outside, 'proj'), join(dir, 'projects', '-linked-out'));
    await symlink(join(dir, 'nowhere'), join(p, '0a1b2c3d-0000-4000-8000-00000000000d.jsonl'));
    await symlink(join(p, `${ID}.jsonl`), join(p, '0a1b2c3d-0000-4000-8000-00000000000e.jsonl'));
    await writeFile(join(p, 'notes.txt'), 'x');
    await writeFile(join(dir, 'projects', `${ID}.jsonl`), 'a transcript outside any project directory');
    // A directory whose name decodes to `..` (every non-alphanumeric of a cwd becomes '-') is just a name.
    await writeJsonl(join(dir, 'projects', '..-..-etc', '0a1b2c3d-0000-4000-8000-00000000000f.jsonl'), [line]);
    const files = await allFiles((await findClaudeHome(dir))!);
    expect(files.map((f) => f.relPath)).toEqual([
      'projects/-p/0a1b2c3d-0000-4000-8000-00000000000a.jsonl',
      'projects/-p/0a1b2c3d-0000-4000-8000-00000000000e.jsonl',
      'projects/..-..-etc/0a1b2c3d-0000-4000-8000-00000000000f.jsonl',
    ]);
    expect(files.every((f) => f.absPath.startsWith(dir))).toBe(true);
  });

  it('under subagents/: skips a FIFO, a link out of the home and a subagents/ that links out; follows a link inside', async () => {
    const dir = await tempClaudeHome();
    const outside = await tempHome();
    await writeJsonl(join(outside, 'agent-0000000000000000a.jsonl'), [line]);
    await mkdir(join(outside, 'subagents'));
    await writeJsonl(join(outside, 'subagents', 'agent-0000000000000000f.jsonl'), [line]);
    const p = join(dir, 'projects', '-p');
    const sub = join(p, ID, 'subagents');
    await writeJsonl(join(p, `${ID}.jsonl`), [line]);
    await writeJsonl(join(sub, 'agent-0000000000000000b.jsonl'), [line]);
    execFileSync('mkfifo', [join(sub, 'agent-0000000000000000c.jsonl')]);
    await symlink(join(outside, 'agent-0000000000000000a.jsonl'), join(sub, 'agent-0000000000000000d.jsonl'));
    await symlink(join(sub, 'agent-0000000000000000b.jsonl'), join(sub, 'agent-0000000000000000e.jsonl'));
    // Another session whose whole subagents/ directory is a link out of the home.
    const other = '0a1b2c3d-0000-4000-8000-0000000000aa';
    await writeJsonl(join(p, `${other}.jsonl`), [line]);
    await mkdir(join(p, other));
    await symlink(join(outside, 'subagents'), join(p, other, 'subagents'));
    const files = await allFiles((await findClaudeHome(dir))!);
    expect(files.map((f) => f.relPath)).toEqual([
      `projects/-p/${ID}.jsonl`,
      `projects/-p/${ID}/subagents/agent-0000000000000000b.jsonl`,
      `projects/-p/${ID}/subagents/agent-0000000000000000e.jsonl`,
      `projects/-p/${other}.jsonl`,
    ]);
  });

  it('a project directory that cannot be read is skipped, the others are listed', async () => {
    const dir = await tempClaudeHome();
    await writeJsonl(join(dir, 'projects', '-a', `${ID}.jsonl`), [line]);
    await writeJsonl(join(dir, 'projects', '-b', `${ID}.jsonl`), [line]);
    // A project directory removed between the listing and its read.
    const home = (await findClaudeHome(dir))!;
    const found = [];
    for await (const f of discoverClaudeFiles(home, quietLog)) {
      found.push(f.relPath);
      if (found.length === 1) await rm(join(dir, 'projects', '-b'), { recursive: true });
    }
    expect(found).toEqual([`projects/-a/${ID}.jsonl`]);
  });
});

describe('finding a main session by id (claudeSessionFilesOf: one stat per project, no walk)', () => {
  it('finds what discovery finds for that id: in any project, through a link inside the home, never out nor through an alias', async () => {
    const dir = await tempClaudeHome();
    const outside = await tempHome();
    await writeJsonl(join(dir, 'projects', '-a', `${ID}.jsonl`), [line]);
    await writeJsonl(join(dir, 'projects', '-b', `${ID}.jsonl`), [line]);
    await writeJsonl(join(dir, 'projects', '-c', '0a1b2c3d-0000-4000-8000-0000000000cc.jsonl'), [line]);
    await writeJsonl(join(outside, 'proj', `${ID}.jsonl`), [line]);
    await symlink(join(outside, 'proj'), join(dir, 'projects', '-linked-out'));
    // A link to a directory inside the home but outside projects/ is followed; one to another project is an alias, passed by.
    await writeJsonl(join(dir, 'kept', '0a1b2c3d-0000-4000-8000-0000000000cc.jsonl'), [line]);
    await symlink(join(dir, 'kept'), join(dir, 'projects', '-linked-in'));
    await symlink(join(dir, 'projects', '-c'), join(dir, 'projects', '-alias'));
    await writeJsonl(join(dir, 'projects', '-d', `${ID.toUpperCase()}.jsonl`), [line]);
    // Mixed case is no transcript's name (the walk and the lookup pass it by alike).
    await writeJsonl(join(dir, 'projects', '-d', `${ID.slice(0, 35)}A.jsonl`), [line]);
    execFileSync('mkfifo', [join(dir, 'projects', '-c', '0a1b2c3d-0000-4000-8000-0000000000dd.jsonl')]);
    const home = (await findClaudeHome(dir))!;
    const viaWalk = async (id: string) => (await allFiles(home)).filter((f) => f.id === id).map((f) => f.relPath);
    const viaStat = async (id: string) => (await claudeSessionFilesOf(home, id, quietLog)).map((f) => f.relPath);
    const ids = [ID, ...['cc', 'dd', 'ffff'].map((n) => `0a1b2c3d-0000-4000-8000-${n.padStart(12, '0')}`)];
    for (const id of ids) {
      expect(await viaStat(id)).toEqual(await viaWalk(id));
    }
    expect(await viaStat(ID)).toEqual([`projects/-a/${ID}.jsonl`, `projects/-b/${ID}.jsonl`, `projects/-d/${ID.toUpperCase()}.jsonl`]);
    expect(await viaStat('0a1b2c3d-0000-4000-8000-0000000000cc')).toEqual([
      'projects/-c/0a1b2c3d-0000-4000-8000-0000000000cc.jsonl',
      'projects/-linked-in/0a1b2c3d-0000-4000-8000-0000000000cc.jsonl',
    ]);
  });
});
