import { sql } from 'drizzle-orm';
import type { webhooks } from '../../../db/schema/index.ts';
import { hashToken, webhookManageToken } from '../subscribers/tokens.ts';

/**
 * A visitor's webhook (a follower of one incident, a public sign-up), as a condition on
 * `webhooks` aliased `w`: its owner fixes it through the manage link, not the team. One
 * definition for the dashboard, the pause email and the expiry of paused ones.
 */
export const visitorOwned = sql`(w.incident_id IS NOT NULL
  OR EXISTS (SELECT 1 FROM webhook_signups s WHERE s.webhook_id = w.id))`;

const kindNames = {
  webhook: 'webhook',
  slack: 'Slack channel',
  teams: 'Teams channel',
  discord: 'Discord channel',
} as const;

/**
 * How the team's pages, mail and log name a webhook without its URL, which for a chat channel is
 * itself a secret: "Slack channel at hooks.slack.com".
 */
export const webhookName = (kind: (typeof webhooks.$inferSelect)['kind'], url: string) =>
  `${kindNames[kind]} at ${new URL(url).host}`;

/**
 * The `webhook_signups` row that makes a visitor's webhook manageable at
 * `/manage/webhook/TOKEN`: the token is derived from the link key and the webhook's id (so it
 * can be shown now and derived again later), and only its hash is stored.
 */
export function manageLinkRow(linkKey: string, webhookId: string, now: Date) {
  return {
    webhookId,
    manageTokenHash: hashToken(webhookManageToken(linkKey, webhookId)),
    createdAt: now,
  };
}
