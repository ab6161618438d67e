import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import {
  freePort,
  type Proc,
  type VarnishProc,
  startHerald,
  startVarnish,
  waitForHealthy,
} from '../edge/edge-harness.ts';

// docs/languages.md: pages follow their reader's language, and a cached page never answers in
// the wrong one; behind Varnish one copy is kept per language by Herald's Vary.
// docs/audiences.md: "Make it public ... puts it on every public surface at once", and
// DESIGN.md: "after a write returns, every page, feed and API response shows it", with the
// edge purged by every change. Behind Debian's Varnish with deploy/varnish/herald.vcl.

describe('review (revaud): pages behind Varnish', () => {
  let t: TestContext;
  let varnish: VarnishProc;
  let herald: Proc;
  let token: string;

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${varnish.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
    await createAudience(
      t.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
    token = (await makeToken(t, 'admin')).secret;
    const [ph, pv] = [await freePort(), await freePort()];
    [varnish, herald] = await Promise.all([
      startVarnish({ dir: t.dir, port: pv, backends: [ph] }),
      startHerald({
        dbUrl: t.dbUrl,
        dir: t.dir,
        port: ph,
        env: { EDGE_PURGE_URLS: `http://127.0.0.1:${pv}/` },
      }),
    ]);
    await waitForHealthy(varnish);
  });
  afterAll(async () => {
    await herald?.stop();
    await varnish?.stop();
    await t?.close();
  });

  it('shows its incident page on the next request once it is made public', async () => {
    const declared = await call('POST', '/api/admin/incidents', {
      title: 'Checkout errors',
      priority: 2,
      body: 'WIDEN-r7 Some payments fail.',
      audiences: ['acme-corp'],
    });
    expect(declared.status).toBe(201);
    const id = (await declared.json()).incident.id as string;
    // Someone opens its address while it is for Acme only (the link in Acme's mail, say).
    expect((await fetch(`${varnish.url}/incidents/${id}`)).status).toBe(404);
    const widened = await call('PUT', `/api/admin/incidents/${id}/audiences`, {
      audiences: 'everyone',
    });
    expect(widened.status).toBe(200);
    // The public home page shows it at once...
    expect(await (await fetch(`${varnish.url}/`)).text()).toContain('Checkout errors');
    // ...and so should its own page.
    const page = await fetch(`${varnish.url}/incidents/${id}`);
    expect(
      { status: page.status, cache: page.headers.get('x-cache') },
      'the incident page through the edge after it was made public',
    ).toEqual({ status: 200, cache: expect.anything() });
    expect(await page.text()).toContain('WIDEN-r7 Some payments fail.');
  });

  it("answers each reader's 404 in their own language through the edge", async () => {
    // A dead link many follow at once (an old incident address, a page past the last).
    for (const path of ['/incidents/zzzzzzzzzzzz', '/history?page=99', '/no-such-page']) {
      const langOf = async (acceptLanguage: string) => {
        const r = await fetch(`${varnish.url}${path}`, {
          headers: { 'accept-language': acceptLanguage },
        });
        expect(r.status, path).toBe(404);
        return /<html lang="([^"]+)"/.exec(await r.text())?.[1];
      };
      expect(await langOf('de'), path).toBe('de');
      expect({ path, lang: await langOf('fr') }).toEqual({ path, lang: 'fr' });
    }
  });
});
