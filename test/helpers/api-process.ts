// A real Herald serving its API in its own process, on the database argv[2]: what a second
// instance behind a load balancer is. Prints `{"port": n}` once listening; on SIGTERM it stops
// as main.ts does (running imports mark themselves interrupted) and exits.
import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { createHttpServer } from '../../server/http/server.ts';

const [dbUrl] = process.argv.slice(2);
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'error',
  }),
);
const server = createHttpServer(createApp(deps), deps);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => {
  server.close();
  void deps.close().then(() => process.exit(0));
});
