import { retryAt as nextAttemptAt } from '../jobs/backoff.ts';
import {
  anythingDue,
  claimEmail,
  claimProbe,
  type ClaimedDelivery,
  type ClaimedMessage,
  extendLeases,
  HEARTBEAT_MS,
  LEASE_MS,
  type Outcome,
  type OutboxTable,
  recordOutcomeGroups,
  refusedSince,
  releaseAfterOutage,
  type SendResult,
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
import { listText } from '../domain/lists/list-reading.ts';
import { fillNextSlice } from '../domain/broadcasts/queue-deliveries.ts';
import { faultText, laneConditions } from '../jobs/condition-log.ts';
import { RateMeter } from '../jobs/rate-meter.ts';
import { NotStarted, type SendHooks } from '../mail/smtp-pool.ts';
import { composeBroadcastMail } from './kinds/compose.ts';
import { composeOutboxMail } from './kinds/index.ts';
import { createLane, type LaneChannel, type SendTurn } from './lane.ts';
import { newLeaseOwner } from '../domain/shared/lease.ts';

export type { StopReport } from './lane.ts';

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

/**
 * 5xx replies to a message are permanent; network errors, timeouts and 4xx replies are worth
 * retrying. So is a refusal of the session rather than of the message (its greeting, TLS,
 * Herald's login, or a relay that wants a login Herald does not give: 530): every message would
 * meet it until someone fixes the relay or `SMTP_URL`, so it is the relay's refusal for now, and
 * the queue waits for the fix instead of being failed for good.
 */
export function classifySmtpError(err: unknown): { permanent: boolean; error: string } {
  const e = err as {
    responseCode?: number;
    response?: string;
    code?: string;
    message?: string;
    command?: string;
  };
  const error = String(e?.response ?? e?.message ?? err).slice(0, 500);
  const session =
    e?.code === 'EAUTH' ||
    e?.code === 'ETLS' ||
    e?.responseCode === 530 ||
    (e?.code === 'EPROTOCOL' && e?.command === 'CONN');
  if (session) return { permanent: false, error };
  if (typeof e?.responseCode === 'number')
    return { permanent: e.responseCode >= 500 && e.responseCode < 600, error };
  // A message nodemailer itself refuses (bad address, bad content) will not get better.
  if (e?.code === 'EENVELOPE' || e?.code === 'EMESSAGE') return { permanent: true, error };
  return { permanent: false, error };
}

/**
 * Most rows held at once by default (claimed, not yet recorded). A row stays held until its
 * outcome is written, up to 25 ms after the relay's answer: at 8,500 msg/s a fourth of a window
 * of 400 was answered rows waiting for that write, the next claim (made when half the window is
 * free) waited for them, and the SMTP connections idled in between. Fuller claims also cost less
 * a message (each reads the page and the broadcast and commits once). 100,000 messages in
 * alternating runs on one machine: 8,400-8,800 msg/s with 400, 10,600-11,100 with 800,
 * 11,100-11,750 with 1,600, at the same peak RSS (136-139 MB). The lease still bounds a claim
 * by the measured rate (`allowedInFlight`), so a slow relay is never given more than it can send.
 */
const MAX_IN_FLIGHT = 1600;
/** The first claim of a busy spell is small so the first emails leave at once. */
const FIRST_CLAIM = 10;
/**
 * Outcomes are written this soon after the relay's answer, in one group: a commit per message
 * would cost a WAL sync each (measured: a third of the outbox's time at 1,000 msg/s), and a
 * crash in this window doubles at most what the relay answered in it.
 */
const RECORD_EVERY_MS = 25;
/**
 * Most rows one outage's probes skip (a probe every 4 s at most: over an hour of outage, 900);
 * past it the round starts again.
 */
const MAX_PROBED = 5000;

/**
 * A claimed row of either email table, as the driver returned it with the lane's key added:
 * `which` says the table, `key` is unique across both; `probe` marks the relay's probe.
 */
/**
 * A claimed row as the lane holds it. `order`: its place among every row this process claimed, in
 * claim order; `address`: its recipient, once its claim was read (`readClaim`).
 */
type EmailRow = (
  | (ClaimedMessage & { which: 'messages'; key: string })
  | (ClaimedDelivery & { which: 'deliveries'; key: string })
) & { probe?: boolean; order?: number; address?: string };
type EmailOutcome = Outcome & { which: OutboxTable; key: string };

/** What one claim read for rendering its rows, shared by them. */
interface Claim {
  now: Date;
  page: PageContext;
  recipients: Map<string, Recipient>;
  sources: Map<string, BroadcastSource | null>;
}

const keyPrefix = { messages: 'm:', deliveries: 'd:' } as const;

/** Adds the lane's key to the driver's own row objects (no copy per row). */
function keyed<T extends { id: string }, W extends OutboxTable>(rows: T[], which: W) {
  for (const r of rows)
    Object.assign(r as T & { which: W; key: string }, { which, key: keyPrefix[which] + r.id });
  return rows as (T & { which: W; key: string })[];
}

/**
 * The email channel on the delivery lane (server/delivery/lane.ts): single emails
 * (`outbox_messages`) and broadcast copies (`deliveries`) claimed together, rendered at send
 * time by the table of kinds, handed to the pooled transport. Beyond what every channel gets
 * from the lane it brings claim sizing by the measured sending rate (`room`), compose lanes
 * (`concurrency`, a few per SMTP connection) and the relay as the lane's gate. Guarantees and
 * limits: server/delivery/README.md.
 */
export function createOutboxWorker(deps: WorkerDeps, opts: OutboxWorkerOptions = {}) {
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(HEARTBEAT_MS, Math.floor(leaseMs / 4));
  const maxAttempts = opts.maxAttempts ?? 8;
  const baseBackoffMs = opts.baseBackoffMs ?? 30_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3600_000;
  const random = opts.random ?? Math.random;
  // By default one claim may take the whole window: each claim also reads the page, the
  // broadcast and its recipients and renders the copies (about 1.5 ms of CPU whatever its
  // size), so fewer, fuller claims cost less per message.
  const batchSize = Math.max(1, opts.batchSize ?? MAX_IN_FLIGHT);
  const maxInFlight = Math.max(
    1,
    opts.maxInFlight ?? (opts.batchSize ? batchSize * (opts.lanes ?? 4) : MAX_IN_FLIGHT),
  );
  const retryAt = (now: Date, attempts: number) =>
    nextAttemptAt(now, attempts, { baseMs: baseBackoffMs, maxMs: maxBackoffMs, random });
  /** This lane's name on the leases it holds: its heartbeat and outcomes touch only those rows. */
  const owner = newLeaseOwner();
  /** Writing large broadcasts' recipients (`fillNextSlice`): its failure logged once, not per claim. */
  const fillCondition = laneConditions(deps.log, 'outbox');
  /** Relay answers: the measured sending rate. */
  let answers = new RateMeter();
  /** The rows probed in the relay's current outage, by table (`claimProbe` skips them). */
  const probed: Record<OutboxTable, Set<string>> = { messages: new Set(), deliveries: new Set() };
  const forgetProbed = () => {
    probed.messages.clear();
    probed.deliveries.clear();
  };

  /** How many rows may be in flight: what the measured rate sends in half a lease. */
  function allowedInFlight(): number {
    const rate = answers.perSecond();
    if (rate === null) return Math.min(FIRST_CLAIM, maxInFlight);
    return Math.max(1, Math.min(maxInFlight, Math.floor((rate * leaseMs) / 2000)));
  }

  async function readClaim(rows: EmailRow[], now: Date): Promise<Claim> {
    const subscribers = new Set<string>();
    const broadcastIds = new Set<string>();
    for (const r of rows) {
      if (r.which !== 'deliveries') continue;
      subscribers.add(r.subscriber_id);
      broadcastIds.add(r.broadcast_id);
    }
    const recipients = subscribers.size
      ? await readRecipients(deps.db, [...subscribers])
      : new Map<string, Recipient>();
    // What only internal lists read (the record, the support script) is read when one of this
    // claim's recipients is on such a list.
    let staff = false;
    for (const r of recipients.values())
      if ((staff = listText(r.list).internal === 'record')) break;
    for (const r of rows)
      r.address = (
        r.which === 'messages' ? r.to_address : recipients.get(r.subscriber_id)?.email
      )?.toLowerCase();
    const sources = new Map<string, BroadcastSource | null>();
    for (const id of broadcastIds)
      sources.set(id, await readBroadcastSource(deps.db, id, { staff }));
    return { now, page: await readPageContext(deps.db, deps.config), recipients, sources };
  }

  async function send(mail: OutgoingMail, hooks: SendHooks): Promise<SendResult> {
    try {
      await deps.mailer.send(mail, deps.clock.now(), hooks);
      return { ok: true, messageId: mail.messageId };
    } catch (err) {
      // Its lease ran low while it waited for a connection: nothing was written, the row is
      // handed back (lane.ts, `mayStart`).
      if (err instanceof NotStarted) return { released: true };
      return { ok: false, ...classifySmtpError(err) };
    }
  }

  async function sendRow(
    row: EmailRow,
    claim: Claim,
    turn: SendTurn<EmailOutcome>,
  ): Promise<SendResult> {
    const hooks: SendHooks = {
      mayStart: turn.mayStart,
      refused: (err) => turn.refused(outcome(row, { ok: false, ...classifySmtpError(err) })),
    };
    if (row.which === 'messages') {
      const mail = await composeOutboxMail(
        { db: deps.db, page: claim.page, now: claim.now },
        {
          kind: row.kind,
          toAddress: row.to_address,
          payload: JSON.parse(row.payload),
          messageId: row.message_id,
        },
      );
      return mail ? send(mail, hooks) : { skipped: true };
    }
    const r = claim.recipients.get(row.subscriber_id);
    const b = claim.sources.get(row.broadcast_id);
    // Checked at send time: someone who left after the broadcast was queued gets nothing.
    if (!r || r.state !== 'confirmed' || !b) return { skipped: true };
    const mail = composeBroadcastMail(claim.page, b, r, row.message_id, claim.now);
    return mail ? send(mail, hooks) : { skipped: true };
  }

  /**
   * Per address, the last send queued: one address's emails go one at a time, in claim order
   * (which is publish order), so an update and its all-clear queued together (after a relay
   * outage) reach each reader in that order. Only a second email to the same address waits; a
   * broadcast's single copies never do. Whether its turn still sends is `mayGo`'s to say.
   */
  const sendingTo = new Map<string, Promise<unknown>>();
  async function inTurn(address: string, fn: () => Promise<SendResult>): Promise<SendResult> {
    const ahead = sendingTo.get(address);
    const mine = ahead ? ahead.then(fn) : fn();
    const done = mine.catch(() => undefined);
    sendingTo.set(address, done);
    try {
      return await mine;
    } finally {
      if (sendingTo.get(address) === done) sendingTo.delete(address);
    }
  }

  /**
   * The emails handed back unstarted (a stop, the relay refusing, a lease run short), by key, with
   * their address and place in claim order, until they are sent (or refused for good), or a lease
   * has passed (another process may have taken them over). An email to the same address that
   * comes later in claim order is handed back too rather than overtake one (an all-clear before
   * its update), whether it waited in turn behind it, in the lane's queue or came in a later
   * claim. Claimed again, an email keeps its first place.
   */
  const handedBack = new Map<string, { address: string; order: number; until: number }>();
  const handedBackTo = new Map<string, Set<string>>();
  let claimOrder = 0;
  function noteHandedBack(row: EmailRow) {
    if (row.address === undefined || row.order === undefined) return;
    handedBack.set(row.key, {
      address: row.address,
      order: row.order,
      until: deps.clock.now().getTime() + leaseMs,
    });
    let keys = handedBackTo.get(row.address);
    if (!keys) handedBackTo.set(row.address, (keys = new Set()));
    keys.add(row.key);
  }
  function forget(key: string) {
    const e = handedBack.get(key);
    if (!e) return;
    handedBack.delete(key);
    const keys = handedBackTo.get(e.address)!;
    keys.delete(key);
    if (keys.size === 0) handedBackTo.delete(e.address);
  }
  /** True when an email to the row's address that comes before it was handed back and is not sent. */
  function behindHandedBack(row: EmailRow): boolean {
    const keys = row.address === undefined ? undefined : handedBackTo.get(row.address);
    if (!keys) return false;
    const now = deps.clock.now().getTime();
    let behind = false;
    for (const key of [...keys]) {
      const e = handedBack.get(key)!;
      if (e.until <= now) forget(key);
      else if (key !== row.key && e.order < row.order!) behind = true;
    }
    return behind;
  }
  /** Each claimed row's place in claim order: a handed-back email claimed again keeps its own. */
  function stamp(rows: EmailRow[]): EmailRow[] {
    for (const r of rows) r.order = handedBack.get(r.key)?.order ?? ++claimOrder;
    return rows;
  }

  const outcome = (row: EmailRow, result: SendResult): EmailOutcome => ({
    which: row.which,
    key: row.key,
    id: row.id,
    attempts: row.attempts,
    result,
    probe: row.probe === true,
  });

  const channel: LaneChannel<EmailRow, Claim, EmailOutcome> = {
    name: 'outbox',
    anyDue: (now) => anythingDue(deps.db, now),
    async claim(now, limit, lease) {
      const take = async () => {
        const { messages, deliveries } = await claimEmail(deps.db, now, limit, {
          ms: lease,
          owner,
        });
        return [...keyed(messages, 'messages'), ...keyed(deliveries, 'deliveries')];
      };
      const claimed = stamp(await take());
      // A large broadcast's recipients past its first slice are written here, a slice a claim,
      // each in its own short transaction, after the claim: what is due goes out first (a P0's
      // first emails wait for no slice), and the slices keep ahead of the sending (5,000 a step
      // against claims of 1,600 at most). A claim that found nothing while a slice was written
      // takes from it at once instead of resting until the next look.
      // Its failure (another process's write lock, a full disk) never costs the claim: those
      // rows are this process's now and go out; the next claim writes the slice again.
      let filled: Awaited<ReturnType<typeof fillNextSlice>> = null;
      try {
        filled = await fillNextSlice(deps.db, deps.config, now);
        fillCondition('filling', null);
      } catch (err) {
        fillCondition(
          'filling',
          faultText(err),
          `could not write a large broadcast's next recipients yet: ${faultText(err)}`,
        );
      }
      return claimed.length === 0 && filled?.written ? stamp(await take()) : claimed;
    },
    prepare: readClaim,
    async send(row, claim, turn) {
      // Its turn: handed back too if an email before it to the address was, else sent; a send
      // handed back unstarted is noted before the next in turn looks.
      const go = async (): Promise<SendResult> => {
        if (behindHandedBack(row)) return { released: true };
        const sent = await sendRow(row, claim, turn);
        if ('released' in sent) noteHandedBack(row);
        return sent;
      };
      let result: SendResult;
      try {
        result = row.address === undefined ? await go() : await inTurn(row.address, go);
      } catch (err) {
        result = {
          ok: false,
          permanent: true,
          error: `could not render: ${String(err)}`.slice(0, 500),
        };
      }
      // The rate of the relay's answers sizes the claims; a row handed back unstarted is none.
      if (!('released' in result)) {
        answers.count();
        forget(row.key);
      }
      return outcome(row, result);
    },
    released: (row) => {
      noteHandedBack(row);
      return outcome(row, { released: true });
    },
    wasHandedBack: (o) => 'released' in o.result,
    keyOf: (o) => o.key,
    async record(group, now) {
      const groups: Record<OutboxTable, Outcome[]> = { messages: [], deliveries: [] };
      for (const o of group) groups[o.which].push(o);
      await recordOutcomeGroups(deps.db, groups, now, { owner, maxAttempts, retryAt });
    },
    async extend(keys, until) {
      const ids: Record<OutboxTable, string[]> = { messages: [], deliveries: [] };
      for (const k of keys)
        ids[k.startsWith(keyPrefix.messages) ? 'messages' : 'deliveries'].push(k.slice(2));
      for (const which of ['messages', 'deliveries'] as const)
        await extendLeases(deps.db, which, ids[which], until, owner);
    },
    // Claim when at least half a claim's worth is free, so claims stay few and full.
    room(held) {
      const allowed = allowedInFlight();
      const room = Math.min(batchSize, allowed - held);
      return room < Math.min(batchSize, allowed) / 2 ? 0 : room;
    },
    gate: {
      name: 'relay',
      what: 'the relay',
      rowWord: 'messages',
      refusal: ({ result }) =>
        'ok' in result && !result.ok && !result.permanent ? result.error : null,
      accepted: ({ result }) => 'ok' in result && result.ok,
      async claimProbe(now, lease) {
        // Each probe takes a row not yet probed in this outage, so one recipient's refusal does
        // not keep the relay looking down; once every row has had its turn, round again.
        const skip = { messages: [...probed.messages], deliveries: [...probed.deliveries] };
        let probe = await claimProbe(deps.db, now, { ms: lease, owner }, skip);
        if (!probe && (skip.messages.length || skip.deliveries.length)) {
          forgetProbed();
          probe = await claimProbe(deps.db, now, { ms: lease, owner });
        }
        if (!probe) return null;
        if (probed[probe.which].size >= MAX_PROBED) forgetProbed();
        probed[probe.which].add(probe.row.id);
        const row = keyed([probe.row] as (ClaimedMessage | ClaimedDelivery)[], probe.which)[0];
        return Object.assign(row as EmailRow, { probe: true });
      },
      refusedSince: (now) => refusedSince(deps.db, now),
      release(since, now) {
        forgetProbed();
        // The rate measured during the outage (a probe every few seconds) would size the next
        // claims to a handful: measure afresh from a first claim, as at the start of a busy spell.
        answers = new RateMeter();
        return releaseAfterOutage(deps.db, since, now);
      },
      probeBaseMs: opts.probeBaseMs ?? 250,
      probeMaxMs: opts.probeMaxMs ?? 4000,
      random,
    },
  };

  const lane = createLane(channel, deps.log, deps.clock, {
    leaseMs,
    heartbeatMs,
    idleMs: opts.idleMs ?? 100,
    maxInFlight,
    // Claimed rows wait in the lane's queue as the bare rows they are; a few compose lanes per
    // SMTP connection take them one by one, render, send and note the outcome. One pending send
    // per claimed row instead (measured: a fifth of what a 100,000 broadcast promotes to the old
    // generation) outlives young-generation collections and grows the heap.
    concurrency: Math.max(1, opts.composeAhead ?? 4 * deps.config.smtpMaxConnections),
    recordEveryMs: RECORD_EVERY_MS,
    // All that 25 ms gathers in one transaction (one commit): in groups of 200, 10,000 msg/s
    // wrote two or three a time.
    recordGroup: maxInFlight,
  });

  return {
    batchSize,
    /** Rows this process holds now (claimed, not yet recorded). */
    inFlight: lane.inFlight,
    /** One claim of up to `limit` rows, sent and recorded; returns how many were claimed. */
    runOnce: (limit = batchSize) => lane.claimOnce(limit),
    /** Runs until stop(): claims as capacity frees up, with a heartbeat on what it holds. */
    start: lane.start,
    /** Looks for due rows now (something was just queued) instead of at the next poll. */
    wake: lane.wake,
    /**
     * A graceful stop: claims nothing more, hands back what was claimed but never started (its
     * lease released with the first write that lands, not left to run out), lets every message
     * already handed to the transport answer and records it. What is still unrecorded after
     * `recordWaitMs` is returned (its rows come back when their lease runs out, and may go
     * twice).
     */
    stop: lane.stop,
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
