import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../db/client.ts';
import { jsonList } from '../shared/in-list.ts';
import { heldBy, type Lease } from '../shared/lease.ts';
import { rowsAffected } from '../shared/writes.ts';

// The outbox's own reads and writes: claiming rows under a lease, keeping the lease alive and
// recording what the relay said. The worker in jobs/ decides when; this file knows the tables.
// Every function works over any outbox table with the columns below (id, state, attempts,
// next_attempt_at, lease_until, last_error, last_error_at, sent_at), so another kind of
// delivery (webhooks, chat) adds its table to `outboxTables` and reuses claim, extend, record.

export const outboxTables = {
  deliveries: 'deliveries',
  messages: 'outbox_messages',
} as const;
export type OutboxTable = keyof typeof outboxTables;
export type { Lease };

/** How long a claim holds without a heartbeat: a crashed process's rows come back after it. */
export const LEASE_MS = 15_000;
/** How often a live process extends the leases of the rows it holds. */
export const HEARTBEAT_MS = 3_000;
/**
 * A row whose lease is nearer its end than this has missed heartbeats: the process that holds
 * it has most likely stopped (the admin says so, and when the row will be taken over).
 */
export const STALE_LEASE_MS = LEASE_MS - 3 * HEARTBEAT_MS;

export interface ClaimedDelivery {
  id: string;
  broadcast_id: string;
  subscriber_id: string;
  message_id: string;
  attempts: number;
}

export interface ClaimedMessage {
  id: string;
  kind: string;
  to_address: string;
  payload: string;
  message_id: string;
  attempts: number;
}

export type SendResult =
  | { ok: true; messageId: string }
  | { ok: false; permanent: boolean; error: string }
  | { skipped: true }
  /** Never started (a graceful stop): back to pending at once, the attempt not counted. */
  | { released: true };

export interface Outcome {
  id: string;
  result: SendResult;
  attempts: number;
  /**
   * Sent as the probe of a relay that refuses (`claimProbe`). A probe tests the relay, every few
   * seconds, on whichever row it takes: its temporary refusal counts as one of that row's
   * attempts only when the row's own retry was due, or a short queue would use up its attempts
   * in seconds and be given up while the relay is away.
   */
  probe?: boolean;
}

const ident = (which: OutboxTable) => sql.raw(`"${outboxTables[which]}"`);
/** One query per outbox table, as one `UNION ALL` for the caller to fold. */
const acrossTables = (query: (which: OutboxTable) => SQL) =>
  sql.join((Object.keys(outboxTables) as OutboxTable[]).map(query), sql` UNION ALL `);
/**
 * Due: pending and its time has come, or held by a process whose lease ran out. The held rows'
 * term comes first: SQLite walks an OR's terms in the order written, each through the
 * (state, next_attempt_at) index, so a claim takes what a stopped process held (due before
 * anything queued since) ahead of the pending rows, each part oldest first, without sorting
 * every due row (test/broadcasts/claim-order.test.ts). A claim passes over the rows of its own
 * lane (`taker`, see `notRetaken`).
 */
const due = (t: number, taker?: string) =>
  sql`(state = 'sending' AND lease_until <= ${t}${notRetaken(taker)}) OR (state = 'pending' AND next_attempt_at <= ${t})`;

/**
 * A lane's claim never takes a row its own lane holds: the row's lease ran out only because the
 * heartbeat could not be written for a while (another process held the write lock), and the lane
 * still sends it or hands it back itself. Taking it again would count an attempt that never
 * happened, and a probe would take a row already under way instead of one to probe with. Every
 * row with this lane's name is in its memory until its outcome is written, which clears the name.
 */
const notRetaken = (taker?: string) =>
  taker === undefined ? sql`` : sql` AND lease_owner IS NOT ${taker}`;

