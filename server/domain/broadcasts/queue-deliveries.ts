import { setImmediate } from 'node:timers/promises';
import { eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { broadcasts, components, lists } from '../../../db/schema/index.ts';
import { type MessageIdConfig, readMessageIdHost } from '../outbox/message-id.ts';
import { rowsAffected } from '../shared/writes.ts';

/**
 * Recipients written per statement. The embedded driver runs a statement on the event loop's
 * own thread: one INSERT for every recipient held the publishing process still while it ran
 * (measured: 0.3 s at 100,000 recipients, 2.9 s at a million, during which the status page
 * answered nobody, in the very minute of a P0's refresh storm). In slices with a turn of the event
 * loop between them, pages, feeds and heartbeats go on while the transaction fills (readers see
 * the state before the publish until it commits): the longest hold is now about 60 ms at 100,000
 * and the commit's 0.5 s at a million (bench:broadcast prints it).
 */
export const DELIVERIES_PER_STATEMENT = 5000;

/**
 * Writes one pending delivery per recipient of a broadcast already inserted in the caller's
 * transaction, and records the total. Recipients: confirmed subscribers of `listIds`; those who
 * chose components get it when one of `componentIds` (or its group) is among them; a broadcast
 * naming no component goes to everyone, since nobody can tell what it spares.
 *
 * INSERT ... SELECT in subscriber-id order, `DELIVERIES_PER_STATEMENT` recipients at a time, so
 * every index of deliveries grows at its end and recipients never pass through this process's
 * memory. Delivery ids number the recipients in that order (`<broadcast>-0000001`, ...).
 * Message-IDs are stable per (broadcast, subscriber), so a retried send keeps its id.
 */
export async function queueDeliveries(
  tx: DbOrTx,
  config: MessageIdConfig,
  b: { broadcastId: string; listIds: string[]; componentIds: string[] },
  now: Date,
): Promise<number> {
  const host = await readMessageIdHost(tx, config);
  const insert = (from: SQL, numbered: number) =>
    tx
      .run(
        sql`
      INSERT INTO deliveries (id, broadcast_id, subscriber_id, state, attempts, next_attempt_at, message_id)
      SELECT ${b.broadcastId} || '-' || printf('%07d', ${numbered} + row_number() OVER (ORDER BY id)), ${b.broadcastId}, id, 'pending', 0,
             ${now.getTime()}, '<' || ${b.broadcastId} || '.' || id || '@' || ${host} || '>'
      FROM (${from})
      ORDER BY id
      ON CONFLICT DO NOTHING`,
      )
      .then(rowsAffected);
  const recipients = await recipientsRule(tx, b);
  const where = recipients();
  // A few recipients (a drill list, an audience) in one statement, found through the lists'
  // index: slices walk subscribers in id order, and for a small list among many that would read
  // every subscriber to find a handful.
  const [counted] = await tx.all<{ n: number }>(sql`
    SELECT count(*) AS n FROM (
      SELECT 1 FROM subscribers s WHERE ${where} LIMIT ${DELIVERIES_PER_STATEMENT + 1})`);
  // Slices in subscriber-id order, each found by walking the subscribers' own id index from where
  // the last one ended (the lists' index would make every slice read the whole list again).
  const inSlices = async () => {
    const walk = recipients({ byId: true });
    let written = 0;
    let after = '';
    for (;;) {
      const n = await insert(
        sql`SELECT s.id FROM subscribers s WHERE ${walk} AND s.id > ${after}
            ORDER BY s.id LIMIT ${DELIVERIES_PER_STATEMENT}`,
        written,
      );
      if (n === 0) return written;
      written += n;
      const [last] = await tx.all<{ id: string }>(sql`
        SELECT max(subscriber_id) AS id FROM deliveries WHERE broadcast_id = ${b.broadcastId}`);
      after = last!.id;
      // A turn of the event loop: sockets, timers and other requests are served in between.
      await setImmediate();
    }
  };
  const total =
    Number(counted?.n ?? 0) <= DELIVERIES_PER_STATEMENT
      ? await insert(sql`SELECT s.id FROM subscribers s WHERE ${where}`, 0)
      : await inSlices();
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
 * The same recipients as `countRecipients`, counted by the list whose copy each gets (one per
 * address: see `oneCopyPerAddress`) and the language each subscribed in (their mail's language),
 * for a review that shows every list and subject line as it will go out. The rows add up to
 * `countRecipients`: the same condition, in one statement.
 */
export async function countRecipientsByListAndLanguage(
  db: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
): Promise<{ listId: string; language: string; recipients: number }[]> {
  if (b.listIds.length === 0) return [];
  const where = await recipientsWhere(db, b);
  const rows = await db.all<{ listId: string; language: string; n: number }>(
    sql`SELECT s.list_id AS listId, s.language AS language, count(*) AS n FROM subscribers s
        WHERE ${where} GROUP BY s.list_id, s.language ORDER BY s.list_id, s.language`,
  );
  return rows.map((r) => ({
    listId: r.listId,
    language: r.language,
    recipients: Number(r.n),
  }));
}

/** The recipients of a broadcast as a condition on `subscribers s` (one rule for all callers). */
async function recipientsWhere(
  tx: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
): Promise<SQL> {
  return (await recipientsRule(tx, b))();
}

/**
 * `recipientsWhere` with the components read once, for a caller that needs the condition twice.
 * `byId` keeps SQLite off the lists' index (a unary + on those columns), for a walk in id order.
 */
async function recipientsRule(
  tx: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
): Promise<(opts?: { byId?: boolean }) => SQL> {
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
  const componentFilter = (alias: 's' | 'h') => {
    const c = sql.raw(`${alias}.component_ids`);
    return matchIds.length === 0
      ? sql``
      : sql`AND (${c} IS NULL OR json_array_length(${c}) = 0
            OR EXISTS (SELECT 1 FROM json_each(${c}) j WHERE j.value IN (SELECT value FROM json_each(${JSON.stringify(matchIds)}))))`;
  };
  const once = await oneCopyPerAddress(tx, b.listIds, componentFilter('h'));
  return ({ byId = false } = {}) => {
    const plus = byId ? sql.raw('+') : sql``;
    return sql`${plus}s.list_id IN (SELECT value FROM json_each(${JSON.stringify(b.listIds)}))
      AND ${plus}s.state = 'confirmed'
      ${componentFilter('s')}
      ${once}`;
  };
}

/**
 * An address on several of a broadcast's lists gets one copy: the one of its most internal list
 * (internal lists, then named audiences' lists, then public ones; by id between equals), whose
 * text is the fullest it may read. As a condition on `subscribers s`: no confirmed subscription
 * of the same address, reached by the same rule, on a list ranked before `s`'s. Nothing for a
 * single list.
 */
async function oneCopyPerAddress(tx: DbOrTx, listIds: string[], rule: SQL): Promise<SQL> {
  if (listIds.length < 2) return sql``;
  const ranked = (
    await tx
      .select({ id: lists.id, internal: lists.isInternal, audienceId: lists.audienceId })
      .from(lists)
      .where(inArray(lists.id, listIds))
  )
    .sort(
      (a, b) =>
        Number(b.internal) - Number(a.internal) ||
        Number(b.audienceId !== null) - Number(a.audienceId !== null) ||
        (a.id < b.id ? -1 : 1),
    )
    .map((l) => l.id);
  // The subscriptions to pass over: per list, those whose address a list ranked before it
  // reaches. Found from the lists ranked before (few people: the team's lists come first) through
  // the (list, email) index (CROSS JOIN keeps SQLite from walking the larger list instead), as one
  // uncorrelated subquery that SQLite reads once a statement; each row is then checked by its id
  // alone, which the walk's covering index holds.
  const passedOver = sql.join(
    ranked.slice(1).map(
      (id, i) => sql`SELECT d.id FROM subscribers h CROSS JOIN subscribers d
        ON d.list_id = ${id} AND d.email = h.email
        WHERE h.list_id IN (SELECT value FROM json_each(${JSON.stringify(ranked.slice(0, i + 1))}))
          AND h.state = 'confirmed' ${rule}`,
    ),
    sql` UNION ALL `,
  );
  return sql`AND s.id NOT IN (${passedOver})`;
}
