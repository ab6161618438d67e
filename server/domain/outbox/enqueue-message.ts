import type { DbOrTx } from '../../../db/client.ts';
import { outboxMessages } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { newId } from '../shared/ids.ts';
import { readMessageIdHost } from './message-id.ts';
import { type ReportOutboxPayload, reportOutboxKinds } from './report-mail-kinds.ts';
import { type DrillOutboxPayload, drillOutboxKinds } from './drill-mail-kinds.ts';
import { type FollowOutboxPayload, followOutboxKinds } from './follow-mail-kinds.ts';
import {
  type ChangeReviewOutboxPayload,
  changeReviewOutboxKinds,
} from './change-review-mail-kinds.ts';

export const outboxKinds = [
  'confirmation',
  'welcome',
  'test',
  'promise_reminder',
  ...reportOutboxKinds,
  ...drillOutboxKinds,
  ...followOutboxKinds,
  'action_item_reminder',
  'look_back',
  'maintenance_switch',
  ...changeReviewOutboxKinds,
] as const;
export type OutboxKind = (typeof outboxKinds)[number];

export type OutboxPayload =
  | { subscriberId: string }
  /** A test of an incident email: the rendered message as the admin previewed it. */
  | { subject: string; text: string; html: string }
  /** The owner's reminder before a promised update lapses. */
  | { incidentId: string; dueAt: string }
  | ReportOutboxPayload
  | DrillOutboxPayload
  | FollowOutboxPayload
  | ChangeReviewOutboxPayload
  /** An action item's owner: a day before its due date, or once it has passed. */
  | { actionItemId: string; reminder: 'before' | 'overdue'; dueAt: string }
  /** The admins' periodic review of the incident process. */
  | { lookBackId: string }
  /** An internal list's subscriber: the maintenance switch went on or off. */
  | MaintenanceSwitchPayload;

export interface MaintenanceSwitchPayload {
  subscriberId: string;
  switchOn: boolean;
  message: string | null;
  until: string | null;
  by: string;
}

/**
 * Queues one single email in the caller's transaction; the outbox worker renders it at send
 * time (so a confirmation carries the latest link) with a Message-ID fixed now.
 */
export async function enqueueMessage(
  tx: DbOrTx,
  config: Pick<Config, 'publicUrl'>,
  m: { kind: OutboxKind; to: string; payload: OutboxPayload },
  now: Date,
): Promise<string> {
  const id = newId();
  await tx.insert(outboxMessages).values({
    id,
    kind: m.kind,
    toAddress: m.to,
    payload: m.payload,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    messageId: `<${id}.${m.kind}@${await readMessageIdHost(tx, config)}>`,
    createdAt: now,
  });
  return id;
}
