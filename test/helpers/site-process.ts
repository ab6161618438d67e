// A whole Herald site (API, feeds, pages) in its own process, for tests that measure the
// process itself (memory). Prints `{"port": n}` once listening; stops on SIGTERM.
import { createTestContext } from './deps.ts';
import { listen } from './server.ts';

const t = await createTestContext();
const site = await listen(t);
process.stdout.write(`${JSON.stringify({ port: Number(new URL(site.base).port) })}\n`);
process.on('SIGTERM', () => {
  void site.close().then(() => t.close().then(() => process.exit(0)));
});