/** The SET of a claim: `sending`, under the lease, one attempt more. */
const takenBy = (t: number, lease: Lease) =>
  sql`state = 'sending', lease_until = ${t + lease.ms}, lease_owner = ${lease.owner}, attempts = attempts + 1`;

/**
 * A read (no write lock in WAL mode) that tells whether a claim would find anything, so idle
 * polling costs no write transactions. A broadcast whose deliveries are still being written
 * (queue-deliveries.ts, `fillNextSlice`) counts: the email lane's claim writes its next slice.
 */
export async function anythingDue(db: Db, now: Date): Promise<boolean> {
  const t = now.getTime();
  const parts = (Object.keys(outboxTables) as OutboxTable[]).map(
    (w) => sql`EXISTS (SELECT 1 FROM ${ident(w)} WHERE ${due(t)})`,
  );
  parts.push(sql`EXISTS (SELECT 1 FROM broadcasts WHERE fill_after IS NOT NULL)`);
  const rows = await db.all<{ due: number }>(sql`SELECT ${sql.join(parts, sql` OR `)} AS due`);
  return Boolean(rows[0]?.due);
}

/**
 * Claims up to `limit` due rows of a table (pending and due, or whose lease ran out) in one
 * UPDATE … RETURNING, so several processes share the work without sending a row twice.
 * `columns` are the extra columns the sender needs.
 */
export async function claimRows<T extends { id: string; attempts: number }>(
  db: Db,
  which: OutboxTable,
  columns: string[],
  now: Date,
  limit: number,
  lease: Lease,
  order = sql``,
): Promise<T[]> {
  if (limit <= 0) return [];
  // In a transaction to queue behind this process's other writers (see db/client.ts).
  return db.transaction((tx) =>
    tx.all<T>(claimStatement(which, columns, now, limit, lease, order)),
  );
}

function claimStatement(
  which: OutboxTable,
  columns: string[],
  now: Date,
  limit: number,
  lease: Lease,
  order = sql``,
) {
  const t = now.getTime();
  const cols = sql.raw(['id', 'attempts', ...columns].join(', '));
  return sql`
      UPDATE ${ident(which)} SET ${takenBy(t, lease)}
      WHERE id IN (SELECT id FROM ${ident(which)} WHERE ${due(t, lease.owner)} ${order} LIMIT ${limit})
      RETURNING ${cols}`;
}

const messageColumns = ['kind', 'to_address', 'payload', 'message_id'];
const deliveryColumns = ['broadcast_id', 'subscriber_id', 'message_id'];

/**
 * Takes up to `limit` due rows of a table for this process, inside a write transaction: they are
 * selected as one JSON text (one row and one value from the driver, however many rows: its row
 * objects cost a property definition per column, and a claim reads hundreds of rows a second),
 * then set `sending` by rowid (the table's own b-tree, without a look-up in the index on the text
 * id per row). The transaction holds the write lock from its start, so no other process can take
 * them, nor anything renumber their rowids, between the two statements. Each row is returned as
 * `[id, attempts, ...columns]`.
 */
async function takeRows(
  tx: Tx,
  which: OutboxTable,
  columns: string[],
  now: Date,
  limit: number,
  lease: Lease,
  order = sql``,
): Promise<unknown[][]> {
  const t = now.getTime();
  // `attempts + 1`: the row as the UPDATE leaves it, as RETURNING would give it. The rowid last,
  // for the UPDATE only.
  const cols = sql.raw(['id', 'attempts + 1', ...columns, 'rowid'].join(', '));
  const [picked] = await tx.all<{ rows: string }>(sql`
    SELECT json_group_array(json_array(${cols})) AS rows
    FROM (SELECT rowid, * FROM ${ident(which)} WHERE ${due(t, lease.owner)} ${order} LIMIT ${limit})`);
  const rows = JSON.parse(picked?.rows ?? '[]') as unknown[][];
  if (rows.length)
    await tx.run(sql`
      UPDATE ${ident(which)} SET ${takenBy(t, lease)}
      WHERE rowid IN ${jsonList(rows.map((r) => r.pop() as number))}`);
  return rows;
}

