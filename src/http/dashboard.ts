import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

/**
 * The page's Content-Security-Policy (docs/dashboard.md): only this origin, no inline script, no eval.
 * Styles are this origin's stylesheet too (inline style attributes are refused; styles set
 * from script through the CSSOM, as Preact and uPlot do, are not affected). `data:` images
 * cover the empty favicon and images embedded in a message; no other origin is ever contacted.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Routes of the dashboard: public files that hold no session data, so they need no token. */
export const DASHBOARD_ROUTES = ['/', '/assets/:file'];

const HASHED_ASSET = /^[A-Za-z0-9_-]+-[A-Z0-9]{8}\.(js|css)$/;
const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * Where the built dashboard is: next to the bundled server (dist/web beside dist/cli.js) or,
 * when running from source (tests), in dist/web at the package root.
 */
export function defaultWebRoot(): string | null {
  const candidates = ['./web/', '../../dist/web/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

type Encoding = 'br' | 'gzip' | null;

/** The best precompressed form the client accepts (brotli, then gzip), honouring `q=0`. */
export function pickEncoding(header: string | undefined): Encoding {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q !== undefined && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return null;
}

/** Serves the dashboard (built by `npm run build` into dist/web) at `/` from the same process. */
export const dashboard: FastifyPluginAsync<{ webRoot?: string | null }> = async (app, options) => {
  const webRoot = options.webRoot === undefined ? defaultWebRoot() : options.webRoot;
  // Hashed assets never change, so each is read once; the set is the build's few files.
  const assets = new Map<string, Buffer>();
  const readAsset = async (name: string): Promise<Buffer | null> => {
    const cached = assets.get(name);
    if (cached) return cached;
    const bytes = await readFile(join(webRoot as string, 'assets', name)).catch(() => null);
    if (bytes) assets.set(name, bytes);
    return bytes;
  };

  app.get('/', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    if (webRoot === null) throw new HttpProblem('NOT_FOUND', 'the dashboard is not built; run npm run build');
    // Read on every request (it is tiny): a rebuild while the server runs is served at once.
    const html = await readFile(join(webRoot, 'index.html'));
    const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"`;
    reply.headers({ ...PAGE_HEADERS, etag });
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(html);
  });

  app.get('/assets/:file', { schema: { hide: true } }, async (request: FastifyRequest<{ Params: { file: string } }>, reply) => {
    const name = request.params.file;
    const match = HASHED_ASSET.exec(name);
    const notFound = () => new HttpProblem('NOT_FOUND', `no dashboard asset ${name}`);
    if (webRoot === null || match === null) throw notFound();
    const encoding = pickEncoding(request.headers['accept-encoding']);
    const body = (encoding && (await readAsset(`${name}.${encoding === 'br' ? 'br' : 'gz'}`))) || null;
    const plain = body === null ? await readAsset(name) : null;
    if (body === null && plain === null) throw notFound();
    reply.headers({
      'content-type': CONTENT_TYPES[match[1] as string],
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(body !== null && encoding !== null ? { 'content-encoding': encoding } : {}),
    });
    return reply.send(body ?? plain);
  });
};
