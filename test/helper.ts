import { mkdir, mkdtemp, rm, utimes, writeFile, cp, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../src/app.js';
import { defaultConfig, type Config } from '../src/config.js';
import { pending as cleanups } from './cleanups.js';

/** Real files written by Codex CLI 0.169 (copied from the product's shared fixtures, read-only in tests). */
export const REAL_HOME = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures/codex-home-real');

/**
 * Runs `cleanup` after the current test (last registered, first run: test/cleanups-setup.ts), or after the last test of
 * the describe when called while `sharedByTests` builds: the one list every helper registers in.
 */
export function afterThisTest(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

/**
 * What `build` makes (homes, apps) once for the enclosing describe, removed after its last test
 * instead of after each: for tests that only read it. Building a home and an app (and an index)
 * per read-only query was most of the CPU of the files that use this.
 */
export function sharedByTests<T>(build: () => Promise<T>, timeoutMs = 60_000): () => T {
  let value: T | undefined;
  const mine: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    value = await build();
    mine.push(...cleanups.splice(0));
  }, timeoutMs);
  afterAll(async () => {
    while (mine.length > 0) await mine.pop()!();
  });
  return () => value as T;
}

/** A fresh, empty Codex home in a temp directory, removed after the test. */
export async function tempHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'codex-home-'));
  cleanups.push(async () => {
    await chmod(dir, 0o755).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A writable copy of the real fixture corpus. */
export async function copyOfRealHome(): Promise<string> {
  const home = await tempHome();
  await cp(REAL_HOME, home, { recursive: true });
  await chmod(home, 0o755);
  return home;
}

export function testConfig(codexHome: string, overrides: Partial<Config> = {}): Config {
  // Scan mode unless a test asks for an index (with a path in its own temp directory).
  return { ...defaultConfig(codexHome), port: 0, logLevel: 'silent', ...overrides };
}

/** The two ways the service answers: scanning the files, or from a complete index. */
export const MODES = [
  { mode: 'scan', index: false },
  { mode: 'index', index: true },
] as const;

/** The app over `home`, with a fresh index (in its own temp directory) that has completed its first pass, or none. */
export async function appFor(home: string, index: boolean, overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(home, index ? { indexPath: join(await tempHome(), 'index.sqlite'), ...overrides } : overrides);
  if (index) await indexReady(app);
  return app;
}

/** Waits until the app's metadata index has completed a pass (polls /readyz). */
// Generous: on a loaded machine a first pass can take many seconds; the test's own timeout is the real bound.
export async function indexReady(app: FastifyInstance, timeoutMs = 110_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await app.inject('/readyz');
    if (res.json().index?.complete) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('index did not complete');
}

/** The app over `codexHome`, closed after the test. Pass `logs` to capture log lines. */
export async function buildTestApp(
  codexHome: string,
  overrides: Partial<Config> = {},
  logs?: string[],
): Promise<FastifyInstance> {
  // With `logs`, the app's own logger configuration (redaction included) writes into the array.
  const app = logs
    ? await buildApp(testConfig(codexHome, { logLevel: 'debug', ...overrides }), {
        logStream: { write: (line: string) => void logs.push(line) },
      })
    : await buildApp(testConfig(codexHome, overrides), { loggerInstance: pino({ level: 'silent' }) });
  cleanups.push(() => app.close());
  return app;
}

// ---------------------------------------------------------------------------------------
// Rollout fixtures in every format generation
// ---------------------------------------------------------------------------------------

export type Line = Record<string, unknown> | string;

/** `YYYY-MM-DDThh-mm-ss` → the `sessions/YYYY/MM/DD/rollout-…-<id>.jsonl` path. */
export function rolloutRelPath(stamp: string, id: string, archived = false): string {
  const name = `rollout-${stamp}-${id}.jsonl`;
  if (archived) return `archived_sessions/${name}`;
  const [y, m, d] = stamp.slice(0, 10).split('-');
  return `sessions/${y}/${m}/${d}/${name}`;
}

/** Writes lines (objects are JSON-encoded, strings written raw) each followed by a newline. */
export async function writeLines(path: string, lines: Line[], opts: { trailingNewline?: boolean } = {}) {
  await mkdir(dirname(path), { recursive: true });
  const body = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  await writeFile(path, lines.length === 0 ? '' : body + (opts.trailingNewline === false ? '' : '\n'));
}

export function stampToIso(stamp: string): string {
  const [date, time] = stamp.split('T') as [string, string];
  return `${date}T${time.replaceAll('-', ':')}.000Z`;
}

export interface SessionSpec {
  stamp: string;
  id: string;
  /** The user's first message; null writes a session with no user message. */
  title?: string | null;
  cwd?: string;
  source?: unknown;
  provider?: string | null;
  archived?: boolean;
  extra?: Line[];
  meta?: Record<string, unknown>;
  mtime?: Date;
}

/** The envelope generation (Sep 2025 → today): session_meta, injected context, user message event. */
export function envelopeLines(spec: SessionSpec): Line[] {
  const ts = stampToIso(spec.stamp);
  const meta: Record<string, unknown> = {
    id: spec.id,
    timestamp: ts,
    cwd: spec.cwd ?? '/home/u/proj',
    originator: 'codex_cli_rs',
    cli_version: '0.50.0',
    source: spec.source ?? 'cli',
    ...(spec.provider === null ? {} : { model_provider: spec.provider ?? 'openai' }),
    ...spec.meta,
  };
  const lines: Line[] = [
    { timestamp: ts, type: 'session_meta', payload: meta },
    {
      timestamp: ts,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/x</cwd>\n</environment_context>' }],
      },
    },
  ];
  if (spec.title != null) {
    lines.push(
      {
        timestamp: ts,
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: spec.title }] },
      },
      { timestamp: ts, type: 'event_msg', payload: { type: 'user_message', message: spec.title, images: [] } },
      {
        timestamp: ts,
        type: 'response_item',
        payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
      },
    );
  }
  return [...lines, ...(spec.extra ?? [])];
}

