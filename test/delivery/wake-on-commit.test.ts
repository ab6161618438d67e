import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { heraldBesideRelay } from '../helpers/herald-beside-relay.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// The delivery process looks for due rows on its own only every DELIVERY_POLL_SECONDS (here ten
// minutes, far beyond the test's wait): what arrives does so because the server's own commit told
// it, as it does after every write.
describe('what a write of the server queues goes out at once', { timeout: 120_000 }, () => {
  const w = heraldBesideRelay();

  it("a P0 declared through the server's API reaches subscribers and webhooks without waiting for the delivery process's next look", async () => {
    const posts: string[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await createWebhook(w.t.deps, { url, allowPrivate: true }, testActor);
      await makeConfirmedSubscriber(w.t.deps, 'woken@example.net');
      const { secret } = await makeToken(w.t, 'admin');
      const h = await w.start({ DELIVERY_POLL_SECONDS: '600' });
      // Its lanes have made their first look (nothing was due) and rest for ten minutes.
      await h.waitFor(/delivery process runs/);
      const res = await fetch(`${h.base}/api/admin/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Woken by the commit', priority: 0, body: 'Down.' }),
      });
      expect(res.status).toBe(201);
      await expect
        .poll(() => w.receivedBy('woken@').length, { timeout: 60_000, interval: 20 })
        .toBe(1);
      expect(w.receivedAbout('Woken by the commit')).toHaveLength(1);
      await expect
        .poll(() => posts.some((p) => p.includes('Woken by the commit')), {
          timeout: 60_000,
          interval: 20,
        })
        .toBe(true);
      h.signal('SIGTERM');
      expect(await h.exited).toBe(0);
    } finally {
      receiver.close();
    }
  });
});
