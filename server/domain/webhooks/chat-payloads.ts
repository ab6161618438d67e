import type { WebhookKind } from '../../../db/schema/enums.ts';

/** What a chat channel shows of one event; every text is plain and escaped per format. */
export interface ChatMessage {
  /** "PRIORITY 1 ISSUE UPDATE: API IS DOWN", "[DRILL] ...", "API: Major outage". */
  headline: string;
  status: string;
  body: string;
  internalNote: string | null;
  components: string[];
  /** "14:30 UTC", or null without a promise. */
  nextUpdateBy: string | null;
  url: string;
  /** A colour for the kinds that have one: the worst state involved. */
  severity: 'critical' | 'major' | 'minor' | 'ok' | 'maintenance' | 'info';
}

const colours: Record<ChatMessage['severity'], number> = {
  critical: 0xa40e26,
  major: 0xa0430a,
  minor: 0x7d4e00,
  ok: 0x116329,
  maintenance: 0x0b5394,
  info: 0x57606a,
};

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Slack mrkdwn: only &, < and > are special (they form links and mentions). */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function facts(m: ChatMessage): [string, string][] {
  const f: [string, string][] = [['Status', m.status]];
  if (m.components.length) f.push(['Affected', m.components.join(', ')]);
  if (m.nextUpdateBy) f.push(['Next update by', m.nextUpdateBy]);
  return f;
}

/** Slack Block Kit for an incoming webhook; `text` is the notification fallback. */
export function slackPayload(m: ChatMessage) {
  const e = slackEscape;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(m.headline, 150), emoji: false } },
    {
      type: 'section',
      fields: facts(m).map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${e(v)}`, 2000) })),
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(e(m.body), 3000) } },
  ];
  if (m.internalNote)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*Internal note*\n${e(m.internalNote)}`, 3000) },
    });
  blocks.push({
    type: 'actions',
    elements: [
      { type: 'button', text: { type: 'plain_text', text: 'Open the status page' }, url: m.url },
    ],
  });
  return { text: clip(`${m.headline}: ${m.status}`, 3000), blocks };
}

/** A Teams Adaptive Card in the message envelope that Workflows ("Post to a channel") takes. */
export function teamsPayload(m: ChatMessage) {
  const body: unknown[] = [
    { type: 'TextBlock', text: m.headline, weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'FactSet', facts: facts(m).map(([title, value]) => ({ title, value })) },
    { type: 'TextBlock', text: m.body, wrap: true },
  ];
  if (m.internalNote)
    body.push(
      { type: 'TextBlock', text: 'Internal note', weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: m.internalNote, wrap: true },
    );
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: [{ type: 'Action.OpenUrl', title: 'Open the status page', url: m.url }],
        },
      },
    ],
  };
}

/** A Discord embed; mentions are switched off so no text can ping @everyone. */
export function discordPayload(m: ChatMessage) {
  const fields = facts(m).map(([name, value]) => ({
    name,
    value: clip(value, 1024),
    inline: name !== 'Affected',
  }));
  if (m.internalNote)
    fields.push({ name: 'Internal note', value: clip(m.internalNote, 1024), inline: false });
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: clip(m.headline, 256),
        url: m.url,
        description: clip(m.body, 4096),
        color: colours[m.severity],
        fields,
      },
    ],
  };
}

export function chatPayload(kind: Exclude<WebhookKind, 'webhook'>, m: ChatMessage): unknown {
  if (kind === 'slack') return slackPayload(m);
  if (kind === 'teams') return teamsPayload(m);
  return discordPayload(m);
}
