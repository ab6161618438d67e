import { describe, expect, it } from 'vitest';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { publicActor } from '../../server/domain/subscribers/public-actor.ts';
import { requestSubscription } from '../../server/domain/subscribers/request-subscription.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Threading replies and de-duplication in mail clients rely on Message-IDs from one host:
// a broadcast and a single message (here a confirmation) must agree, whatever the settings say.
describe('Message-ID host', () => {
  const ctx = useMailContext();

  /** A broadcast to `reader` and a confirmation to `joiner`, both sent through the relay. */
  async function sendBoth(reader: string, joiner: string, title: string) {
    await makeConfirmedSubscriber(ctx.t.deps, reader);
    await makeIncident(ctx.t.deps, { priority: 0, title });
    await requestSubscription(ctx.t.deps, { email: joiner }, publicActor);
    await testWorker(ctx.t).drain();
    const broadcast = ctx.smtp.to(reader);
    const confirmation = ctx.smtp.to(joiner);
    expect(broadcast.map((m) => m.parsed.subject)).toEqual([`Major outage: ${title}`]);
    expect(confirmation).toHaveLength(1);
    return {
      broadcast: broadcast[0]!.parsed.messageId,
      confirmation: confirmation[0]!.parsed.messageId,
    };
  }

  it('follows the public URL changed in settings, for broadcasts and single messages alike', async () => {
    await updateSettings(ctx.t.deps, { publicUrl: 'https://status.acme.test' }, testActor);
    const ids = await sendBoth('reader1@example.org', 'joiner1@example.org', 'Login fails');
    expect(ids.broadcast).toMatch(/^<[^<>@\s]+@status\.acme\.test>$/);
    expect(ids.confirmation).toMatch(/^<[^<>@\s]+@status\.acme\.test>$/);
  });

  it('falls back to the configured PUBLIC_URL host when the settings have no URL, never localhost', async () => {
    await updateSettings(ctx.t.deps, { publicUrl: null }, testActor);
    const ids = await sendBoth('reader2@example.org', 'joiner2@example.org', 'Search is slow');
    expect(ids.broadcast).toMatch(/^<[^<>@\s]+@status\.example\.com>$/);
    expect(ids.confirmation).toMatch(/^<[^<>@\s]+@status\.example\.com>$/);
    expect(`${ids.broadcast} ${ids.confirmation}`).not.toContain('localhost');
  });
});
