import type { WebhookKind } from '../../../db/schema/enums.ts';
import type { ChatMessage } from '../../domain/webhooks/webhook-send-context.ts';

// Slack's Block Kit, a Teams Adaptive Card and a Discord embed of one event, each escaped for
// its own format and kept within its receiver's limits.

const colours: Record<ChatMessage['severity'], number> = {
  critical: 0xa40e26,
  major: 0xa0430a,
  minor: 0x7d4e00,
  ok: 0x116329,
  maintenance: 0x0b5394,
  info: 0x57606a,
};

const SCRIPT_TITLE = 'Support script (what support and sales say)';

/**
 * Escapes `raw` and keeps the result within `max` characters (or, with `bytes`, `max` bytes of
 * UTF-8 once JSON-encoded: what a size-limited receiver counts), cutting the raw text rather
 * than the escaped one so that no entity or backslash escape is cut in half, and never between
 * the halves of a surrogate pair.
 */
export function clipEscaped(
  raw: string,
  max: number,
  escape: (s: string) => string = (s) => s,
  bytes = false,
): string {
  const size = (s: string) =>
    bytes ? new TextEncoder().encode(JSON.stringify(s)).length - 2 : s.length;
  const whole = escape(raw);
  if (size(whole) <= max) return whole;
  const room = max - size('…');
  let k = Math.min(raw.length, room);
  for (;;) {
    if (k > 0 && /[\uD800-\uDBFF]/.test(raw[k - 1]!)) k--;
    const n = size(escape(raw.slice(0, k)));
    if (n <= room || k === 0) break;
    // Shrinks in proportion, so an escape that triples the text needs few rounds.
    k = Math.floor((k * room) / n);
  }
  return `${escape(raw.slice(0, k)).replace(/\s+$/, '')}…`;
}

/** Slack mrkdwn: only &, < and > are special (they form links and mentions). */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Discord markdown: emphasis, spoilers, code, strike and masked links (no `[`, no link)
 * anywhere; headings, quotes and lists at the start of a line. A backslash makes each literal. (Mentions are off
 * through `allowed_mentions`, so `@everyone` and `<@id>` can stay as typed.)
 */
export function discordEscape(s: string): string {
  return s
    .replace(/[\\*_~`|[\]]/g, '\\$&')
    .replace(/^(\s*)([#>+-]|\d+\.)(?=\s|$)/gm, (_m, sp: string, mark: string) =>
      /^\d/.test(mark) ? `${sp}${mark.slice(0, -1)}\\.` : `${sp}\\${mark}`,
    );
}

/**
 * Adaptive Card text (TextBlock, Fact values): a Markdown subset (bold, italic, lists, links)
 * escaped with backslashes, and the `{{DATE(...)}}` / `{{TIME(...)}}` functions, which a
 * zero-width space between the braces keeps from being evaluated. HTML is never rendered.
 */
export function adaptiveEscape(s: string): string {
  return s
    .replace(/[\\*_[\]]/g, '\\$&')
    .replace(/^(\s*)([+-]|\d+\.)(?=\s|$)/gm, (_m, sp: string, mark: string) =>
      /^\d/.test(mark) ? `${sp}${mark.slice(0, -1)}\\.` : `${sp}\\${mark}`,
    )
    .replace(/\{\{/g, '{\u200b{');
}

function facts(m: ChatMessage): [string, string][] {
  const f: [string, string][] = [['Status', m.status]];
  if (m.window) f.push(['Window', m.window]);
  if (m.components.length) f.push(['Affected', m.components.join(', ')]);
  if (m.nextUpdateBy) f.push(['Next update by', m.nextUpdateBy]);
  return f;
}

/** The internal sections, in the order every format shows them. */
function internalParts(m: ChatMessage): [string, string][] {
  const p: [string, string][] = [];
  if (m.internalNote) p.push(['Internal note', m.internalNote]);
  if (m.supportScript) p.push([SCRIPT_TITLE, m.supportScript]);
  return p;
}

/**
 * Slack Block Kit for an incoming webhook; `text` is the notification fallback. Limits: header
 * 150, field 2,000, section 3,000 characters; a message of a few sections stays well under the
 * ~12,000 characters Slack takes in blocks.
 */
export function slackPayload(m: ChatMessage) {
  const e = slackEscape;
  const blocks: unknown[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clipEscaped(m.headline, 150), emoji: false },
    },
    {
      type: 'section',
      fields: facts(m).map(([k, v]) => ({
        type: 'mrkdwn',
        text: `*${k}*\n${clipEscaped(v, 1900, e)}`,
      })),
    },
    { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(m.body, 3000, e) } },
  ];
  for (const [title, text] of internalParts(m))
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*${title}*\n${clipEscaped(text, 2900, e)}` },
    });
  blocks.push({
    type: 'actions',
    elements: [
      { type: 'button', text: { type: 'plain_text', text: 'Open the status page' }, url: m.url },
    ],
  });
  return { text: clipEscaped(`${m.headline}: ${m.status}`, 3000, e), blocks };
}

/**
 * A Teams Adaptive Card in the message envelope that Workflows ("Post to a channel") takes.
 * Teams refuses a message over about 28 KB, so the texts get byte budgets (as sent: UTF-8, JSON
 * escapes included) that add up to well under that.
 */
export function teamsPayload(m: ChatMessage) {
  const a = (s: string, bytes: number) => clipEscaped(s, bytes, adaptiveEscape, true);
  const body: unknown[] = [
    {
      type: 'TextBlock',
      text: a(m.headline, 600),
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
    },
    {
      type: 'FactSet',
      facts: facts(m).map(([title, value]) => ({ title, value: a(value, 1000) })),
    },
    { type: 'TextBlock', text: a(m.body, 9000), wrap: true },
  ];
  for (const [title, text] of internalParts(m))
    body.push(
      { type: 'TextBlock', text: title, weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: a(text, 5000), wrap: true },
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

/** Discord's embed limits: title 256, description 4,096, field value 1,024, 6,000 in all. */
const DISCORD_TOTAL = 6000;

/** A Discord embed; mentions are switched off so no text can ping @everyone. */
export function discordPayload(m: ChatMessage) {
  const d = (s: string, n: number) => clipEscaped(s, n, discordEscape);
  const title = d(m.headline, 256);
  const fields = [
    ...facts(m).map(([name, value]) => ({
      name,
      value: d(value, 1024),
      inline: name !== 'Affected' && name !== 'Window',
    })),
    ...internalParts(m).map(([name, value]) => ({ name, value: d(value, 1024), inline: false })),
  ];
  // The description gets what the title and the fields leave of the embed's total.
  const used = title.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title,
        url: m.url,
        description: d(m.body, Math.min(4096, DISCORD_TOTAL - used)),
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
