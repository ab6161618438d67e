import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { broadcasts, deliveries, incidents, lists, subscribers } from '../../../db/schema/index.ts';
import { getSettings } from '../settings/get-settings.ts';
import { STALE_LEASE_MS } from './outbox-store.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit, rowsAffected } from '../shared/writes.ts';

export interface BroadcastProgress {
  id: string;
  kind: string;
  subject: string;
  incidentId: string | null;
  isDrill: boolean;
  createdAt: string;
  total: number;
  queued: number;
  sent: number;
  failed: number;
  skipped: number;
  /**
   * Of `queued`, the recipients whose delivery is not written yet: a large broadcast's
   * deliveries past its first slice are written by the delivery process after the publish
   * (queue-deliveries.ts). It is not done before they are.
   */
  toWrite: number;
  done: boolean;
}

async function counts(db: DomainDeps['db'], ids: string[]) {
  if (ids.length === 0) return new Map<string, Record<string, number>>();
  const rows = await db
    .select({ id: deliveries.broadcastId, state: deliveries.state, n: sql<number>`count(*)` })
    .from(deliveries)
    .where(inArray(deliveries.broadcastId, ids))
    .groupBy(deliveries.broadcastId, deliveries.state);
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) out.set(r.id, { ...out.get(r.id), [r.state]: r.n });
  return out;
}

function progress(
  b: typeof broadcasts.$inferSelect,
  c: Record<string, number> = {},
): BroadcastProgress {
  const filling = b.fillAfter !== null;
  const toWrite = filling ? Math.max(0, b.total - b.filled) : 0;
  // Those still to be written wait to be sent like the rest: queued, so the figures add up.
  const queued = (c.pending ?? 0) + (c.sending ?? 0) + toWrite;
  return {
    id: b.id,
    kind: b.kind,
    subject: b.subject,
    incidentId: b.incidentId,
    isDrill: b.isDrill,
    createdAt: b.createdAt.toISOString(),
    total: b.total,
    queued,
    sent: c.sent ?? 0,
    failed: c.failed ?? 0,
    skipped: c.skipped ?? 0,
    toWrite,
    done: queued === 0 && !filling,
  };
}

/** Recent broadcasts with their progress (queued, sent, failed of total). */
export async function readBroadcasts(
  deps: DomainDeps,
  opts: { limit?: number; incidentId?: string } = {},
) {
  const rows = await deps.db
    .select()
    .from(broadcasts)
    .where(opts.incidentId ? eq(broadcasts.incidentId, opts.incidentId) : undefined)
    .orderBy(desc(broadcasts.createdAt))
    .limit(Math.min(opts.limit ?? 50, 200));
  const c = await counts(
    deps.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => progress(r, c.get(r.id)));
}

/** One broadcast's progress and its failed deliveries with the SMTP server's reasons. */
export async function readBroadcast(deps: DomainDeps, id: string) {
  const [b] = await deps.db.select().from(broadcasts).where(eq(broadcasts.id, id));
  if (!b) throw new NotFoundError('broadcast', id);
  const c = await counts(deps.db, [b.id]);
  const failed = await deps.db
    .select({
      id: deliveries.id,
      email: subscribers.email,
      listName: lists.name,
      attempts: deliveries.attempts,
      lastError: deliveries.lastError,
    })
    .from(deliveries)
    .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(and(eq(deliveries.broadcastId, b.id), eq(deliveries.state, 'failed')))
    .limit(500);
  const broadcast = progress(b, c.get(b.id));
  const timeZone = (await getSettings(deps.db)).timeZone;
  return { broadcast, failed, sending: await readSendingState(deps, broadcast, timeZone) };
}

/** A broadcast with deliveries left and nothing sent for this long is stalled. */
export const STALL_MS = 60_000;

/**
 * Why a broadcast is where it is: the relay's last temporary refusal and when it is tried
 * again, deliveries held by a process that stopped (and when another takes them over), and the
 * sending rate. `reasons` says it in sentences for the page; the rest is for machines.
 */
