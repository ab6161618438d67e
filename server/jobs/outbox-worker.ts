import { retryAt as nextAttemptAt } from './backoff.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  anythingDue,
  claimDeliveries,
  claimMessages,
  claimProbe,
  type ClaimedDelivery,
  type ClaimedMessage,
  extendLeases,
  HEARTBEAT_MS,
  LEASE_MS,
  type Outcome,
  type OutboxTable,
  recordOutcomes,
  releaseAfterOutage,
} from '../domain/broadcasts/outbox-store.ts';
import type { Deps } from '../deps.ts';
import type { OutgoingMail } from '../mail/outgoing-mail.ts';
import {
  type BroadcastSource,
  type PageContext,
  readBroadcastSource,
  readPageContext,
  readRecipients,
  type Recipient,
} from '../domain/broadcasts/send-context.ts';
import { faultText, isLockWait, laneConditions } from './condition-log.ts';
import { wakeableNap } from './wakeable-nap.ts';
import { RateMeter } from './rate-meter.ts';
import { composeBroadcastMail } from '../delivery/kinds/compose.ts';
import { composeOutboxMail } from '../delivery/kinds/index.ts';
import type { StopReport } from '../delivery/lane.ts';

// The lease, the heartbeat, claim sizing and outcome recording are explained in server/jobs/README.md.

export interface OutboxWorkerOptions {
  /** Most rows one claim takes (one short write transaction). */
  batchSize?: number;
  /** With batchSize, the most rows in flight at once when `maxInFlight` is not given. */
  lanes?: number;
  /** Most rows this process holds at once (claimed, not yet recorded); bounds memory. */
  maxInFlight?: number;
  /** How long a claim holds without a heartbeat; a crashed process's rows come back after it. */
  leaseMs?: number;
  /** How often the leases of rows in flight are extended. */
  heartbeatMs?: number;
  /** Pause between polls when there is nothing to send. */
  idleMs?: number;
  /** Attempts before a temporarily failing message is given up. */
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injected for tests: 0..1, drives the jitter. */
  random?: () => number;
  /** Most messages rendered and handed to the transport at once (the rest wait, claimed). */
  composeAhead?: number;
  /** While the relay refuses: the first and the longest pause between probes. */
  probeBaseMs?: number;
  probeMaxMs?: number;
}

type WorkerDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'mailer' | 'log'>;

/** 5xx replies are permanent; network errors, timeouts and 4xx replies are worth retrying. */
export function classifySmtpError(err: unknown): { permanent: boolean; error: string } {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const error = String(e?.response ?? e?.message ?? err).slice(0, 500);
  if (typeof e?.responseCode === 'number')
    return { permanent: e.responseCode >= 500 && e.responseCode < 600, error };
  // A message nodemailer itself refuses (bad address, bad content) will not get better.
  if (e?.code === 'EENVELOPE' || e?.code === 'EMESSAGE') return { permanent: true, error };
  return { permanent: false, error };
}

/** Most rows held at once by default (claimed, not yet recorded). */
const MAX_IN_FLIGHT = 400;
/** The first claim of a busy spell is small so the first emails leave at once. */
const FIRST_CLAIM = 10;
/** Outcomes written per transaction: short enough to never hold the write lock for long. */
const RECORD_GROUP = 200;
/**
 * Outcomes are written this soon after the relay's answer, in one group: a commit per message
 * would cost a WAL sync each (measured: a third of the outbox's time at 1,000 msg/s), and a
 * crash in this window doubles at most what the relay answered in it.
 */
const RECORD_EVERY_MS = 25;

/**
 * The outbox worker: claims due deliveries and single messages under a short lease, sends them
 * through the pooled transport, and records each outcome as the relay answers, in small
 * groups. An outcome that cannot be written is kept in memory and retried until it lands, and
 * nothing new is claimed meanwhile. A heartbeat extends the lease of every row still held; a
 * claim is sized to what the measured sending rate can finish within one lease. `runOnce()`
 * does one claim, sends it and records it: what tests drive with a manual clock.
 */