/**
 * The email lane's claim: up to `limit` due rows, single messages first (people wait for their
 * confirmation link), then broadcast deliveries, in one transaction (one commit).
 */
export async function claimEmail(
  db: Db,
  now: Date,
  limit: number,
  lease: Lease,
): Promise<{ messages: ClaimedMessage[]; deliveries: ClaimedDelivery[] }> {
  if (limit <= 0) return { messages: [], deliveries: [] };
  return db.transaction(async (tx) => {
    const messages = (
      await takeRows(tx, 'messages', messageColumns, now, limit, lease, sql`ORDER BY created_at`)
    ).map(([id, attempts, kind, to_address, payload, message_id]): ClaimedMessage => ({
      id: id as string,
      attempts: attempts as number,
      kind: kind as string,
      to_address: to_address as string,
      payload: payload as string,
      message_id: message_id as string,
    }));
    const rest = limit - messages.length;
    const deliveries = (
      rest > 0 ? await takeRows(tx, 'deliveries', deliveryColumns, now, rest, lease) : []
    ).map(([id, attempts, broadcast_id, subscriber_id, message_id]): ClaimedDelivery => ({
      id: id as string,
      attempts: attempts as number,
      broadcast_id: broadcast_id as string,
      subscriber_id: subscriber_id as string,
      message_id: message_id as string,
    }));
    return { messages, deliveries };
  });
}

/**
 * The probe of a relay that refused: one row, due or not (the rows that met the outage wait out
 * their own backoff), single messages first, skipping the ids in `skip` (those already probed in
 * this outage: a refusal about one recipient must not keep the relay looking down for everyone).
 * Its answer tells whether the relay is back.
 */
export async function claimProbe(
  db: Db,
  now: Date,
  lease: Lease,
  skip: Partial<Record<OutboxTable, string[]>> = {},
): Promise<{ which: OutboxTable; row: ClaimedMessage | ClaimedDelivery } | null> {
  const t = now.getTime();
  for (const which of ['messages', 'deliveries'] as const) {
    const cols =
      which === 'messages'
        ? sql.raw('id, attempts, kind, to_address, payload, message_id')
        : sql.raw('id, attempts, broadcast_id, subscriber_id, message_id');
    const skipped = skip[which]?.length ? sql`AND id NOT IN ${jsonList(skip[which]!)}` : sql``;
    const [row] = await db.transaction((tx) =>
      tx.all<ClaimedMessage | ClaimedDelivery>(sql`
        UPDATE ${ident(which)} SET ${takenBy(t, lease)}
        WHERE id IN (SELECT id FROM ${ident(which)}
                     WHERE (state = 'pending' OR (state = 'sending' AND lease_until <= ${t}${notRetaken(lease.owner)})) ${skipped}
                     ORDER BY next_attempt_at LIMIT 1)
        RETURNING ${cols}`),
    );
    if (row) return { which, row };
  }
  return null;
}

/**
 * The relay is back: every row that met its refusal since `since` is due now, so the queue goes
 * out at full speed instead of each row waiting out its own backoff.
 */
export async function releaseAfterOutage(db: Db, since: Date, now: Date): Promise<number> {
  let n = 0;
  await db.transaction(async (tx) => {
    for (const which of Object.keys(outboxTables) as OutboxTable[]) {
      const r = await tx.run(sql`
        UPDATE ${ident(which)} SET next_attempt_at = ${now.getTime()}
        WHERE state = 'pending' AND next_attempt_at > ${now.getTime()}
          AND last_error_at >= ${since.getTime()}`);
      n += rowsAffected(r);
    }
  });
  return n;
}

/**
 * Rows still backing off from a temporary refusal (pending, retried later, with an error): how
 * many, and when the earliest of those refusals was. Read when the email lane starts.
 */
