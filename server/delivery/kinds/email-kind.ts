import type { Db } from '../../../db/client.ts';
import type { OutboxKind, OutboxPayloads } from '../../domain/outbox/enqueue-message.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';

/** A single email as it waits in `outbox_messages`, its payload typed by its kind. */
export interface QueuedMessage<K extends OutboxKind = OutboxKind> {
  kind: K;
  toAddress: string;
  payload: OutboxPayloads[K];
  messageId: string;
}

/** What every kind may read when it renders: one per claim. */
export interface SendContext {
  db: Db;
  page: PageContext;
  now: Date;
}

/**
 * One kind of single email: which channel sends it and how it is rendered at send time (it
 * loads what it needs through the domain's reads, then renders). Null means the message no
 * longer applies (a confirmation for someone who confirmed meanwhile): the row is `skipped`.
 * Its payload type is declared beside it, by augmenting the domain's `OutboxPayloads`.
 */
export interface EmailKind<K extends OutboxKind> {
  channel: 'email';
  render(ctx: SendContext, m: QueuedMessage<K>): Promise<OutgoingMail | null> | OutgoingMail | null;
}

export function emailKind<K extends OutboxKind>(render: EmailKind<K>['render']): EmailKind<K> {
  return { channel: 'email', render };
}