export function createOutboxWorker(deps: WorkerDeps, opts: OutboxWorkerOptions = {}) {
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(HEARTBEAT_MS, Math.floor(leaseMs / 4));
  const idleMs = opts.idleMs ?? 100;
  const maxAttempts = opts.maxAttempts ?? 8;
  const baseBackoffMs = opts.baseBackoffMs ?? 30_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3600_000;
  const random = opts.random ?? Math.random;
  // By default one claim may take the whole window: each claim also reads the page, the
  // broadcast and its recipients and renders the copies, so fewer, fuller claims cost less per
  // message (claims of 100 were a thousand claims per 100,000 recipients).
  const batchSize = Math.max(1, opts.batchSize ?? MAX_IN_FLIGHT);
  const maxInFlight = Math.max(
    1,
    opts.maxInFlight ?? (opts.batchSize ? batchSize * (opts.lanes ?? 4) : MAX_IN_FLIGHT),
  );

  /** Ids claimed by this process and not yet recorded, per table: never claimed twice here. */
  const held: Record<OutboxTable, Map<string, number>> = {
    deliveries: new Map(),
    messages: new Map(),
  };
  const unrecorded: Record<OutboxTable, Outcome[]> = { deliveries: [], messages: [] };
  let recordFailing = false;
  let flushing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  // Rows are claimed by the lease window (hundreds at a fast relay) and wait in `queue` as the
  // plain rows they are; `composeAhead` lanes take them one by one, render, send and note the
  // outcome. A few lanes per SMTP connection keep the pool busy. One pending async send per
  // claimed row instead (measured: a fifth of what a 100,000 broadcast promotes to the old
  // generation) outlives young-generation collections and grows the heap.
  const composeAhead = Math.max(1, opts.composeAhead ?? 4 * deps.config.smtpMaxConnections);
  const queue: Job[] = [];
  const lanes = new Set<Promise<void>>();
  /** Relay answers: the measured sending rate. */
  let answers = new RateMeter();

  let running = false;
  let pumpDone: Promise<void> = Promise.resolve();
  let heartbeat: NodeJS.Timeout | null = null;
  const { nap, wake } = wakeableNap();

  // A relay that refuses for now (a 4xx, a refused connection, a timeout) is not sent new rows:
  // what waits in `queue` is handed back, and one message at a time probes it with backoff. The
  // first success makes every row that met the outage due at once. Without this, each row waits
  // out its own backoff (30 s doubling) and a relay that is back is used a minute late.
  const probeBaseMs = opts.probeBaseMs ?? 250;
  const probeMaxMs = opts.probeMaxMs ?? 4000;
  const relay: { downSince: Date | null; probeAt: number; pause: number; probing: boolean } = {
    downSince: null,
    probeAt: 0,
    pause: probeBaseMs,
    probing: false,
  };
  function relayRefused(result: { error: string }) {
    condition('relay', 'refusing', `the relay refuses messages for now: ${result.error}`);
    if (!relay.downSince) {
      relay.downSince = deps.clock.now();
      relay.pause = probeBaseMs;
      // Rows claimed but not started go back (pending, attempt not counted); they are due.
      for (const job of queue.splice(0))
        unrecorded[job.which].push({
          id: job.row.id,
          attempts: job.row.attempts,
          result: { released: true },
        });
      scheduleFlush();
    } else if (relay.probing) relay.pause = Math.min(probeMaxMs, relay.pause * 2);
    // Sends that were already with the relay when it started refusing do not push the probe on.
    else return;
    relay.probeAt = Date.now() + Math.round(relay.pause * (0.5 + random() / 2));
  }
  /**
   * A success. Only a probe's ends an outage and releases its rows: another send accepted while
   * the relay was thought down shows the refusal was about one recipient (a full mailbox), whose
   * row keeps its own backoff.
   */
  async function relayAccepted(probe: boolean) {
    condition('relay', null);
    const since = relay.downSince;
    if (!since) return;
    relay.downSince = null;
    if (!probe) return;
    // The rate measured during the outage (a probe every few seconds) would size the next claims
    // to a handful: measure afresh from a first claim, as at the start of a busy spell.
    answers = new RateMeter();
    // The outcomes of the outage must be written first, or their rows are not released.
    await flush();
    try {
      const n = await releaseAfterOutage(deps.db, since, deps.clock.now());
      if (n) deps.log.info(`outbox: the relay is back; ${n} messages that met its refusal go now`);
    } catch (err) {
      deps.log.error(
        `outbox: could not release the messages held back by the outage: ${faultText(err)}`,
      );
    }
    wake();
  }

  const condition = laneConditions(deps.log, 'outbox');

  function heldCount() {
    return held.deliveries.size + held.messages.size;
  }

  /** How many rows may be in flight: what the measured rate sends in half a lease. */
  function allowedInFlight(): number {
    const rate = answers.perSecond();
    if (rate === null) return Math.min(FIRST_CLAIM, maxInFlight);
    return Math.max(1, Math.min(maxInFlight, Math.floor((rate * leaseMs) / 2000)));
  }

  const retryAt = (now: Date, attempts: number) =>
    nextAttemptAt(now, attempts, { baseMs: baseBackoffMs, maxMs: maxBackoffMs, random });

  function scheduleFlush() {
    if (flushTimer || flushing) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      void flush();
    }, RECORD_EVERY_MS);
  }

  /** Writes what the relay said, group by group; keeps and retries what does not land. */
  function flush(): Promise<void> {
    if (flushing) return flushing;
    flushing = (async () => {
      let pause = 50;
      for (;;) {
        const which: OutboxTable | undefined = unrecorded.messages.length
          ? 'messages'
          : unrecorded.deliveries.length
            ? 'deliveries'
            : undefined;
        if (!which) break;
        const group = unrecorded[which].slice(0, RECORD_GROUP);
        try {
          await recordOutcomes(deps.db, which, group, deps.clock.now(), { maxAttempts, retryAt });
        } catch (err) {
          recordFailing = true;
          condition(
            'recording',
            'failing',
            `could not record outcomes yet, retrying in memory: ${faultText(err)}`,
          );
          await sleep(pause);
          pause = Math.min(2000, pause * 2);
          continue;
        }
        recordFailing = false;
        condition('recording', null);
        pause = 50;
        unrecorded[which].splice(0, group.length);
        for (const o of group) held[which].delete(o.id);
        wake();
      }
    })().finally(() => {
      flushing = null;
      if (unrecorded.messages.length || unrecorded.deliveries.length) scheduleFlush();
    });
    return flushing;
  }

  /** Starts lanes for what waits in the queue, up to `composeAhead` of them. */
  function startLanes() {
    while (lanes.size < Math.min(composeAhead, queue.length)) {
      const lane = runLane();
      lanes.add(lane);
      void lane.finally(() => lanes.delete(lane));
    }
  }

  async function runLane() {
    for (let job = queue.shift(); job; job = queue.shift()) {
      let result: Outcome['result'];
      try {
        result = job.which === 'messages' ? await sendMessage(job) : await sendDelivery(job);
      } catch (err) {
        result = {
          ok: false,
          permanent: true,
          error: `could not render: ${String(err)}`.slice(0, 500),
        };
      }
      answers.count();
      unrecorded[job.which].push({ id: job.row.id, attempts: job.row.attempts, result });
      scheduleFlush();
      if ('ok' in result && !result.ok && !result.permanent) relayRefused(result);
      // A promise per accepted message only while the relay is thought down.
      else if ('ok' in result && result.ok) {
        if (relay.downSince) void relayAccepted(job.probe === true);
        else condition('relay', null);
      }
    }
  }

  async function sendMessage({ row: m, claim }: MessageJob): Promise<Outcome['result']> {
    const mail = await composeOutboxMail(
      { db: deps.db, page: claim.page, now: claim.now },
      {
        kind: m.kind,
        toAddress: m.to_address,
        payload: JSON.parse(m.payload),
        messageId: m.message_id,
      },
    );
    return mail ? send(mail) : { skipped: true };
  }

  function sendDelivery({
    row: d,
    claim,
  }: DeliveryJob): Promise<Outcome['result']> | Outcome['result'] {
    const r = claim.recipients.get(d.subscriber_id);
    const b = claim.sources.get(d.broadcast_id);
    // Checked at send time: someone who left after the broadcast was queued gets nothing.
    if (!r || r.state !== 'confirmed' || !b) return { skipped: true };
    const mail = composeBroadcastMail(claim.page, b, r, d.message_id, claim.now);
    return mail ? send(mail) : { skipped: true };
  }

  async function send(mail: OutgoingMail): Promise<Outcome['result']> {
    try {
      await deps.mailer.send(mail, deps.clock.now());
      return { ok: true, messageId: mail.messageId };
    } catch (err) {
      return { ok: false, ...classifySmtpError(err) };
    }
  }

  /** Claims up to `limit` rows (messages first), starts sending them; returns how many. */
  async function claimAndDispatch(now: Date, limit: number): Promise<number> {
    const messages = (await claimMessages(deps.db, now, limit, leaseMs)).filter(
      (m) => !held.messages.has(m.id),
    );
    for (const m of messages) held.messages.set(m.id, m.attempts);
    const rest = limit - messages.length;
    const claimed =
      rest > 0
        ? (await claimDeliveries(deps.db, now, rest, leaseMs)).filter(
            (d) => !held.deliveries.has(d.id),
          )
        : [];
    for (const d of claimed) held.deliveries.set(d.id, d.attempts);
    if (messages.length + claimed.length === 0) return 0;
    let claim: Claim;
    try {
      const sources = new Map<string, BroadcastSource | null>();
      for (const id of new Set(claimed.map((c) => c.broadcast_id)))
        sources.set(id, await readBroadcastSource(deps.db, id));
      claim = {
        now,
        page: await readPageContext(deps.db, deps.config),
        recipients: await readRecipients(deps.db, [
          ...new Set(claimed.map((c) => c.subscriber_id)),
        ]),
        sources,
      };
    } catch (err) {
      // The reads for rendering failed before anything was handed on: let go of the rows; their
      // lease runs out and they are claimed again (by this process too, no longer held).
      for (const m of messages) held.messages.delete(m.id);
      for (const d of claimed) held.deliveries.delete(d.id);
      throw err;
    }
    for (const row of messages) queue.push({ which: 'messages', row, claim });
    for (const row of claimed) queue.push({ which: 'deliveries', row, claim });
    startLanes();
    return messages.length + claimed.length;
  }

  /** One message to a relay that refused: its answer ends the outage or backs off further. */
  async function probeRelay() {
    const now = deps.clock.now();
    const probe = await claimProbe(deps.db, now, leaseMs);
    if (!probe || held[probe.which].has(probe.row.id)) {
      // Nothing left to probe with: the next claim finds out.
      relay.downSince = null;
      condition('relay', null);
      return;
    }
    held[probe.which].set(probe.row.id, probe.row.attempts);
    let claim: Claim;
    try {
      const page = await readPageContext(deps.db, deps.config);
      let recipients = new Map<string, Recipient>();
      const sources = new Map<string, BroadcastSource | null>();
      if (probe.which === 'deliveries') {
        const d = probe.row as ClaimedDelivery;
        recipients = await readRecipients(deps.db, [d.subscriber_id]);
        sources.set(d.broadcast_id, await readBroadcastSource(deps.db, d.broadcast_id));
      }
      claim = { now, page, recipients, sources };
    } catch (err) {
      // Nothing was handed on: its lease runs out and it is claimed again.
      held[probe.which].delete(probe.row.id);
      throw err;
    }
    queue.push({ which: probe.which, row: probe.row, claim, probe: true } as Job);
    startLanes();
    // Wait for its answer (the lane records it and updates the relay's state).
    while (lanes.size) await Promise.all([...lanes]);
  }

  const unrecordedCount = () => unrecorded.messages.length + unrecorded.deliveries.length;

  /**
   * Waits until every send in flight has answered and every outcome is recorded; with a
   * deadline (a stop), gives up recording at it and returns how many outcomes are left.
   */
  async function settle(deadline = Infinity): Promise<number> {
    while (lanes.size) await Promise.all([...lanes]);
    if (flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    while ((unrecordedCount() || flushing) && Date.now() < deadline)
      await Promise.race([flush(), sleep(Math.max(0, Math.min(1000, deadline - Date.now())))]);
    return unrecordedCount();
  }

  let beating = false;
  async function beat() {
    if (beating) return;
    beating = true;
    const until = new Date(deps.clock.now().getTime() + leaseMs);
    try {
      for (const which of ['messages', 'deliveries'] as const)
        await extendLeases(deps.db, which, [...held[which].keys()], until);
      condition('heartbeat', null);
    } catch (err) {
      condition('heartbeat', 'failing', `could not extend leases: ${faultText(err)}`);
    } finally {
      beating = false;
    }
  }

  async function pump() {
    let pause = 200;
    while (running) {
      // A failed recording is retried before anything new is claimed.
      if (recordFailing) {
        await nap(idleMs);
        continue;
      }
      if (relay.downSince) {
        if (relay.probing || Date.now() < relay.probeAt) {
          await nap(Math.max(1, Math.min(idleMs, relay.probeAt - Date.now())));
          continue;
        }
        relay.probing = true;
        try {
          await probeRelay();
          condition('database', null);
        } catch (err) {
          condition('database', faultText(err), `cannot claim: ${faultText(err)}; backing off`);
          relay.probeAt = Date.now() + pause;
        } finally {
          relay.probing = false;
        }
        continue;
      }
      // Claim when at least half a claim's worth is free, so claims stay few and full.
      const allowed = allowedInFlight();
      const room = Math.min(batchSize, allowed - heldCount());
      if (room <= 0 || room < Math.min(batchSize, allowed) / 2) {
        await nap(idleMs);
        continue;
      }
      let n = 0;
      try {
        const now = deps.clock.now();
        if (await anythingDue(deps.db, now)) n = await claimAndDispatch(now, room);
        condition('database', null);
        pause = 200;
      } catch (err) {
        condition('database', faultText(err), `cannot claim: ${faultText(err)}; backing off`);
        await nap(pause);
        pause = Math.min(5000, pause * 2);
        continue;
      }
      if (n === 0) await nap(idleMs);
    }
  }

  return {
    batchSize,
    /** Rows this process holds now (claimed, not yet recorded). */
    inFlight: heldCount,
    /** One claim of up to `limit` rows, sent and recorded; returns how many were claimed. */
    async runOnce(limit = batchSize): Promise<number> {
      const now = deps.clock.now();
      if (!(await anythingDue(deps.db, now))) return 0;
      const n = await claimAndDispatch(now, limit);
      await settle();
      return n;
    },
    /** Runs until stop(): claims as capacity frees up, with a heartbeat on what it holds. */
    start() {
      if (running) return;
      running = true;
      heartbeat = setInterval(() => void beat(), heartbeatMs);
      pumpDone = pump();
    },
    /**
     * A graceful stop: claims nothing more, hands back what was claimed but never started
     * (its lease released now, not left to run out), lets every message already handed to the
     * transport answer and records it. Recording is retried for up to `recordWaitMs`; what is
     * still unrecorded then is returned (its rows come back when their lease runs out, and may
     * go twice).
     */
    async stop(recordWaitMs = 30_000): Promise<StopReport> {
      running = false;
      wake();
      await pumpDone;
      const back = queue.splice(0);
      for (const job of back)
        unrecorded[job.which].push({
          id: job.row.id,
          attempts: job.row.attempts,
          result: { released: true },
        });
      const inFlight = heldCount() - back.length;
      const left = await settle(Date.now() + recordWaitMs);
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      return { handedBack: back.length, finished: inFlight, unrecorded: left };
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;

export type { StopReport } from '../delivery/lane.ts';

/** What one claim read for rendering its rows, shared by them. */
interface Claim {
  now: Date;
  page: PageContext;
  recipients: Map<string, Recipient>;
  sources: Map<string, BroadcastSource | null>;
}
interface MessageJob {
  which: 'messages';
  row: ClaimedMessage;
  claim: Claim;
  /** The one message sent to a relay that refused. */
  probe?: boolean;
}
interface DeliveryJob {
  which: 'deliveries';
  row: ClaimedDelivery;
  claim: Claim;
  probe?: boolean;
}
type Job = MessageJob | DeliveryJob;
