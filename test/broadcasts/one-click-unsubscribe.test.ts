import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('one-click unsubscribe', () => {
  const ctx = useMailContext();
  afterEach(() => ctx.smtp.clear());

  it('one-click unsubscribe by POST to the List-Unsubscribe URL, with no login, stops every later email', async () => {
    await makeConfirmedSubscriber(ctx.t.deps, 'leaver@example.org');
    await makeConfirmedSubscriber(ctx.t.deps, 'stayer@example.org');
    const { incident } = await makeIncident(ctx.t.deps, { priority: 0, title: 'First' });
    await testWorker(ctx.t).drain();
    const [mail] = ctx.smtp.to('leaver@example.org');
    const url = new URL(mail!.header('list-unsubscribe')!.slice(1, -1));
    expect(url.protocol).toBe('https:');
    const res = await ctx.t.app.request(url.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Unsubscribed');
    const [s] = await ctx.t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'leaver@example.org'));
    expect(s!.state).toBe('unsubscribed');
    ctx.smtp.clear();
    // Every kind of later email: another update, the all-clear, and a new incident.
    await postIncidentUpdate(
      ctx.t.deps,
      { incidentId: incident.id, body: 'Second update' },
      testActor,
    );
    await resolveIncident(
      ctx.t.deps,
      { incidentId: incident.id, body: 'All clear now.' },
      testActor,
    );
    await makeIncident(ctx.t.deps, { priority: 1, title: 'Next', body: 'A new incident.' });
    await testWorker(ctx.t).drain();
    expect(ctx.smtp.to('leaver@example.org')).toHaveLength(0);
    // Positive control: each of them did go out (in any order), to the one who stayed.
    const stayer = ctx.smtp.to('stayer@example.org').map((m) => m.parsed.text);
    expect(stayer).toHaveLength(3);
    expect(stayer).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Second update'),
        expect.stringContaining('All clear now.'),
        expect.stringContaining('A new incident.'),
      ]),
    );
    // Asking twice is harmless.
    expect(
      (
        await ctx.t.app.request(url.pathname, {
          method: 'POST',
          body: 'List-Unsubscribe=One-Click',
        })
      ).status,
    ).toBe(200);
  });

  it('rejects a one-click unsubscribe with an unknown token and changes nothing', async () => {
    await makeConfirmedSubscriber(ctx.t.deps, 'unknown-token@example.org');
    const before = await ctx.t.deps.db.select().from(subscribers).orderBy(subscribers.id);
    const res = await ctx.t.app.request(
      '/unsubscribe/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      {
        method: 'POST',
        body: 'List-Unsubscribe=One-Click',
      },
    );
    expect(res.status).toBe(404);
    expect(await ctx.t.deps.db.select().from(subscribers).orderBy(subscribers.id)).toEqual(before);
    // Still subscribed: the next broadcast reaches them.
    await makeIncident(ctx.t.deps, { priority: 0, title: 'Still here' });
    await testWorker(ctx.t).drain();
    expect(ctx.smtp.to('unknown-token@example.org')).toHaveLength(1);
  });
});
