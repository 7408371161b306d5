import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { negotiate as negotiateEncoding } from '@fastify/accept-negotiator';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { WeightedLru } from '../rollout/lru.js';
import { appendVary } from './vary.js';

/** A payload as the route's 200 schema serialises it, for cachedJson. */
export function schemaBody(reply: FastifyReply, payload: unknown): BuiltBody {
  return { body: Buffer.from(reply.serialize(payload) as string) };
}

/**
 * What a cacheable route builds: its JSON body, and what the body was built from (`validator`:
 * ids, sizes, times, versions), hashed into the ETag when no freshness token is available.
 * Without one, a held body is hashed itself. A stream is a body too large to hold (records left
 * in their files): sent, never cached or compressed, and it always names its validator.
 */
export type BuiltBody = { body: Buffer; validator?: string } | { body: Readable; validator: string };

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Sends the JSON body `build` makes, with an ETag, `If-None-Match` → 304 and a cache of
     * built bodies. `freshness` is the repository's token for what the body depends on, taken
     * before building (`repository.freshness(true)`), or null.
     */
    cachedJson(freshness: string | null, build: () => Promise<BuiltBody>): Promise<FastifyReply>;
  }
}

export interface ResponseCacheOptions {
  maxBytes: number;
  maxEntries: number;
}

/** Bodies below this are sent as they are (as @fastify/compress does). */
const COMPRESS_THRESHOLD = 1024;
const ENCODINGS = ['br', 'gzip'] as const;
type Encoding = (typeof ENCODINGS)[number];

const compressors: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  // Quality 4: @fastify/compress's default too; 11 takes seconds on a large page.
  br: (body) => promisify(brotliCompress)(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }),
  gzip: (body) => promisify(gzip)(body),
};

interface Entry {
  token: string;
  body: Buffer;
  encoded: Partial<Record<Encoding, Promise<Buffer>>>;
}

/** Revalidate on every use, and never in a shared cache (session content is private); the body depends on Accept-Encoding. */
const CACHE_CONTROL = 'no-cache, private';

const hash = (value: string | Buffer) => createHash('sha1').update(value).digest('base64url').slice(0, 20);

/** The validated query in one canonical form: keys sorted, repeated values sorted. */
function canonicalQuery(query: unknown): string {
  if (query === null || typeof query !== 'object') return '';
  const entries = Object.entries(query as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, Array.isArray(v) ? [...v].map(String).sort() : v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/** If-None-Match against one ETag, by weak comparison (RFC 9110 §13.1.2); `*` matches any. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === opaque;
  });
}

/**
 * The cache of built JSON bodies of GET responses that depend only on their route, their
 * validated query and the Codex home: list pages now, search and usage too. With a freshness
 * token from the repository (the watched tree's version), the ETag is (process, token, query):
 * a matching If-None-Match is answered 304 without touching the disk, and a repeated request
 * is answered from the cached body, compressed once per encoding. Without a token (nothing
 * watches the tree), every request builds its body and the ETag is derived from what it was
 * built from, so it is never stale. Preconditions are evaluated whatever `Cache-Control` the
 * request carries: `no-cache` concerns caches, not the origin (RFC 9110 §13.2.1).
 */
export class ResponseCache {
  /** Tokens are counters that start again in every process: the ETag names the process too. */
  readonly epoch = randomBytes(6).toString('base64url');
  private readonly entries: WeightedLru<string, Entry>;
  private readonly building = new Map<string, Promise<Entry | null>>();

  constructor(options: ResponseCacheOptions) {
    this.entries = new WeightedLru({ maxWeight: options.maxBytes, maxEntries: options.maxEntries });
  }

  async send(request: FastifyRequest, reply: FastifyReply, freshness: string | null, build: () => Promise<BuiltBody>) {
    // The route's parameters too: `/conversations/:id/search` is one route for every id.
    const key = `${request.routeOptions.url ?? request.url}?${canonicalQuery(request.query)}#${canonicalQuery(request.params)}`;
    // The ETag goes on a 200 or a 304 only: never on an error the build may throw.
    const respond = (etag: string) => {
      appendVary(reply, 'accept-encoding');
      return reply.type('application/json; charset=utf-8').headers({ 'cache-control': CACHE_CONTROL, etag });
    };
    if (freshness === null) {
      const built = await build();
      const validator = built.validator ?? hash(built.body as Buffer); // a stream always names its validator
      const etag = `W/"c-${hash(`${key}\n${validator}`)}"`;
      if (noneMatch(request.headers['if-none-match'], etag)) {
        if (!Buffer.isBuffer(built.body)) built.body.destroy();
        return respond(etag).code(304).send();
      }
      return respond(etag).send(built.body);
    }
    const etag = `W/"${this.epoch}-${freshness}-${hash(key)}"`;
    if (noneMatch(request.headers['if-none-match'], etag)) return respond(etag).code(304).send();
    const entry = await this.entry(key, freshness, build);
    if (!('token' in entry)) return respond(etag).send(entry);
    const encoding = entry.body.length >= COMPRESS_THRESHOLD ? acceptedEncoding(request) : null;
    if (encoding === null) return respond(etag).send(entry.body);
    const encoded = await (entry.encoded[encoding] ??= this.compress(key, entry, encoding));
    return respond(etag).header('content-encoding', encoding).send(encoded);
  }

  /**
   * The cached body for (key, token), or a new one: concurrent requests for the same one share
   * one build. A streamed body belongs to the request that built it; one that joined such a
   * build builds its own, and so does one whose shared build failed (its builder's client may
   * have gone away, which stops that build: the error is not this request's).
   */
  private async entry(key: string, token: string, build: () => Promise<BuiltBody>): Promise<Entry | BuiltBody['body']> {
    const hit = this.entries.get(key);
    if (hit?.token === token) return hit;
    const buildKey = `${token}\n${key}`;
    const shared = this.building.get(buildKey);
    if (shared !== undefined) {
      const entry = await shared.catch(() => null);
      return entry ?? (await build()).body;
    }
    const mine = build();
    const pending = mine.then(({ body }) => {
      if (!Buffer.isBuffer(body)) return null;
      const entry: Entry = { token, body, encoded: {} };
      this.entries.set(key, entry, body.length);
      return entry;
    });
    this.building.set(buildKey, pending);
    void pending.finally(() => this.building.delete(buildKey)).catch(() => {});
    const entry = await pending;
    return entry ?? (await mine).body;
  }

  private compress(key: string, entry: Entry, encoding: Encoding): Promise<Buffer> {
    return compressors[encoding](entry.body).then((out) => {
      // Counted only while the entry is still the cached one.
      this.entries.grow(key, entry, out.length);
      return out;
    });
  }
}

function acceptedEncoding(request: FastifyRequest): Encoding | null {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string' || header === '') return null;
  const chosen = negotiateEncoding(header, [...ENCODINGS, 'identity']);
  return chosen === 'br' || chosen === 'gzip' ? chosen : null;
}

/** Decorates every reply with `cachedJson` (one cache per app). */
export const responseCaching = fp<ResponseCacheOptions>(
  async (app, options) => {
    const cache = new ResponseCache(options);
    app.decorateReply('cachedJson', function (this: FastifyReply, freshness: string | null, build: () => Promise<BuiltBody>) {
      return cache.send(this.request, this, freshness, build);
    });
  },
  { name: 'response-caching' },
);