export async function refusedSince(
  db: Db,
  now: Date,
): Promise<{ since: Date; rows: number } | null> {
  const t = now.getTime();
  const [r] = await db.all<{ at: number | null; n: number }>(
    sql`SELECT min(at) AS at, sum(n) AS n FROM (${acrossTables(
      (w) => sql`SELECT min(last_error_at) AS at, count(*) AS n FROM ${ident(w)}
                 WHERE state = 'pending' AND next_attempt_at > ${t} AND last_error_at IS NOT NULL`,
    )})`,
  );
  return r?.at == null ? null : { since: new Date(Number(r.at)), rows: Number(r.n) };
}

export function claimDeliveries(db: Db, now: Date, limit: number, lease: Lease) {
  return claimRows<ClaimedDelivery>(db, 'deliveries', deliveryColumns, now, limit, lease);
}

/** Single messages, oldest first: people wait for their confirmation link. */
export function claimMessages(db: Db, now: Date, limit: number, lease: Lease) {
  return claimRows<ClaimedMessage>(
    db,
    'messages',
    messageColumns,
    now,
    limit,
    lease,
    sql`ORDER BY created_at`,
  );
}

/**
 * The heartbeat: pushes the lease of rows `owner` still holds to `until`. Only rows it still
 * holds are touched, so a row already recorded is never brought back, nor one another process
 * took over is held longer.
 */
export async function extendLeases(
  db: Db,
  which: OutboxTable,
  ids: string[],
  until: Date,
  owner: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction((tx) =>
    tx.run(sql`
      UPDATE ${ident(which)} SET lease_until = ${until.getTime()}
      WHERE ${heldBy(owner)} AND id IN ${jsonList(ids)}`),
  );
}

/**
 * Writes a group of outcomes in one short transaction. A temporary failure goes back to
 * pending with `retryAt(attempts)`; past `maxAttempts`, or permanent, it is failed for good.
 * Only rows still in `sending` change, so writing the same outcomes twice (a retry after a
 * commit whose answer was lost) changes nothing.
 */
export async function recordOutcomes(
  db: Db,
  which: OutboxTable,
  outcomes: Outcome[],
  now: Date,
  rules: OutcomeRules,
): Promise<void> {
  await recordOutcomeGroups(db, { [which]: outcomes }, now, rules);
}

export interface OutcomeRules {
  /** The lane that sent them: only rows it still holds change (`heldBy`). */
  owner: string;
  maxAttempts: number;
  retryAt: (now: Date, attempts: number) => Date;
}

/** `recordOutcomes` for several tables at once: one transaction, so one commit for them all. */
export async function recordOutcomeGroups(
  db: Db,
  groups: Partial<Record<OutboxTable, Outcome[]>>,
  now: Date,
  rules: OutcomeRules,
): Promise<void> {
  const writes = (Object.keys(groups) as OutboxTable[])
    .filter((which) => groups[which]?.length)
    .map((which) => outcomeStatements(which, groups[which]!, now, rules));
  if (writes.length === 0) return;
  await db.transaction(async (tx) => {
    for (const statements of writes) for (const q of statements) await tx.run(q);
  });
}

