import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HttpBindings } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { IncomingMessage } from 'node:http';
import type { Hono } from 'hono';
import type { Deps } from './deps.ts';
import { respondFromCache } from './http/cached.ts';
import { cacheKey, isCacheablePath } from './http/cache-policy.ts';
import { createSiteLocals } from './site-locals.ts';

export const siteDist = fileURLToPath(new URL('../site/dist/', import.meta.url));

type AstroHandler = (req: IncomingMessage, res: unknown, next: (() => Promise<void>) | undefined, locals: App.Locals) => Promise<void>;
declare namespace App {
  interface Locals {
    herald: ReturnType<typeof createSiteLocals>;
  }
}


/**
 * Mounts the built Astro site as the catch-all after the API and feeds: hashed assets with a
 * long cache, other static files, then every page through Astro's Node handler with Herald's
 * read services in `locals`. Public pages are served from the change-keyed cache.
 */
export async function mountSite(app: Hono<{ Bindings: HttpBindings }>, deps: Deps, distDir = siteDist): Promise<void> {
  const entry = path.join(distDir, 'server', 'entry.mjs');
  if (!existsSync(entry)) {
    throw new Error(`The site is not built (${entry} is missing): run \`npm run build\` first.`);
  }
  const { handler } = (await import(pathToFileURL(entry).href)) as { handler: AstroHandler };
  const clientDir = path.relative(process.cwd(), path.join(distDir, 'client')) || '.';

  app.use(
    '/_astro/*',
    serveStatic({ root: clientDir, onFound: (_p, c) => c.header('Cache-Control', 'public, max-age=31536000, immutable') }),
  );
  // Other public files (favicon, robots.txt) are listed once at start-up, so page requests
  // never pay for a filesystem lookup.
  const staticServe = serveStatic({ root: clientDir, onFound: (_p, c) => c.header('Cache-Control', 'public, max-age=3600') });
  for (const file of listFiles(path.join(distDir, 'client'))) {
    if (!file.startsWith('_astro/')) app.get(`/${file}`, staticServe);
  }

  app.all('*', async (c) => {
    const locals = createSiteLocals(deps.reader, () => deps.clock.now());
    const method = c.req.method;
    const url = new URL(c.req.url);
    const cacheable = (method === 'GET' || method === 'HEAD') && isCacheablePath(url.pathname);
    if (cacheable) {
      const counter = await deps.reader.changeCounter();
      const key = cacheKey(url.pathname + url.search);
      const hit = deps.cache.get(counter, key);
      if (hit) return respondFromCache(c.req.header('if-none-match'), hit);
      locals.storePage = (e) => deps.cache.set(counter, key, e);
    }
    // Unknown paths fall through to `next`: render the 404 page with Herald's locals (Astro's
    // own fallback would render it without them).
    const notFound = () => {
      c.env.incoming.url = '/404';
      return handler(c.env.incoming, c.env.outgoing, undefined, { herald: locals });
    };
    await handler(c.env.incoming, c.env.outgoing, notFound, { herald: locals });
    return RESPONSE_ALREADY_SENT;
  });
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
