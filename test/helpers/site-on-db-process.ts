// A second Herald serving the whole site (API, feeds, pages) in its own process on the database
// argv[2], its clock standing at argv[3]: what a second instance behind a load balancer is, on
// the same clock as the test's. Prints `{"port": n}` once listening; stops on SIGTERM.
import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { ManualClock } from '../../server/domain/shared/clock.ts';
import { createHttpServer, stopListening } from '../../server/http/server.ts';
import { mountSite } from '../../server/web/mount-site.ts';

const [dbUrl, at] = process.argv.slice(2);
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'error',
  }),
  { clock: new ManualClock(at) },
);
const app = createApp(deps);
await mountSite(app, deps);
const server = createHttpServer(app, deps);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => {
  void stopListening(server, 0)
    .then(() => deps.close())
    .then(() => process.exit(0));
});
