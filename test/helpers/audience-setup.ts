import { expect } from 'vitest';
import { api, makeToken } from './api.ts';
import { testWorker } from './outbox.ts';
import { startTestServer } from './server.ts';
import { FormClient } from './site.ts';
import { startSmtpSink } from './smtp.ts';

/** A link Herald wrote (mail, feed, JSON) as a path on the test site, for a FormClient. */
export function sitePath(link: string) {
  const u = new URL(link);
  return u.pathname + u.search + u.hash;
}

/** Creates a named audience through the admin API; the API answers 201. */
export async function createAudience(
  admin: ReturnType<typeof api>,
  audience: { name: string; slug: string; memberDomains: string[] },
) {
  expect((await admin.post('/api/admin/audiences', audience)).status).toBe(201);
}

/**
 * A listening Herald mailing through a real SMTP sink, with one named audience (Acme Corp, whose
 * members have acme.com addresses) and its own incident list for P0/P1: what a test of an
 * audience reader's pages and mail starts from. `signIn` goes the way a reader does, through the
 * emailed sign-in link.
 */
export async function startAudienceServer() {
  const smtp = await startSmtpSink();
  const s = await startTestServer({ env: { SMTP_URL: smtp.url } });
  const close = async () => {
    await s.close();
    await smtp.close();
  };
  try {
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    await createAudience(admin, {
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: ['acme.com'],
    });
    const list = await admin.post('/api/admin/lists', {
      name: 'Acme incident mail',
      audience: 'acme-corp',
      priorities: [0, 1],
    });
    expect(list.status).toBe(201);
    const drain = () => testWorker(s).drain();

    /** An emailed sign-in link asked for on the audience's sign-in page and pressed. */
    async function signIn(email: string, audience = 'acme-corp') {
      const c = new FormClient(s.url);
      await c.get(`/a/${audience}/sign-in`);
      await c.post(`/a/${audience}/sign-in`, { email });
      await drain();
      const text = smtp.to(email).at(-1)!.parsed.text!;
      const link = new RegExp(`https://status\\.example\\.com/a/${audience}/sign-in/\\S+`);
      const path = sitePath(link.exec(text)![0]);
      await c.get(path);
      const r = await c.post(path, {});
      expect(r.res.status).toBe(303);
      return c;
    }

    return { smtp, s, admin, listId: list.json.list.id as string, drain, signIn, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export type AudienceServer = Awaited<ReturnType<typeof startAudienceServer>>;
