// A whole Herald site (API, feeds, pages) in its own process, for tests that measure the
// process itself (memory). Prints `{"port": n}` once listening (with HERALD_TEST_SESSION=1 also
// `"session"`: the cookie value of a signed-in admin); stops on SIGTERM.
import { openSession } from '../../server/domain/auth/sessions.ts';
import { createTestContext } from './deps.ts';
import { listen } from './server.ts';
import { makeUser } from './site.ts';

const t = await createTestContext();
const site = await listen(t);
let session: string | undefined;
if (process.env.HERALD_TEST_SESSION === '1') {
  const user = await makeUser(t, 'admin');
  session = (await openSession(t.deps, user.id)).token;
}
process.stdout.write(`${JSON.stringify({ port: Number(new URL(site.base).port), session })}\n`);
process.on('SIGTERM', () => {
  void site.close().then(() => t.close().then(() => process.exit(0)));
});
