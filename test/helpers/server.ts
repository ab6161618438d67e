import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app.ts';
import { createHttpServer, stopListening } from '../../server/http/server.ts';
import { mountSite } from '../../server/web/mount-site.ts';
import { createTestContext, type TestContext } from './deps.ts';

export interface ServerContext extends TestContext {
  url: string;
}

/** A real listening Herald (API, feeds and the built Astro site) on a random loopback port. */
export async function startTestServer(
  opts: Parameters<typeof createTestContext>[0] = {},
): Promise<ServerContext> {
  const t = await createTestContext(opts);
  const site = await listen(t);
  return {
    ...t,
    url: site.base,
    async close() {
      await site.close();
      await t.close();
    },
  };
}

/** Serves a test context's deps exactly as main.ts does (cache front, Hono, Astro) on loopback. */
export async function listen(t: TestContext): Promise<{ base: string; close(): Promise<void> }> {
  const app = createApp(t.deps);
  await mountSite(app, t.deps);
  const server = createHttpServer(app, t.deps);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    // Streams a browser left open (a status page's live updates) are cut, as a stopping server
    // cuts them; nothing else is in flight when a test closes its site.
    close: () => stopListening(server, 0),
  };
}
