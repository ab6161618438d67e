import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';

const kinds = ['slack', 'teams', 'discord'] as const;

/** The title each chat format shows, read from the body its receiver got. */
function chatTitle(kind: (typeof kinds)[number], body: any): string {
  if (kind === 'slack') return body.blocks[0].text.text;
  if (kind === 'teams') return body.attachments[0].content.body[0].text;
  return body.embeds[0].title;
}

// The PRIORITY subject is the team's; customers hear impact. A chat channel is the team's own
// only when an admin ticked "Internal channel": every other one hears what public email hears.
describe('chat channels get the subject of their audience', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let rx: Receiver;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    rx = await startReceiver();
    t = await createTestContext({ env: { SMTP_URL: smtp.url } });
    for (const kind of kinds)
      for (const internal of [false, true])
        await createWebhook(
          t.deps,
          {
            url: `${rx.url}/${kind}${internal ? '-internal' : ''}`,
            kind,
            internal,
            allowPrivate: true,
          },
          testActor,
        );
    for (const internal of [false, true])
      await createWebhook(
        t.deps,
        {
          url: `${rx.url}/webhook${internal ? '-internal' : ''}`,
          kind: 'webhook',
          internal,
          allowPrivate: true,
        },
        testActor,
      );
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
    await makeConfirmedSubscriber(t.deps, 'cto@example.com', 'stakeholders');
  });
  afterAll(async () => {
    await t.close();
    await rx.close();
    await smtp.close();
  });

  /** What each channel and each list got since the last call. */
  async function delivered() {
    await testWorker(t).drain();
    await createWebhookWorker(t.deps, { random: () => 0.5 }).runOnce();
    const bodies = new Map(
      rx.received.map((r) => [r.url.replace(/^\/hook\//, ''), JSON.parse(r.body)]),
    );
    const subject = (to: string) => smtp.to(to).map((m) => m.parsed.subject);
    const got = {
      bodies,
      publicEmail: subject('customer@example.org'),
      internalEmail: subject('cto@example.com'),
    };
    rx.received.length = 0;
    smtp.clear();
    return got;
  }

  it('a public channel hears the public email subject, an internal one the PRIORITY subject, from declaration to all-clear', async () => {
    const { incident } = await makeIncident(t.deps, {
      title: 'Website is down',
      priority: 0,
      body: 'Nobody can load the website.',
    });
    const declared = await delivered();
    expect(declared.publicEmail).toEqual(['Major outage: Website is down']);
    expect(declared.internalEmail).toEqual(['PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN']);
    for (const kind of kinds) {
      expect(chatTitle(kind, declared.bodies.get(kind))).toBe('Major outage: Website is down');
      expect(chatTitle(kind, declared.bodies.get(`${kind}-internal`))).toBe(
        'PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN',
      );
    }
    // Slack's notification text too; the signed webhook's envelope carries no subject at all.
    expect(declared.bodies.get('slack').text).toBe('Major outage: Website is down: Investigating');
    expect(JSON.stringify(declared.bodies.get('webhook'))).not.toContain('PRIORITY');
    // Nor the priority as a number: a public webhook's incident has the impact, as v2 JSON does.
    expect(declared.bodies.get('webhook').incident.impact).toBe('critical');
    expect(declared.bodies.get('webhook').incident).not.toHaveProperty('priority');
    expect(declared.bodies.get('webhook-internal').incident.priority).toBe(0);

    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Back up.' }, testActor);
    const resolved = await delivered();
    expect(resolved.publicEmail).toEqual(['Resolved: Website is down']);
    expect(resolved.internalEmail).toEqual(['PRIORITY 0 ISSUE RESOLVED: WEBSITE IS DOWN']);
    for (const kind of kinds) {
      expect(chatTitle(kind, resolved.bodies.get(kind))).toBe('Resolved: Website is down');
      expect(chatTitle(kind, resolved.bodies.get(`${kind}-internal`))).toBe(
        'PRIORITY 0 ISSUE RESOLVED: WEBSITE IS DOWN',
      );
    }
    expect(JSON.stringify(resolved.bodies.get('webhook'))).not.toContain('PRIORITY');
  });

  it('a drill keeps its mark on both', async () => {
    await createWebhook(
      t.deps,
      { url: `${rx.url}/drill`, kind: 'slack', isDrill: true, allowPrivate: true },
      testActor,
    );
    await createWebhook(
      t.deps,
      {
        url: `${rx.url}/drill-internal`,
        kind: 'slack',
        isDrill: true,
        internal: true,
        allowPrivate: true,
      },
      testActor,
    );
    await makeIncident(t.deps, { title: 'Practice', priority: 1, isDrill: true });
    const { bodies } = await delivered();
    expect(chatTitle('slack', bodies.get('drill'))).toBe('[DRILL] Partial outage: Practice');
    expect(chatTitle('slack', bodies.get('drill-internal'))).toBe(
      '[DRILL] PRIORITY 1 ISSUE UPDATE: PRACTICE',
    );
  });
});
