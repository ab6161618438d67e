import type { AddressInfo } from 'node:net';
import { createHttpServer, stopListening } from '../../server/http/server.ts';
import type { TestContext } from '../helpers/deps.ts';

/** Herald's API (no site build needed) served as main.ts serves it, on a loopback port. */
export async function listenApi(t: TestContext) {
  const server = createHttpServer(t.app, t.deps);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => stopListening(server, 0),
  };
}