/** Writes an envelope-format session into `home`; returns its path relative to the home. */
export async function writeSession(home: string, spec: SessionSpec, lines: Line[] = envelopeLines(spec)): Promise<string> {
  const rel = rolloutRelPath(spec.stamp, spec.id, spec.archived);
  await writeLines(join(home, rel), lines);
  if (spec.mtime) await utimes(join(home, rel), spec.mtime, spec.mtime);
  return rel;
}

/** The record_type generation (summer 2025). */
export function recordTypeLines(spec: SessionSpec): Line[] {
  return [
    {
      record_type: 'session_meta',
      id: spec.id,
      timestamp: stampToIso(spec.stamp),
      cwd: spec.cwd ?? '/home/u/rt',
      originator: 'codex_cli_rs',
      cli_version: '0.20.0',
      instructions: null,
    },
    {
      record_type: 'response',
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: '<user_instructions>be nice</user_instructions>' }],
    },
    { record_type: 'state' },
    { record_type: 'event', payload: { type: 'user_message', message: spec.title ?? '', kind: 'plain' } },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] },
    ...(spec.extra ?? []),
  ];
}

/** The legacy generation (spring 2025): a bare meta object, bare response items, state markers. */
export function legacyLines(spec: SessionSpec): Line[] {
  return [
    {
      id: spec.id,
      timestamp: stampToIso(spec.stamp),
      instructions: 'old instructions',
      git: { commit_hash: 'abc123', branch: 'main', repository_url: 'git@example.com:u/r.git' },
    },
    { record_type: 'state' },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\nold\n</environment_context>' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: spec.title ?? '' }] },
    { record_type: 'state' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] },
    ...(spec.extra ?? []),
  ];
}

/** A UUID whose last hex digits are `n`, so that ids sort like numbers (any version: tests need order). */
export function uuidN(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export interface ListBody {
  items: (Record<string, unknown> & { id: string; title: string | null; head: unknown[]; tail: unknown[] })[];
  nextCursor: string | null;
  numScannedFiles: number;
  reachedScanCap: boolean;
  total?: number;
}

export async function list(app: FastifyInstance, query = ''): Promise<ListBody> {
  const res = await app.inject({ method: 'GET', url: `/conversations${query ? `?${query}` : ''}` });
  if (res.statusCode !== 200) throw new Error(`GET /conversations?${query} → ${res.statusCode} ${res.body}`);
  return res.json() as ListBody;
}

/** No lone surrogate (String.prototype.isWellFormed, which TypeScript's ES2023 lib does not declare). */
export const wellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * A response body without the index's `usage` figures (null without an index): for comparing
 * what the index answers with what a scan answers.
 */
export function withoutUsage<T>(body: T): T {
  return JSON.parse(JSON.stringify(body), (key, value) => (key === 'usage' ? undefined : value)) as T;
}