function outcomeStatements(
  which: OutboxTable,
  outcomes: Outcome[],
  now: Date,
  rules: OutcomeRules,
) {
  const table = ident(which);
  const t = now.getTime();
  const held = heldBy(rules.owner);
  const sent: string[] = [];
  const skipped: string[] = [];
  const released: string[] = [];
  const failures: {
    id: string;
    attempts: number;
    result: Extract<SendResult, { ok: false }>;
    probe?: boolean;
  }[] = [];
  for (const { id, attempts, result, probe } of outcomes) {
    if (!('ok' in result)) ('skipped' in result ? skipped : released).push(id);
    else if (result.ok) sent.push(id);
    else failures.push({ id, attempts, result, probe });
  }
  const statements = [];
  if (sent.length)
    statements.push(sql`
        UPDATE ${table} SET state = 'sent', sent_at = ${t}, lease_until = NULL, lease_owner = NULL, last_error = NULL
        WHERE ${held} AND id IN ${jsonList(sent)}`);
  if (skipped.length)
    statements.push(sql`
        UPDATE ${table} SET state = 'skipped', lease_until = NULL, lease_owner = NULL
        WHERE ${held} AND id IN ${jsonList(skipped)}`);
  if (released.length)
    statements.push(sql`
        UPDATE ${table} SET state = 'pending', lease_until = NULL, lease_owner = NULL, attempts = max(0, attempts - 1)
        WHERE ${held} AND id IN ${jsonList(released)}`);
  for (const o of failures) {
    const r = o.result;
    if (o.probe && !r.permanent) {
      statements.push(probeRefusal(table, o.id, o.attempts, r.error, now, rules));
      continue;
    }
    const giveUp = r.permanent || o.attempts >= rules.maxAttempts;
    const error = giveUp && !r.permanent ? gaveUp(o.attempts, r.error) : r.error;
    statements.push(
      giveUp
        ? sql`UPDATE ${table} SET state = 'failed', lease_until = NULL, lease_owner = NULL, last_error = ${error}, last_error_at = ${t}
                WHERE ${held} AND id = ${o.id}`
        : sql`UPDATE ${table} SET state = 'pending', lease_until = NULL, lease_owner = NULL, last_error = ${error}, last_error_at = ${t},
                  next_attempt_at = ${rules.retryAt(now, o.attempts).getTime()}
                WHERE ${held} AND id = ${o.id}`,
    );
  }
  return statements;
}

/** The error a row given up on keeps: how many attempts it had, and the last refusal. */
const gaveUp = (attempts: number, error: string) => `gave up after ${attempts} attempts: ${error}`;

/**
 * A probe's temporary refusal. When the row's own retry was due (`next_attempt_at` has come) it
 * is that retry: counted, backed off, given up after `maxAttempts`, as any refusal. Before then
 * it is only the relay's test: the claim's attempt is taken back and the row keeps its own
 * schedule, so a relay away for an hour gives a short queue the same attempts as a long one. In
 * SQL, since only the row knows when it is due; SET reads the row as it was.
 */
function probeRefusal(
  table: ReturnType<typeof ident>,
  id: string,
  attempts: number,
  error: string,
  now: Date,
  rules: OutcomeRules,
) {
  const t = now.getTime();
  const due = sql`next_attempt_at <= ${t}`;
  const giveUp = sql`(${due} AND attempts >= ${rules.maxAttempts})`;
  return sql`
    UPDATE ${table} SET
      state = CASE WHEN ${giveUp} THEN 'failed' ELSE 'pending' END,
      lease_until = NULL, lease_owner = NULL,
      last_error = CASE WHEN ${giveUp} THEN ${gaveUp(attempts, error)} ELSE ${error} END,
      last_error_at = ${t},
      attempts = CASE WHEN ${due} THEN attempts ELSE max(0, attempts - 1) END,
      next_attempt_at = CASE WHEN ${due} THEN ${rules.retryAt(now, attempts).getTime()} ELSE next_attempt_at END
    WHERE ${heldBy(rules.owner)} AND id = ${id}`;
}

/** How long the oldest due row (of any outbox table) has waited, in ms; 0 when none waits. */
export async function oldestDueWaitMs(db: Db, now: Date): Promise<number> {
  const t = now.getTime();
  const rows = await db.all<{ at: number | null }>(
    sql`SELECT min(at) AS at FROM (${acrossTables(
      (w) =>
        sql`SELECT min(next_attempt_at) AS at FROM ${ident(w)} WHERE state = 'pending' AND next_attempt_at <= ${t}`,
    )})`,
  );
  const at = rows[0]?.at;
  return at == null ? 0 : Math.max(0, t - Number(at));
}
