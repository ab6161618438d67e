import type { OutboxKind } from '../../domain/outbox/enqueue-message.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { actionItemKinds } from './action-item-reminder.ts';
import { changeReviewKinds } from './change-review.ts';
import { composeBroadcastMail } from './compose.ts';
import { drillKinds } from './drills.ts';
import type { EmailKind, QueuedMessage, SendContext } from './email-kind.ts';
import { followKinds } from './incident-follow.ts';
import { lookBackKinds } from './look-back.ts';
import { promiseReminderKinds } from './promise-reminder.ts';
import { readerSignInKinds } from './reader-sign-in.ts';
import { reportKinds } from './reports.ts';
import { subscriberMailKinds } from './subscriber-mail.ts';
import { testMailKinds } from './test-mail.ts';
import { webhookEventKinds } from './webhook-events.ts';

/**
 * Every single email kind (a row of `outbox_messages`), each declared once in this folder with
 * its payload type and its rendering. The type asks for every kind the payload map names: a
 * kind declared without its line here does not compile.
 */
export const emailKinds: { [K in OutboxKind]: EmailKind<K> } = {
  ...subscriberMailKinds,
  ...testMailKinds,
  ...promiseReminderKinds,
  ...reportKinds,
  ...drillKinds,
  ...followKinds,
  ...actionItemKinds,
  ...lookBackKinds,
  ...readerSignInKinds,
  ...changeReviewKinds,
};

/**
 * Everything that leaves Herald after a commit, by the queue it waits in: which channel sends
 * it and what renders it. Single emails by their kind (above); a broadcast's copies, one per
 * recipient; webhook events, posted as the Statuspage envelope or as a Slack, Teams or Discord
 * message by the receiving webhook's own kind.
 */
export const deliveryKinds = {
  outbox_messages: emailKinds,
  deliveries: { broadcast: { channel: 'email', render: composeBroadcastMail } },
  webhook_deliveries: webhookEventKinds,
} as const;

/**
 * A single email from `outbox_messages` rendered by its kind, or null when it no longer applies
 * (skip it). The row's kind and payload are what `enqueueMessage` wrote, typed by the same map.
 */
export async function composeOutboxMail(
  ctx: SendContext,
  m: { kind: string; toAddress: string; payload: unknown; messageId: string },
): Promise<OutgoingMail | null> {
  if (!isOutboxKind(m.kind)) return null;
  return render(ctx, m.kind, m as QueuedMessage);
}

function render<K extends OutboxKind>(
  ctx: SendContext,
  kind: K,
  m: QueuedMessage<K>,
): Promise<OutgoingMail | null> | OutgoingMail | null {
  return emailKinds[kind].render(ctx, m);
}

function isOutboxKind(kind: string): kind is OutboxKind {
  return Object.hasOwn(emailKinds, kind);
}
