import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveSupportScript } from '../../server/domain/support/support-script.ts';
import {
  adaptiveEscape,
  clipEscaped,
  discordEscape,
  slackEscape,
} from '../../server/delivery/kinds/chat-payloads.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type Receiver, startReceiver } from './receiver.ts';

const SCRIPT_TITLE = 'Support script (what support and sales say)';
const SCRIPT = [
  'Say: *sorry* for <!channel> & [the outage](https://evil.example)',
  '- retry in 30 minutes',
  '1. check {{DATE(2026-11-21T12:00:00Z)}} _now_',
].join('\n');

type Kind = 'slack' | 'teams' | 'discord';
const kinds: Kind[] = ['slack', 'teams', 'discord'];

/** The text a payload shows under the support script heading, or undefined without one. */
function scriptOf(kind: Kind, body: any): string | undefined {
  if (kind === 'slack') {
    const block = body.blocks.find((b: any) => b.text?.text?.startsWith(`*${SCRIPT_TITLE}*\n`));
    return block?.text.text.slice(SCRIPT_TITLE.length + 3);
  }
  if (kind === 'teams') {
    const items = body.attachments[0].content.body;
    const i = items.findIndex((b: any) => b.text === SCRIPT_TITLE);
    return i < 0 ? undefined : items[i + 1].text;
  }
  return body.embeds[0].fields.find((f: any) => f.name === SCRIPT_TITLE)?.value;
}

