import type { DbOrTx } from '../../../db/client.ts';
import { outboxMessages } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { newId } from '../shared/ids.ts';
import { readMessageIdHost } from './message-id.ts';

/**
 * The payload of each kind of single email, by kind. The kinds are declared in the delivery
 * wing (server/delivery/kinds/), each beside its rendering, which adds its entry here; the domain
 * only queues them, typed by this map.
 */
export interface OutboxPayloads {}
export type OutboxKind = keyof OutboxPayloads;
export type OutboxPayload = OutboxPayloads[OutboxKind];

/**
 * Queues one single email in the caller's transaction; the outbox worker renders it at send
 * time (so a confirmation carries the latest link) with a Message-ID fixed now.
 */
export async function enqueueMessage<K extends OutboxKind>(
  tx: DbOrTx,
  config: Pick<Config, 'publicUrl'>,
  m: { kind: K; to: string; payload: OutboxPayloads[K] },
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

/** Queues the same single email to each address (the people on duty, an incident's keeper). */
export async function enqueueMessageToEach<K extends OutboxKind>(
  tx: DbOrTx,
  config: Pick<Config, 'publicUrl'>,
  m: { kind: K; to: readonly string[]; payload: OutboxPayloads[K] },
  now: Date,
): Promise<void> {
  for (const to of m.to)
    await enqueueMessage(tx, config, { kind: m.kind, to, payload: m.payload }, now);
}
