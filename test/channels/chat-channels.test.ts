import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type Receiver, startReceiver } from './receiver.ts';

describe('Slack, Teams and Discord channels', () => {
  let t: TestContext;
  let rx: Receiver;
  const bodies = new Map<string, any>();

  beforeAll(async () => {
    t = await createTestContext();
    rx = await startReceiver();
    const api = await makeComponent(t.deps, { name: 'API' });
    const add = (kind: 'slack' | 'teams' | 'discord', internal = false) =>
      createWebhook(
        t.deps,
        {
          url: `${rx.url}/${kind}${internal ? '-internal' : ''}`,
          kind,
          internal,
          allowPrivate: true,
        },
        testActor,
      );
    await add('slack');
    await add('slack', true);
    await add('teams');
    await add('teams', true);
    await add('discord');
    await add('discord', true);
    await createWebhook(
      t.deps,
      { url: `${rx.url}/p3-only`, kind: 'slack', priorities: [3], allowPrivate: true },
      testActor,
    );
    await makeIncident(t.deps, {
      title: 'Checkout <b>down</b> & @everyone',
      priority: 1,
      body: 'Payments fail for <some> users.',
      internalNote: 'Cause: the card processor. Tell customers to retry in 30 minutes.',
      components: [{ componentId: api.id, status: 'major_outage' }],
      nextUpdateInMinutes: 30,
    });
    await createWebhookWorker(t.deps).runOnce();
    for (const r of rx.received) bodies.set(r.url.replace(/^\/hook\//, ''), JSON.parse(r.body));
  });
  afterAll(async () => {
    await rx.close();
    await t.close();
  });

  it('reaches every P0/P1 channel, not one that takes P3 only', () => {
    expect([...bodies.keys()].sort()).toEqual([
      'discord',
      'discord-internal',
      'slack',
      'slack-internal',
      'teams',
      'teams-internal',
    ]);
  });

  it('Slack gets Block Kit with the subject, status, update, components, next update and a link', () => {
    const s = bodies.get('slack');
    // The fallback is mrkdwn too (it is what notifications show): escaped like the sections.
    expect(s.text).toBe(
      'Major outage: Checkout &lt;b&gt;down&lt;/b&gt; &amp; @everyone: Investigating',
    );
    expect(s.blocks.map((b: { type: string }) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'actions',
    ]);
    // A public channel hears impact, as public email does; the team's channel the priority.
    expect(s.blocks[0].text).toEqual({
      type: 'plain_text',
      text: 'Major outage: Checkout <b>down</b> & @everyone',
      emoji: false,
    });
    expect(bodies.get('slack-internal').blocks[0].text.text).toBe(
      'PRIORITY 1 ISSUE UPDATE: CHECKOUT <B>DOWN</B> & @EVERYONE',
    );
    const facts = s.blocks[1].fields.map((f: { text: string }) => f.text);
    expect(facts).toEqual([
      '*Status*\nInvestigating',
      '*Affected*\nAPI',
      '*Next update by*\n12:30 UTC',
    ]);
    // mrkdwn escaping: no text can form a link or a mention.
    expect(s.blocks[2].text).toEqual({
      type: 'mrkdwn',
      text: 'Payments fail for &lt;some&gt; users.',
    });
    expect(s.blocks[3].elements[0].url).toMatch(/^https:\/\/status\.example\.com\/incidents\//);
    expect(JSON.stringify(s)).not.toContain('card processor');
    expect(JSON.stringify(bodies.get('slack-internal'))).toContain(
      'Cause: the card processor. Tell customers to retry in 30 minutes.',
    );
  });

  it('Teams gets an Adaptive Card in the Workflows message envelope', () => {
    const m = bodies.get('teams');
    expect(m.type).toBe('message');
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0];
    expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(a.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(a.content.body[0]).toMatchObject({ type: 'TextBlock', weight: 'Bolder' });
    expect(a.content.body[1]).toEqual({
      type: 'FactSet',
      facts: [
        { title: 'Status', value: 'Investigating' },
        { title: 'Affected', value: 'API' },
        { title: 'Next update by', value: '12:30 UTC' },
      ],
    });
    expect(a.content.body[2]).toMatchObject({ text: 'Payments fail for <some> users.' });
    expect(a.content.actions[0]).toMatchObject({ type: 'Action.OpenUrl' });
    expect(JSON.stringify(m)).not.toContain('card processor');
    expect(JSON.stringify(bodies.get('teams-internal'))).toContain('card processor');
  });

  it('Discord gets an embed, with mentions switched off', () => {
    const d = bodies.get('discord');
    expect(d.allowed_mentions).toEqual({ parse: [] });
    expect(d.embeds).toHaveLength(1);
    const e = d.embeds[0];
    expect(e.title).toBe('Major outage: Checkout <b>down</b> & @everyone');
    expect(bodies.get('discord-internal').embeds[0].title).toBe(
      'PRIORITY 1 ISSUE UPDATE: CHECKOUT <B>DOWN</B> & @EVERYONE',
    );
    expect(e.url).toMatch(/^https:\/\/status\.example\.com\/incidents\//);
    expect(e.description).toBe('Payments fail for <some> users.');
    expect(e.color).toBe(0xa40e26);
    expect(e.fields.map((f: { name: string }) => f.name)).toEqual([
      'Status',
      'Affected',
      'Next update by',
    ]);
    expect(JSON.stringify(d)).not.toContain('card processor');
    expect(
      bodies
        .get('discord-internal')
        .embeds[0].fields.find((f: { name: string }) => f.name === 'Internal note').value,
    ).toContain('card processor');
  });
});