export interface SendingState {
  /** Messages sent in the last minute, per second. */
  ratePerSecond: number;
  lastSentAt: string | null;
  stalled: boolean;
  lastTemporaryError: {
    error: string;
    at: string | null;
    /** Deliveries waiting to be retried after this reply. */
    count: number;
    nextAttemptAt: string | null;
  } | null;
  /** Deliveries claimed by a process whose heartbeat stopped; taken over by `takenAt`. */
  orphaned: { count: number; takenAt: string } | null;
  /**
   * Deliveries a running Herald process holds now (its heartbeat keeps their lease): being sent,
   * or with the relay, waiting for its answer.
   */
  inFlight: number;
  reasons: string[];
}

async function readSendingState(
  deps: DomainDeps,
  b: BroadcastProgress,
  timeZone: string,
): Promise<SendingState> {
  const now = deps.clock.now().getTime();
  const [rate] = await deps.db.all<{ n: number; last: number | null }>(sql`
    SELECT count(*) FILTER (WHERE sent_at >= ${now - 60_000}) AS n, max(sent_at) AS last
    FROM deliveries WHERE broadcast_id = ${b.id} AND state = 'sent'`);
  const [err] = await deps.db.all<{
    error: string;
    at: number | null;
    n: number;
    next: number;
  }>(sql`
    SELECT last_error AS error, max(last_error_at) AS at, count(*) AS n, min(next_attempt_at) AS next
    FROM deliveries WHERE broadcast_id = ${b.id} AND state = 'pending' AND last_error IS NOT NULL
    GROUP BY last_error ORDER BY at DESC LIMIT 1`);
  // A lease kept alive runs at least STALE_LEASE_MS ahead; one that does not is a stopped process's.
  const [held] = await deps.db.all<{ n: number; until: number | null; live: number }>(sql`
    SELECT count(*) FILTER (WHERE lease_until < ${now + STALE_LEASE_MS}) AS n,
           max(lease_until) FILTER (WHERE lease_until < ${now + STALE_LEASE_MS}) AS until,
           count(*) FILTER (WHERE lease_until >= ${now + STALE_LEASE_MS}) AS live
    FROM deliveries WHERE broadcast_id = ${b.id} AND state = 'sending'`);
  const clock = (ms: number) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(ms));
  const iso = (ms: number | null | undefined) =>
    ms == null ? null : new Date(Number(ms)).toISOString();
  const ratePerSecond = Math.round(((rate?.n ?? 0) / 60) * 10) / 10;
  const lastSent = rate?.last == null ? null : Number(rate.last);
  const sinceProgress = now - (lastSent ?? Date.parse(b.createdAt));
  const stalled = !b.done && sinceProgress >= STALL_MS;
  const state: SendingState = {
    ratePerSecond,
    lastSentAt: iso(lastSent),
    stalled,
    lastTemporaryError: err
      ? { error: err.error, at: iso(err.at), count: Number(err.n), nextAttemptAt: iso(err.next) }
      : null,
    orphaned:
      held && Number(held.n) > 0
        ? { count: Number(held.n), takenAt: new Date(Number(held.until)).toISOString() }
        : null,
    inFlight: Number(held?.live ?? 0),
    reasons: [],
  };
  if (err) {
    const n = Number(err.n);
    state.reasons.push(
      `The mail relay refused for now: "${err.error}"${err.at ? ` (last at ${clock(Number(err.at))})` : ''}, ${n} ${n === 1 ? 'time' : 'times'}, next attempt ${Number(err.next) <= now ? 'now' : clock(Number(err.next))}. ${relayAdvice(err.error)}`,
    );
  }
  if (state.orphaned) {
    const n = state.orphaned.count;
    const at = Number(held!.until);
    state.reasons.push(
      `${n} ${n === 1 ? 'delivery waits' : 'deliveries wait'} for a Herald process that stopped while sending; ${at <= now ? 'they are being taken over now' : `another process takes them over at ${clock(at)}`}.`,
    );
  }
  if (stalled && state.inFlight > 0) {
    const n = state.inFlight;
    state.reasons.push(
      `${n} ${n === 1 ? 'message is' : 'messages are'} with a running Herald process, waiting for the mail relay to answer, and nothing was accepted for ${Math.round(sinceProgress / 1000)} s. A relay that keeps its connections open without answering holds them until the SMTP timeout: 10 minutes, unless SMTP_URL sets a shorter ?socketTimeout= (in ms).`,
    );
  }
  if (stalled && state.reasons.length === 0)
    state.reasons.push(
      `Nothing was sent for ${Math.round(sinceProgress / 1000)} s: check that a Herald process is running and that /healthz is ok.`,
    );
  return state;
}