describe('the support script in internal chat channels', () => {
  let t: TestContext;
  let rx: Receiver;
  /** Bodies by receiver path and incident id. */
  const got = new Map<string, any>();
  let edited = '';
  let untouched = '';
  let long = '';

  beforeAll(async () => {
    t = await createTestContext();
    rx = await startReceiver();
    const api = await makeComponent(t.deps, { name: 'API' });
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
    const declare = (title: string, extra: Record<string, unknown> = {}) =>
      makeIncident(t.deps, {
        title,
        priority: 1,
        body: 'Payments fail for some users.',
        internalNote: 'Cause: the card processor.',
        components: [{ componentId: api.id, status: 'major_outage' }],
        ...extra,
      });
    edited = (await declare('Checkout down')).incident.id;
    await saveSupportScript(t.deps, { incidentId: edited, body: SCRIPT }, testActor);
    untouched = (await declare('Search slow')).incident.id;
    long = (
      await declare('Everything <down> & more', {
        body: 'ü'.repeat(10_000),
        internalNote: '<&>'.repeat(3_000),
      })
    ).incident.id;
    await saveSupportScript(
      t.deps,
      { incidentId: long, body: `${'*_['.repeat(3_000)}ü€😀`.slice(0, 10_000) },
      testActor,
    );
    await createWebhookWorker(t.deps).runOnce();
    for (const r of rx.received) {
      const body = JSON.parse(r.body);
      const text = JSON.stringify(body);
      const id = [edited, untouched, long].find((x) => text.includes(`/incidents/${x}`))!;
      got.set(`${r.url.replace(/^\/hook\//, '')} ${id}`, body);
    }
  });
  afterAll(async () => {
    await rx.close();
    await t.close();
  });

  it('internal Slack, Teams and Discord channels carry it, escaped for each', () => {
    expect(scriptOf('slack', got.get(`slack-internal ${edited}`))).toBe(
      [
        'Say: *sorry* for &lt;!channel&gt; &amp; [the outage](https://evil.example)',
        '- retry in 30 minutes',
        '1. check {{DATE(2026-11-21T12:00:00Z)}} _now_',
      ].join('\n'),
    );
    expect(scriptOf('teams', got.get(`teams-internal ${edited}`))).toBe(
      [
        'Say: \\*sorry\\* for <!channel> & \\[the outage\\](https://evil.example)',
        '\\- retry in 30 minutes',
        '1\\. check {\u200b{DATE(2026-11-21T12:00:00Z)}} \\_now\\_',
      ].join('\n'),
    );
    expect(scriptOf('discord', got.get(`discord-internal ${edited}`))).toBe(
      [
        'Say: \\*sorry\\* for <!channel> & \\[the outage\\](https://evil.example)',
        '\\- retry in 30 minutes',
        '1\\. check {{DATE(2026-11-21T12:00:00Z)}} \\_now\\_',
      ].join('\n'),
    );
    // After the internal note, in each.
    const slack = got.get(`slack-internal ${edited}`).blocks.map((b: any) => b.text?.text ?? '');
    expect(slack.findIndex((x: string) => x.startsWith('*Internal note*'))).toBeLessThan(
      slack.findIndex((x: string) => x.startsWith(`*${SCRIPT_TITLE}*`)),
    );
  });

  it('public channels never carry it, nor the internal note', () => {
    for (const kind of kinds)
      for (const id of [edited, untouched, long]) {
        const body = got.get(`${kind} ${id}`);
        expect(body, `${kind} ${id}`).toBeDefined();
        expect(scriptOf(kind, body)).toBeUndefined();
        const text = JSON.stringify(body);
        expect(text).not.toContain('Support script');
        expect(text).not.toContain('retry in 30 minutes');
        expect(text).not.toContain('What to say');
        expect(text).not.toContain('card processor');
      }
  });

  it('an incident whose script was never edited carries the one the internal email starts with', () => {
    for (const kind of kinds) {
      const script = scriptOf(kind, got.get(`${kind}-internal ${untouched}`));
      expect(script).toContain('We know about it: Search slow.');
      expect(script).toContain(`https://status.example.com/incidents/${untouched}`);
    }
  });

  it('long texts are clipped to each platform limit without cutting an escape in half', () => {
    const slack = got.get(`slack-internal ${long}`);
    for (const b of slack.blocks.filter((x: any) => x.type === 'section' && x.text)) {
      expect(b.text.text.length).toBeLessThanOrEqual(3000);
      // Every & left is the start of a whole entity.
      expect(b.text.text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    }
    expect(scriptOf('slack', slack)).toMatch(/…$/);

    const embed = got.get(`discord-internal ${long}`).embeds[0];
    const total =
      embed.title.length +
      embed.description.length +
      embed.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    for (const f of embed.fields) {
      expect(f.value.length).toBeLessThanOrEqual(1024);
      // No dangling backslash: the last escape before the ellipsis is whole.
      expect(f.value).not.toMatch(/(^|[^\\])(\\\\)*\\…$/);
    }

    const teams = got.get(`teams-internal ${long}`);
    expect(Buffer.byteLength(JSON.stringify(teams))).toBeLessThan(28_000);
    expect(scriptOf('teams', teams)).toMatch(/…$/);
  });

  it('the escapes and the clip keep what they promise', () => {
    expect(slackEscape('<@U1> & <!here>')).toBe('&lt;@U1&gt; &amp; &lt;!here&gt;');
    expect(discordEscape('# big\n> quote\n**b** ||spoiler|| `c` ~~s~~ \\')).toBe(
      '\\# big\n\\> quote\n\\*\\*b\\*\\* \\|\\|spoiler\\|\\| \\`c\\` \\~\\~s\\~\\~ \\\\',
    );
    expect(adaptiveEscape('**b** _i_ [l](u)\n- a\n2. b {{TIME(x)}}')).toBe(
      '\\*\\*b\\*\\* \\_i\\_ \\[l\\](u)\n\\- a\n2\\. b {\u200b{TIME(x)}}',
    );
    expect(clipEscaped('&&&&', 10, slackEscape)).toBe('&amp;…');
    expect(clipEscaped('ab😀', 3)).toBe('ab…');
    expect(clipEscaped('üüüü', 5, (s) => s, true)).toBe('ü…');
    expect(clipEscaped('short', 10, slackEscape)).toBe('short');
  });
});
