import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { cacheKey, cacheLanguage, isCacheablePath } from '../cache/cache-policy.ts';
import { negotiateEncoding } from '../cache/negotiate.ts';
import { etagMatches, type Variant, variantOf } from '../cache/response-cache.ts';
import { audienceForHost } from './audience-host.ts';
import { canonicalRequestUrl } from './request-path.ts';
import { privatePageHeaders } from './page-headers.ts';
import { securityHeaders } from './security-headers.ts';

/**
 * A path that cannot be decoded into one a page could have: a plain 400, logged at debug (it is
 * the visitor's mistake or a probe, not Herald's fault), JSON under /api as the API speaks.
 */
function refuseBadPath(
  req: IncomingMessage,
  res: ServerResponse,
  why: string,
  deps: Pick<Deps, 'log' | 'config'>,
): void {
  deps.log.debug('bad request path', { method: req.method, why });
  const api = (req.url ?? '').startsWith('/api/');
  const message = `Herald could not read this address: ${why}. Check the link and try again.`;
  const body = api
    ? JSON.stringify({ error: { code: 'bad_request', message } })
    : `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad address</title></head><body><main><h1>Bad address</h1><p>${message}</p><p><a href="/">Go to the status page</a></p></main></body></html>`;
  res.writeHead(400, {
    ...securityHeaders(deps.config.publicUrl),
    ...(api ? { 'cache-control': 'no-store' } : privatePageHeaders),
    'content-type': api ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The HTTP server: a response-cache front and then Hono. During an outage everyone refreshes
 * the same few URLs; when the change-keyed cache already holds the answer, it is written
 * straight to the socket without building Request/Response objects, in the representation
 * (plain, gzip, brotli) the client accepts, each compressed once per change. Everything else
 * (misses, writes, admin, per-visitor pages) goes through Hono, which fills the cache.
 */
export function createHttpServer(
  app: Hono<any>,
  deps: Pick<Deps, 'cache' | 'reader' | 'log' | 'edge' | 'config'>,
): http.Server {
  // Cache hits skip Hono's middleware, so they get the headers every response carries here.
  // The whole header block of a variant is built once, as the flat name/value list writeHead
  // takes, rather than merged per request: under a refresh storm headers are most of the work.
  const security = securityHeaders(deps.config.publicUrl);
  const wires = new WeakMap<
    Variant,
    { full: (string | number)[]; notModified: (string | number)[] }
  >();
  const wireOf = (v: Variant) => {
    let w = wires.get(v);
    if (!w) {
      w = {
        full: Object.entries({ ...security, ...v.headers }).flat(),
        notModified: Object.entries({ ...security, ...v.notModified }).flat(),
      };
      wires.set(v, w);
    }
    return w;
  };
  const honoListener = getRequestListener(async (req: Request, env: unknown) => {
    const method = req.method;
    // Hono answers HEAD by running the GET route and copying its Response without the body;
    // a page Astro already wrote to the socket is then written a second time (headers sent
    // twice, two stack traces per HEAD). Run the GET route directly instead: Node's response
    // object drops the body of an answer to HEAD, so HEAD answers like GET without a body.
    if (method === 'HEAD') return app.fetch(new Request(req, { method: 'GET' }), env);
    if (method === 'GET') return app.fetch(req, env);
    // A write answers only after the caching edges dropped what it changed, so the next
    // request through the edge is fresh (bounded by EDGE_PURGE_TIMEOUT_MS; an unreachable
    // edge gets the purge later from the queue). Skipped when nothing was written.
    const before = deps.edge.enabled ? await deps.reader.changeCounter() : 0;
    const res = await app.fetch(req, env);
    if (deps.edge.enabled && (await deps.reader.changeCounter()) !== before) {
      await deps.edge.settle();
    }
    return res;
  });
  const listener = (req: IncomingMessage, res: ServerResponse, counter: number | undefined) => {
    const url = req.url ?? '/';
    const entry =
      counter === undefined
        ? undefined
        : deps.cache.get(
            counter,
            cacheKey(
              url,
              cacheLanguage(url, {
                cookie: req.headers.cookie,
                acceptLanguage: req.headers['accept-language'],
              }),
            ),
          );
    if (entry) {
      const v = variantOf(entry, negotiateEncoding(req.headers['accept-encoding']));
      if (etagMatches(req.headers['if-none-match'], v.etag)) {
        res.writeHead(304, wireOf(v).notModified);
        res.end();
        return;
      }
      res.writeHead(entry.status, wireOf(v).full);
      res.end(req.method === 'HEAD' ? undefined : v.body);
      return;
    }
    void honoListener(req, res);
  };
  // One counter read per event-loop turn for socket requests: libuv reads sockets in the poll
  // phase, so every request handled in a turn was received before the turn began, and a value
  // read during the turn already includes every write that had returned before any of them
  // arrived. setImmediate runs after the poll phase and forgets the value.
  let memo: number | undefined;
  const forget = () => {
    memo = undefined;
  };
  const readCounter = (): number | Promise<number> => {
    if (memo !== undefined) return memo;
    const c = deps.reader.changeCounter();
    if (typeof c === 'number') {
      memo = c;
      setImmediate(forget);
    }
    return c;
  };
  const onError = (err: unknown) => {
    // The database did not answer: Hono handles the request and reports it properly.
    deps.log.debug('cache front: counter read failed', { error: String(err) });
    return undefined;
  };
  const server = http.createServer((req, res) => {
    const canonical = canonicalRequestUrl(req.url ?? '/');
    if ('bad' in canonical) return refuseBadPath(req, res, canonical.bad, deps);
    req.url = canonical.url;
    const method = req.method;
    // An audience's host name answers per visitor: never from (or into) the public cache.
    if (
      (method !== 'GET' && method !== 'HEAD') ||
      !isCacheablePath(req.url ?? '/') ||
      audienceForHost(deps.config, req.headers.host) !== null
    )
      return listener(req, res, undefined);
    let counter: number | Promise<number>;
    try {
      counter = readCounter();
    } catch (err) {
      return listener(req, res, onError(err));
    }
    // The embedded database answers synchronously: no promise, no extra tick on the hot path.
    if (typeof counter === 'number') return listener(req, res, counter);
    counter.then(
      (c) => listener(req, res, c),
      (err) => listener(req, res, onError(err)),
    );
  });
  // An idle kept-alive connection is closed after 65 s, not Node's 5: a proxy in front
  // (Varnish keeps backend connections 60 s, nginx and load balancers similar) or a browser
  // that reuses one just as Herald closes it gets a reset, which a POST (the PM's update) does
  // not survive. Longer than the usual 60 s on the other side, so the other side closes first.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  return server;
}

/** How long an idle kept-alive connection stays open (`Keep-Alive: timeout=65`). */
export const KEEP_ALIVE_MS = 65_000;

/**
 * Stops taking connections and resolves once every one has ended. Change streams
 * (`/api/changes`) never end by themselves, so after `graceMs` for requests in flight every
 * connection still open is cut.
 */
export function stopListening(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  cut.unref();
  return closed.finally(() => clearTimeout(cut));
}
