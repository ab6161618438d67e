import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

describe('the admin dashboard when the edge refuses purges', () => {
  let t: TestContext;
  let site: { base: string; close(): Promise<void> };
  let edge: http.Server;
  const seen: string[] = [];

  beforeAll(async () => {
    // An edge whose ACL does not let Herald in, as a Varnish with the wrong purgers list answers.
    edge = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.headers['xkey-purge']}`);
      res.writeHead(403).end('Purging is not allowed from this address');
    });
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r));
    const port = (edge.address() as AddressInfo).port;
    t = await createTestContext({
      clock: systemClock,
      env: { EDGE_PURGE_URLS: `http://127.0.0.1:${port}/` },
    });
    site = await startSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await new Promise<void>((r) => edge.close(() => r()));
  });

  it('says the edge is behind and why, after a write through the admin API still succeeded', async () => {
    const admin = new FormClient(site.base);
    const user = await makeUser(t, 'admin');
    await admin.login(user.email);
    expect((await admin.get('/admin')).html).not.toContain('Edge is behind');

    const { secret } = await makeToken(t, 'admin');
    const res = await fetch(`${site.base}/api/admin/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Queue backlog', priority: 2, body: 'Jobs run late.' }),
    });
    expect(res.status).toBe(201);
    // The purge was sent before the write answered.
    expect(seen).toEqual(['PURGE herald']);

    const { html } = await admin.get('/admin');
    expect(html).toContain('Edge is behind');
    expect(html).toContain('answered 403: Purging is not allowed from this address');
  });
});
