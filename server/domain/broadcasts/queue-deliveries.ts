import { setImmediate } from 'node:timers/promises';
import { asc, eq, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../../db/client.ts';
import { broadcasts, components, lists } from '../../../db/schema/index.ts';
import { type MessageIdConfig, readMessageIdHost } from '../outbox/message-id.ts';
import { rowsAffected } from '../shared/writes.ts';

/**
 * Recipients written per statement, and the most a publish writes. The embedded driver runs a
 * statement on the event loop's own thread, and a publish holds the write lock until it commits:
 * one INSERT for every recipient held the publishing process still for 0.3 s at 100,000
 * recipients and 2.9 s at a million, and even in slices the COMMIT of a million held it 0.5 s,
 * in the very minute of a P0's refresh storm, while nothing could be sent before it. So a
 * broadcast to more recipients is written in slices: the publish writes the first one, the
 * delivery process the rest, one slice a step, each in its own short transaction, and sends the
 * first slice meanwhile (`fillNextSlice`). At a million the publish is now 0.25 s, holding the
 * event loop 86 ms at most, and the first email leaves after 0.48 s (bench:broadcast prints all
 * three).
 */
export const DELIVERIES_PER_STATEMENT = 5000;

/**
 * Writes one pending delivery per recipient of a broadcast already inserted in the caller's
 * transaction, and records the total. Recipients: confirmed subscribers of `listIds`; those who
 * chose components get it when one of `componentIds` (or its group) is among them; a broadcast
 * naming no component goes to everyone, since nobody can tell what it spares.
 *
 * Up to `DELIVERIES_PER_STATEMENT` recipients: one INSERT ... SELECT, found through the lists'
 * index. More: the exact total (counted by the same rule), the first slice, and a fill cursor on
 * the broadcast (the last subscriber id written, and the rule's lists and components), from
 * which the delivery process writes the rest (`fillNextSlice`). Either way in subscriber-id
 * order, so every index of deliveries grows at its end and recipients never pass through this
 * process's memory. Delivery ids number the recipients in that order (`<broadcast>-0000001`,
 * ...). Message-IDs are stable per (broadcast, subscriber), so a retried send keeps its id.
 */
export async function queueDeliveries(
  tx: DbOrTx,
  config: MessageIdConfig,
  b: { broadcastId: string; listIds: string[]; componentIds: string[] },
  now: Date,
): Promise<number> {
  const host = await readMessageIdHost(tx, config);
  const recipients = await recipientsRule(tx, b);
  const where = recipients();
  // A few recipients (a drill list, an audience) in one statement, found through the lists'
  // index: slices walk subscribers in id order, and for a small list among many that would read
  // every subscriber to find a handful.
  const [counted] = await tx.all<{ n: number }>(sql`
    SELECT count(*) AS n FROM (
      SELECT 1 FROM subscribers s WHERE ${where} LIMIT ${DELIVERIES_PER_STATEMENT + 1})`);
  if (Number(counted?.n ?? 0) <= DELIVERIES_PER_STATEMENT) {
    const total = await insertDeliveries(
      tx,
      { broadcastId: b.broadcastId, host, now },
      sql`SELECT s.id FROM subscribers s WHERE ${where}`,
      0,
    );
    await tx.update(broadcasts).set({ total }).where(eq(broadcasts.id, b.broadcastId));
    return total;
  }
  const total = await countInSlices(tx, recipients);
  await tx
    .update(broadcasts)
    .set({
      total,
      fillAfter: '',
      filled: 0,
      fillListIds: b.listIds,
      fillComponentIds: b.componentIds,
    })
    .where(eq(broadcasts.id, b.broadcastId));
  await fillStep(
    tx,
    { broadcastId: b.broadcastId, host, now },
    { after: '', filled: 0 },
    recipients,
  );
  return total;
}

/**
 * One step of filling a large broadcast's deliveries, for the delivery process: the next slice
 * of the oldest broadcast being filled, written with its cursor in one short write transaction
 * (which holds the write lock from its start, so two processes never write the same slice, and
 * a crash leaves the slice and the cursor as they were). Who is added is who the publish would
 * have added: the rule it recorded, confirmed by the time it was published (someone confirming
 * since is not added; someone who left since is not either, and would be skipped at send time
 * anyway). Null when no broadcast is being filled.
 */
export async function fillNextSlice(
  db: Db,
  config: MessageIdConfig,
  now: Date,
): Promise<{ broadcastId: string; written: number; ended: boolean } | null> {
  return db.transaction(async (tx) => {
    const [b] = await tx
      .select()
      .from(broadcasts)
      .where(isNotNull(broadcasts.fillAfter))
      .orderBy(asc(broadcasts.createdAt))
      .limit(1);
    if (!b) return null;
    const host = await readMessageIdHost(tx, config);
    const rule = await recipientsRule(
      tx,
      { listIds: b.fillListIds ?? [], componentIds: b.fillComponentIds ?? [] },
      b.createdAt,
    );
    const step = await fillStep(
      tx,
      { broadcastId: b.id, host, now },
      { after: b.fillAfter!, filled: b.filled },
      rule,
    );
    return { broadcastId: b.id, ...step };
  });
}

/** Subscribers whose recipients one statement of `countInSlices` counts. */
const COUNTED_PER_STATEMENT = 100_000;

/**
 * The exact number of recipients, counted along the subscribers' id index a range at a time
 * with a turn of the event loop between ranges: in one statement the count held the publishing
 * process still for 0.14 s at a million (its one-copy-per-address check reads every row), in the
 * minute of the refresh storm; a range costs about a tenth of that. Inside the publish's
 * transaction, so it counts what the walk will find.
 */
async function countInSlices(tx: DbOrTx, recipients: Rule): Promise<number> {
  const walk = recipients({ byId: true });
  let total = 0;
  for (let after = ''; ; await setImmediate()) {
    const [end] = await tx.all<{ id: string }>(sql`
      SELECT id FROM subscribers WHERE id > ${after} ORDER BY id
      LIMIT 1 OFFSET ${COUNTED_PER_STATEMENT - 1}`);
    const upTo = end ? sql`AND s.id <= ${end.id}` : sql``;
    const [counted] = await tx.all<{ n: number }>(sql`
      SELECT count(*) AS n FROM subscribers s WHERE s.id > ${after} ${upTo} AND ${walk}`);
    total += Number(counted?.n ?? 0);
    if (!end) return total;
    after = end.id;
  }
}

interface DeliveryTarget {
  broadcastId: string;
  /** The Message-ID host. */
  host: string;
  /** When the deliveries are due. */
  now: Date;
}

/**
 * The next slice after the cursor, in subscriber-id order, found by walking the subscribers' own
 * id index from there (the lists' index would make every slice read the whole list again), and
 * the cursor moved past it; cleared, and the total made what was written, when the walk is over.
 * `ON CONFLICT DO NOTHING` and the (broadcast, subscriber) index make a slice written twice
 * harmless; the cursor is then read from what deliveries hold, not from what was inserted.
 */
async function fillStep(
  tx: DbOrTx,
  target: DeliveryTarget,
  cursor: { after: string; filled: number },
  recipients: Rule,
): Promise<{ written: number; ended: boolean }> {
  const walk = recipients({ byId: true });
  const written = await insertDeliveries(
    tx,
    target,
    sql`SELECT s.id FROM subscribers s WHERE ${walk} AND s.id > ${cursor.after}
        ORDER BY s.id LIMIT ${DELIVERIES_PER_STATEMENT}`,
    cursor.filled,
  );
  const [beyond] = await tx.all<{ n: number; last: string | null }>(sql`
    SELECT count(*) AS n, max(subscriber_id) AS last FROM deliveries
    WHERE broadcast_id = ${target.broadcastId} AND subscriber_id > ${cursor.after}`);
  const filled = cursor.filled + written;
  // A walk that found less than a slice has reached the last subscriber.
  const ended = Number(beyond?.n ?? 0) < DELIVERIES_PER_STATEMENT;
  await tx
    .update(broadcasts)
    .set(
      ended
        ? // Those who left before their slice was written are not in it: the total says what
          // was queued, so progress adds up to it.
          { fillAfter: null, filled, total: filled, fillListIds: null, fillComponentIds: null }
        : { fillAfter: beyond!.last!, filled },
    )
    .where(eq(broadcasts.id, target.broadcastId));
  return { written, ended };
}

/** Pending deliveries for the subscriber ids `from` selects, numbered after `numbered`. */
function insertDeliveries(
  tx: DbOrTx,
  t: DeliveryTarget,
  from: SQL,
  numbered: number,
): Promise<number> {
  return tx
    .run(
      sql`
      INSERT INTO deliveries (id, broadcast_id, subscriber_id, state, attempts, next_attempt_at, message_id)
      SELECT ${t.broadcastId} || '-' || printf('%07d', ${numbered} + row_number() OVER (ORDER BY id)), ${t.broadcastId}, id, 'pending', 0,
             ${t.now.getTime()}, '<' || ${t.broadcastId} || '.' || id || '@' || ${t.host} || '>'
      FROM (${from})
      ORDER BY id
      ON CONFLICT DO NOTHING`,
    )
    .then(rowsAffected);
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

/** A recipient rule as a condition on `subscribers s`; see `recipientsRule`. */
type Rule = (opts?: { byId?: boolean }) => SQL;

/**
 * `recipientsWhere` with the components read once, for a caller that needs the condition twice.
 * `byId` keeps SQLite off the lists' index (a unary + on those columns), for a walk in id order.
 * `confirmedBy`: only those confirmed by then (a broadcast filled after its publish reaches whom
 * the publish would have reached). Every way of confirming (the link, an import, an audience's
 * sign-up) sets `confirmed_at`; a confirmed subscriber without one predates the column's use and
 * was confirmed long before any broadcast being filled.
 */
async function recipientsRule(
  tx: DbOrTx,
  b: { listIds: string[]; componentIds: string[] },
  confirmedBy?: Date,
): Promise<Rule> {
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
  const confirmedFilter = (alias: 's' | 'h') => {
    const c = sql.raw(`${alias}.confirmed_at`);
    return confirmedBy ? sql`AND (${c} IS NULL OR ${c} <= ${confirmedBy.getTime()})` : sql``;
  };
  const once = await oneCopyPerAddress(
    tx,
    b.listIds,
    sql`${componentFilter('h')} ${confirmedFilter('h')}`,
  );
  return ({ byId = false } = {}) => {
    const plus = byId ? sql.raw('+') : sql``;
    return sql`${plus}s.list_id IN (SELECT value FROM json_each(${JSON.stringify(b.listIds)}))
      AND ${plus}s.state = 'confirmed'
      ${confirmedFilter('s')}
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
