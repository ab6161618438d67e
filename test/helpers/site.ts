import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from '../../server/app.ts';
import { mountSite } from '../../server/site.ts';
import type { TestContext } from './deps.ts';

/** The full app with the built Astro site on a real loopback port (pages need Node's req/res). */
export async function startSite(t: TestContext) {
  const app = createApp(t.deps) as unknown as Hono<{ Bindings: HttpBindings }>;
  await mountSite(app, t.deps);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** A same-origin form POST, as a browser sends it from one of the site's pages. */
    post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
      return fetch(url + path, {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: { origin: url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
