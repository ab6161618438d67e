import { type WebhookEvent, webhookEvents, webhookKinds } from '../../../db/schema/enums.ts';
import type { WebhookMessage, WebhookRequest } from '../../domain/webhooks/webhook-send-context.ts';
import { chatPayload } from './chat-payloads.ts';

/**
 * One delivery's POST body, by the receiving webhook's kind: the Statuspage envelope for a
 * signed webhook, Block Kit for Slack, an Adaptive Card for Teams, an embed for Discord.
 */
export function renderWebhookRequest(m: WebhookMessage): WebhookRequest {
  const { kind, envelope, chat, ...to } = m;
  const body = kind === 'webhook' ? envelope : chatPayload(kind, chat);
  return { ...to, body: JSON.stringify(body) };
}

/**
 * Webhook events (and the admin's test), one queue per webhook in `webhook_deliveries`: every
 * event goes to every kind of webhook that wants it, rendered for that kind.
 */
export const webhookEventKinds = Object.fromEntries(
  [...webhookEvents, 'test' as const].map((event) => [
    event,
    { channels: webhookKinds, render: renderWebhookRequest },
  ]),
) as Record<
  WebhookEvent | 'test',
  { channels: typeof webhookKinds; render: typeof renderWebhookRequest }
>;