/**
 * What to do about a relay's refusal for now, read from the error it left (the delivery wing's
 * `classifySmtpError` decided it was one). A refused login (535, 530) is SMTP_URL's credentials;
 * another reply (`4xx ...`) means the relay is up and turns mail away; anything else (refused,
 * reset, timed out, not found) means Herald cannot reach it or talk to it. Either way nothing is
 * resent by hand: the email lane probes the relay and lets the whole queue go once it accepts
 * (server/delivery/README.md, "A relay that refuses").
 */
export function relayAdvice(error: string): string {
  const e = error.trim();
  const why = /^5(30|34|35|38)\b|authenticat|invalid login|credentials/i.test(e)
    ? "The relay refuses Herald's login: check the user and password in SMTP_URL, and that the relay lets that account send."
    : /^4\d\d\b/.test(e)
      ? 'The relay is up and turns mail away for now (a sending limit, a full queue or trouble on its side): its log, or its provider, says why.'
      : 'Herald cannot reach the relay or talk to it: check that the server SMTP_URL names is running and that this machine may connect to it (host, port, firewall, TLS).';
  return `${why} Nothing needs sending again: the queue goes out within seconds of the relay accepting mail.`;
}

/**
 * P0/P1 broadcasts that still have deliveries queued (or recipients to write) and have sent
 * nothing for a minute: the
 * dashboard says so loudly, with the reasons.
 */
export async function readStalledBroadcasts(deps: DomainDeps) {
  const rows = await deps.db
    .select()
    .from(broadcasts)
    .innerJoin(incidents, eq(incidents.id, broadcasts.incidentId))
    .where(
      and(
        sql`${incidents.priority} <= 1`,
        sql`(${broadcasts.fillAfter} IS NOT NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = ${broadcasts.id} AND d.state IN ('pending', 'sending')))`,
      ),
    )
    .orderBy(desc(broadcasts.createdAt))
    .limit(20);
  if (rows.length === 0) return [];
  const c = await counts(
    deps.db,
    rows.map((r) => r.broadcasts.id),
  );
  const timeZone = (await getSettings(deps.db)).timeZone;
  const out = [];
  for (const r of rows) {
    const b = progress(r.broadcasts, c.get(r.broadcasts.id));
    const s = await readSendingState(deps, b, timeZone);
    if (s.stalled) out.push({ broadcast: b, priority: r.incidents.priority, sending: s });
  }
  return out;
}

export const retryInput = z.strictObject({
  broadcastId: idInput,
  deliveryIds: z.array(idInput).max(10_000).optional(),
});

/** Puts failed deliveries (all of a broadcast's, or the named ones) back in the queue. */
export const retryFailedDeliveries = verb(retryInput, retryFailedDeliveriesParsed);
async function retryFailedDeliveriesParsed(
  deps: DomainDeps,
  input: Parsed<typeof retryInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [b] = await tx
      .select({ id: broadcasts.id })
      .from(broadcasts)
      .where(eq(broadcasts.id, input.broadcastId));
    if (!b) throw new NotFoundError('broadcast', input.broadcastId);
    const res = await tx
      .update(deliveries)
      .set({ state: 'pending', attempts: 0, nextAttemptAt: now, leaseUntil: null })
      .where(
        and(
          eq(deliveries.broadcastId, b.id),
          eq(deliveries.state, 'failed'),
          input.deliveryIds ? inArray(deliveries.id, input.deliveryIds) : undefined,
        ),
      );
    const retried = rowsAffected(res);
    await recordAudit(tx, actor, now, {
      action: 'broadcast.retry',
      objectType: 'broadcast',
      objectId: b.id,
      after: { retried },
    });
    return { retried };
  });
}
