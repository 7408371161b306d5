import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BATCH_TYPE, encodeBatch, type BatchEntry } from '../ingest/batch.js';
import type { PushedFile } from '../ingest/file-store.js';

/** A push the server refused for good (a wrong token or role, a bad path): the agent reports it. */
export class PushError extends Error {
  override name = 'PushError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type AppendResult = { ok: true; file: PushedFile } | { ok: false; size: number };
export type BatchResult = { ok: true; files: PushedFile[] } | { ok: false; path: string; size: number };

/** A request gets no answer for this long: it fails (and the pass with it), as fetch's default did. */
const ANSWER_TIMEOUT_MS = 300_000;

/** An answer of the server, read as the client needs it. */
interface Answer {
  status: number;
  ok: boolean;
  text(): Promise<string>;
  json<T>(): Promise<T>;
  /** Its body is not wanted (the socket goes back to the pool). */
  discard(): void;
}

function answerOf(res: IncomingMessage): Answer {
  const status = res.statusCode ?? 0;
  const text = async () => {
    const parts: Buffer[] = [];
    for await (const part of res) parts.push(part as Buffer);
    return Buffer.concat(parts).toString('utf8');
  };
  const json = async <T>() => JSON.parse(await text()) as T;
  return { status, ok: status >= 200 && status < 300, text, json, discard: () => void res.resume() };
}

/**
 * The server's push endpoints (src/team/ingest/routes.ts) over node:http(s), as one machine:
 * not fetch, whose undici is loaded and compiled on first use (a tenth of a no-change `push`'s
 * CPU); Node's global agents keep connections alive, as fetch did.
 */
export class PushClient {
  private machine = '';

  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {}

  private url(path: string): string {
    return new URL(path, this.server.endsWith('/') ? this.server : `${this.server}/`).toString();
  }

  private fileUrl(path: string): string {
    return this.url(`push/${encodeURIComponent(this.machine)}/files/${path.split('/').map(encodeURIComponent).join('/')}`);
  }

  private request(method: string, url: string, body?: Uint8Array | string, type?: string): Promise<Answer> {
    const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}` };
    if (type !== undefined) headers['content-type'] = type;
    if (body !== undefined) headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers }, (res) => resolve(answerOf(res)));
      req.on('error', reject);
      req.setTimeout(ANSWER_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error(`no answer from the server in ${ANSWER_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })),
      );
      req.end(body);
    });
  }

  /** Throws the answer's problem; `text` when its body was read already (a 409 looked at first). */
  private async fail(response: Answer, text?: string): Promise<never> {
    text ??= await response.text();
    let code = `HTTP_${response.status}`;
    let detail = text.slice(0, 300);
    try {
      const problem = JSON.parse(text) as { code?: string; detail?: string };
      code = problem.code ?? code;
      detail = problem.detail ?? detail;
    } catch {
      // not problem+json (a proxy's page): the status and the start of the text say enough
    }
    throw new PushError(response.status, code, `${response.status} ${code}: ${detail}`);
  }

  /** The machine this token pushes as. */
  async connect(): Promise<string> {
    const response = await this.request('GET', this.url('push/whoami'));
    if (!response.ok) await this.fail(response);
    this.machine = ((await response.json<{ machine: string }>())).machine;
    return this.machine;
  }

  /** The digest of everything held (layout.ts holdingsDigest); null from a server without it (an older release). */
  async digest(): Promise<string | null> {
    const response = await this.request('GET', this.url(`push/${encodeURIComponent(this.machine)}/digest`));
    if (response.status === 404) {
      response.discard();
      return null;
    }
    if (!response.ok) await this.fail(response);
    return (await response.json<{ digest: string }>()).digest;
  }

  /** Everything the server holds for this machine, page by page. */
  async held(): Promise<Map<string, PushedFile>> {
    const files = new Map<string, PushedFile>();
    let after = '';
    for (;;) {
      const query = new URLSearchParams({ limit: '5000', after });
      const response = await this.request('GET', `${this.url(`push/${encodeURIComponent(this.machine)}/files`)}?${query}`);
      if (!response.ok) await this.fail(response);
      const page = await response.json<{ files: PushedFile[]; next: string | null }>();
      for (const file of page.files) files.set(file.path, file);
      if (page.next === null) return files;
      after = page.next;
    }
  }

  async append(path: string, offset: number, data: Uint8Array, replace: boolean, mtimeMs: number): Promise<AppendResult> {
    const query = `?offset=${offset}${replace ? '&replace=true' : ''}&mtime=${mtimeMs}`;
    const response = await this.request('PUT', this.fileUrl(path) + query, data, 'application/octet-stream');
    if (response.status === 409) {
      const text = await response.text();
      const problem = parsedProblem<{ size?: number }>(text);
      if (problem?.code === 'OFFSET_MISMATCH' && typeof problem.size === 'number') return { ok: false, size: problem.size };
      await this.fail(response, text);
    }
    if (!response.ok) await this.fail(response);
    return { ok: true, file: await response.json<PushedFile>() };
  }

  /** Several small pieces in one request, stored all or none. */
  async batch(entries: BatchEntry[], pieces: Buffer[]): Promise<BatchResult> {
    const url = this.url(`push/${encodeURIComponent(this.machine)}/batch`);
    const response = await this.request('POST', url, encodeBatch(entries, pieces), BATCH_TYPE);
    if (response.status === 409) {
      const text = await response.text();
      const problem = parsedProblem<{ size?: number; path?: string }>(text);
      if (problem?.code === 'OFFSET_MISMATCH' && typeof problem.size === 'number') {
        return { ok: false, path: problem.path ?? '', size: problem.size };
      }
      await this.fail(response, text);
    }
    if (!response.ok) await this.fail(response);
    return { ok: true, files: (await response.json<{ files: PushedFile[] }>()).files };
  }

  async move(from: string, to: string): Promise<void> {
    const url = this.url(`push/${encodeURIComponent(this.machine)}/moves`);
    const response = await this.request('POST', url, JSON.stringify({ from, to }), 'application/json');
    if (!response.ok) await this.fail(response);
    response.discard();
  }

  /** Removes a file; one the server no longer holds is fine (a retried delete). */
  async remove(path: string): Promise<void> {
    const response = await this.request('DELETE', this.fileUrl(path));
    if (!response.ok && response.status !== 404) await this.fail(response);
    response.discard();
  }
}

/** A problem+json body's fields, or null when the body is not JSON (a proxy's page). */
function parsedProblem<T>(text: string): (T & { code?: string }) | null {
  try {
    return JSON.parse(text) as T & { code?: string };
  } catch {
    return null;
  }
}
