import { describe, expect, it } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// A broadcast is rendered once per list and each copy gets its recipient's own links: this
// checks nobody gets somebody else's unsubscribe link, or the stand-in instead of one.
describe('links in a broadcast copy', () => {
  const ctx = useMailContext();

  it('gives every recipient on a list their own manage and unsubscribe links, in both parts', async () => {
    const people = ['ana@example.org', 'ben@example.org', 'cy@example.org'];
    for (const p of people) await makeConfirmedSubscriber(ctx.t.deps, p);
    await makeIncident(ctx.t.deps, { priority: 0, title: 'Checkout fails' });
    await testWorker(ctx.t).drain();
    const seen = new Set<string>();
    for (const p of people) {
      const [mail] = ctx.smtp.to(p);
      expect(mail, p).toBeDefined();
      const unsubscribe = new URL(mail!.header('list-unsubscribe')!.slice(1, -1));
      const token = unsubscribe.pathname.split('/').pop()!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(mail!.parsed.text).toContain(`/unsubscribe/${token}`);
      expect(mail!.parsed.text).toContain(`/manage/${token}`);
      expect(mail!.parsed.html).toContain(`/unsubscribe/${token}"`);
      expect(mail!.parsed.html).toContain(`/manage/${token}"`);
      expect(`${mail!.parsed.text}${mail!.parsed.html}`).not.toMatch(/herald[0-9a-f]+token/);
      // An ASCII update goes out as it is (7bit), with no quoted-printable work per copy.
      expect(mail!.raw).not.toContain('quoted-printable');
      seen.add(token);
    }
    expect(seen.size).toBe(people.length);
    // Each link is its recipient's own: one-click unsubscribe with Ben's leaves only Ben.
    const ben = new URL(
      ctx.smtp.to('ben@example.org')[0]!.header('list-unsubscribe')!.slice(1, -1),
    );
    const res = await ctx.t.app.request(ben.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    const states = await ctx.t.deps.db
      .select({ email: subscribers.email, state: subscribers.state })
      .from(subscribers)
      .orderBy(subscribers.email);
    expect(states).toEqual([
      { email: 'ana@example.org', state: 'confirmed' },
      { email: 'ben@example.org', state: 'unsubscribed' },
      { email: 'cy@example.org', state: 'confirmed' },
    ]);
  });
});
