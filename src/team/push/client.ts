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

/** The server's push endpoints (src/team/ingest/routes.ts) over fetch, as one machine. */
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

  private async request(method: string, url: string, body?: Uint8Array | string, type?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (type !== undefined) headers['content-type'] = type;
    // File bytes are never in a SharedArrayBuffer, which is what the DOM's BodyInit type rules out.
    return fetch(url, { method, headers, ...(body === undefined ? {} : { body: body as string | Uint8Array<ArrayBuffer> }) });
  }

  private async fail(response: Response): Promise<never> {
    const text = await response.text();
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
    this.machine = ((await response.json()) as { machine: string }).machine;
    return this.machine;
  }

  /** The digest of everything held (layout.ts holdingsDigest); null from a server without it (an older release). */
  async digest(): Promise<string | null> {
    const response = await this.request('GET', this.url(`push/${encodeURIComponent(this.machine)}/digest`));
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) await this.fail(response);
    return ((await response.json()) as { digest: string }).digest;
  }

  /** Everything the server holds for this machine, page by page. */
  async held(): Promise<Map<string, PushedFile>> {
    const files = new Map<string, PushedFile>();
    let after = '';
    for (;;) {
      const query = new URLSearchParams({ limit: '5000', after });
      const response = await this.request('GET', `${this.url(`push/${encodeURIComponent(this.machine)}/files`)}?${query}`);
      if (!response.ok) await this.fail(response);
      const page = (await response.json()) as { files: PushedFile[]; next: string | null };
      for (const file of page.files) files.set(file.path, file);
      if (page.next === null) return files;
      after = page.next;
    }
  }

  async append(path: string, offset: number, data: Uint8Array, replace: boolean, mtimeMs: number): Promise<AppendResult> {
    const query = `?offset=${offset}${replace ? '&replace=true' : ''}&mtime=${mtimeMs}`;
    const response = await this.request('PUT', this.fileUrl(path) + query, data, 'application/octet-stream');
    if (response.status === 409) {
      const problem = (await response.json()) as { code?: string; size?: number };
      if (problem.code === 'OFFSET_MISMATCH' && typeof problem.size === 'number') return { ok: false, size: problem.size };
    }
    if (!response.ok) await this.fail(response);
    return { ok: true, file: (await response.json()) as PushedFile };
  }

  /** Several small pieces in one request, stored all or none. */
  async batch(entries: BatchEntry[], pieces: Buffer[]): Promise<BatchResult> {
    const url = this.url(`push/${encodeURIComponent(this.machine)}/batch`);
    const response = await this.request('POST', url, encodeBatch(entries, pieces), BATCH_TYPE);
    if (response.status === 409) {
      const problem = (await response.json()) as { code?: string; size?: number; path?: string };
      if (problem.code === 'OFFSET_MISMATCH' && typeof problem.size === 'number') {
        return { ok: false, path: problem.path ?? '', size: problem.size };
      }
    }
    if (!response.ok) await this.fail(response);
    return { ok: true, files: ((await response.json()) as { files: PushedFile[] }).files };
  }

  async move(from: string, to: string): Promise<void> {
    const url = this.url(`push/${encodeURIComponent(this.machine)}/moves`);
    const response = await this.request('POST', url, JSON.stringify({ from, to }), 'application/json');
    if (!response.ok) await this.fail(response);
  }

  /** Removes a file; one the server no longer holds is fine (a retried delete). */
  async remove(path: string): Promise<void> {
    const response = await this.request('DELETE', this.fileUrl(path));
    if (!response.ok && response.status !== 404) await this.fail(response);
    if (!response.bodyUsed) await response.body?.cancel();
  }
}
