import { eq, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { broadcasts, components } from '../../../db/schema/index.ts';
import { type MessageIdConfig, readMessageIdHost } from '../outbox/message-id.ts';

/**
 * Writes one pending delivery per recipient of a broadcast already inserted in the caller's
 * transaction, and records the total. Recipients: confirmed subscribers of `listIds`; those who
 * chose components get it when one of `componentIds` (or its group) is among them; a broadcast
 * naming no component goes to everyone, since nobody can tell what it spares.
 *
 * One INSERT ... SELECT, in subscriber-id order so every index of deliveries grows at its end:
 * 100,000 recipients never pass through this process's memory. Message-IDs are stable per
 * (broadcast, subscriber), so a retried send keeps its id.
 */
export async function queueDeliveries(
  tx: DbOrTx,
  config: MessageIdConfig,
  b: { broadcastId: string; listIds: string[]; componentIds: string[] },
  now: Date,
): Promise<number> {
  const where = await recipientsWhere(tx, b);
  const host = await readMessageIdHost(tx, config);
  // The numbering below sorts every recipient. libSQL is built to keep such sorts in memory
  // (TEMP_STORE=2): measured with a million recipients, the publishing process grew by 85 MB
  // for it, against 11 MB with the sort spilling to a temporary file as SQLite otherwise does.
  // Set on this transaction's own connection (the pool opens connections as it needs them);
  // SQLite refuses it only on a connection with temporary tables in use, which Herald never
  // makes, and then the sort simply stays in memory.
  await tx.run(sql`PRAGMA temp_store = FILE`).catch(() => {});
  const result = await tx.run(sql`
    INSERT INTO deliveries (id, broadcast_id, subscriber_id, state, attempts, next_attempt_at, message_id)
    SELECT ${b.broadcastId} || '-' || printf('%07d', row_number() OVER (ORDER BY s.id)), ${b.broadcastId}, s.id, 'pending', 0,
           ${now.getTime()}, '<' || ${b.broadcastId} || '.' || s.id || '@' || ${host} || '>'
    FROM subscribers s
    WHERE ${where}
    ORDER BY s.id
    ON CONFLICT DO NOTHING`);
  const total = Number((result as { rowsAffected?: number }).rowsAffected ?? 0);
  await tx.update(broadcasts).set({ total }).where(eq(broadcasts.id, b.broadcastId));
  return total;
}

/** How many people a broadcast to these lists and components would reach right now. */
export async function countRecipients(
  db: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
): Promise<number> {
  if (b.listIds.length === 0) return 0;
  const where = await recipientsWhere(db, b);
  const rows = await db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM subscribers s WHERE ${where}`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * `countRecipients` for several lists at once, with no component filter: the confirmed
 * subscribers of each list, by list id. A set of lists reaches their sum (one row per
 * subscriber), so a form that counts several choices (everyone, each audience alone) reads the
 * table once.
 */
export async function countRecipientsByList(
  db: DbOrTx,
  listIds: string[],
): Promise<Map<string, number>> {
  if (listIds.length === 0) return new Map();
  const where = await recipientsWhere(db, { listIds, componentIds: [] });
  const rows = await db.all<{ listId: string; n: number }>(
    sql`SELECT s.list_id AS listId, count(*) AS n FROM subscribers s WHERE ${where} GROUP BY s.list_id`,
  );
  return new Map(rows.map((r) => [r.listId, Number(r.n)]));
}

/**
 * The same recipients as `countRecipients`, counted by the language each subscribed in (their
 * mail's language), for a review that shows every subject line as it will go out.
 */
export async function countRecipientsByLanguage(
  db: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
): Promise<{ language: string; recipients: number }[]> {
  if (b.listIds.length === 0) return [];
  const where = await recipientsWhere(db, b);
  const rows = await db.all<{ language: string; n: number }>(
    sql`SELECT s.language AS language, count(*) AS n FROM subscribers s WHERE ${where}
        GROUP BY s.language ORDER BY s.language`,
  );
  return rows.map((r) => ({ language: r.language, recipients: Number(r.n) }));
}

/** The recipients of a broadcast as a condition on `subscribers s` (one rule for all callers). */
async function recipientsWhere(
  tx: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
): Promise<SQL> {
  const withGroups = b.componentIds.length
    ? await tx
        .select({ id: components.id, groupId: components.groupId })
        .from(components)
        .where(
          sql`${components.id} IN (SELECT value FROM json_each(${JSON.stringify(b.componentIds)}))`,
        )
    : [];
  const matchIds = [
    ...new Set(withGroups.flatMap((a) => (a.groupId ? [a.id, a.groupId] : [a.id]))),
  ];
  const componentFilter =
    matchIds.length === 0
      ? sql``
      : sql`AND (s.component_ids IS NULL OR json_array_length(s.component_ids) = 0
            OR EXISTS (SELECT 1 FROM json_each(s.component_ids) j WHERE j.value IN (SELECT value FROM json_each(${JSON.stringify(matchIds)}))))`;
  return sql`s.list_id IN (SELECT value FROM json_each(${JSON.stringify(b.listIds)}))
      AND s.state = 'confirmed'
      ${componentFilter}`;
}
