import {
  anythingDue,
  claimDeliveries,
  claimMessages,
  type Outcome,
  type OutboxTable,
  recordOutcomes,
} from '../domain/broadcasts/outbox-store.ts';
import type { Deps } from '../deps.ts';
import type { OutgoingMail } from '../mail/outgoing-mail.ts';
import {
  type BroadcastSource,
  readBroadcastSource,
  readPageContext,
  readRecipients,
} from '../domain/broadcasts/send-context.ts';
import type { OutboxPayload } from '../domain/broadcasts/enqueue-message.ts';
import { composeBroadcastMail, composeOutboxMail } from '../mail/compose/compose.ts';

export interface OutboxWorkerOptions {
  /** Rows claimed per batch (per lane). */
  batchSize?: number;
  /** Batches in flight at once when started; each claims on its own, like another process. */
  lanes?: number;
  /** How long a claim holds; a crashed worker's rows come back after it. */
  leaseMs?: number;
  /** Pause between polls when there is nothing to send. */
  idleMs?: number;
  /** Attempts before a temporarily failing message is given up. */
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injected for tests: 0..1, drives the jitter. */
  random?: () => number;
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

/**
 * The outbox worker: claims pending deliveries and single messages in batches with a lease
 * (one atomic UPDATE ... RETURNING, so several processes share the work), renders and sends
 * them through the pooled transport, and records each outcome. Memory is bounded by the
 * batch size whatever the list size. `runOnce()` does one round and is what tests drive.
 */
export function createOutboxWorker(deps: WorkerDeps, opts: OutboxWorkerOptions = {}) {
  const lanes = opts.lanes ?? 4;
  const leaseMs = opts.leaseMs ?? 60_000;
  const idleMs = opts.idleMs ?? 100;
  const maxAttempts = opts.maxAttempts ?? 8;
  const baseBackoffMs = opts.baseBackoffMs ?? 30_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3600_000;
  const random = opts.random ?? Math.random;
  // Under an SMTP rate limit a batch must finish well inside its lease, or another process
  // would take it over and send it twice.
  const rate = deps.config.smtpRatePerSecond;
  const batchSize = Math.max(
    1,
    Math.min(
      opts.batchSize ?? 100,
      rate > 0 ? Math.floor((rate * leaseMs) / 1000 / (2 * lanes)) : Infinity,
    ),
  );

  let running = false;
  let loops: Promise<void>[] = [];
  const sleepers = new Set<() => void>();

  /** Exponential backoff with full jitter in [delay/2, delay]. */
  function retryAt(now: Date, attempts: number): Date {
    const delay = Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, attempts - 1));
    return new Date(now.getTime() + Math.round(delay * (0.5 + random() / 2)));
  }

  async function send(mail: OutgoingMail): Promise<Outcome['result']> {
    try {
      await deps.mailer.send(mail, deps.clock.now());
      return { ok: true, messageId: mail.messageId };
    } catch (err) {
      return { ok: false, ...classifySmtpError(err) };
    }
  }

  async function record(which: OutboxTable, outcomes: Outcome[]) {
    await recordOutcomes(deps.db, which, outcomes, deps.clock.now(), { maxAttempts, retryAt });
    const failed = outcomes.filter((o) => 'ok' in o.result && !o.result.ok).length;
    if (failed) deps.log.info(`outbox: ${failed} of ${outcomes.length} messages failed this round`);
  }

  async function runDeliveries(now: Date, limit: number): Promise<number> {
    const claimed = await claimDeliveries(deps.db, now, limit, leaseMs);
    if (claimed.length === 0) return 0;
    const page = await readPageContext(deps.db, deps.config);
    const recipients = await readRecipients(deps.db, [
      ...new Set(claimed.map((c) => c.subscriber_id)),
    ]);
    const contexts = new Map<string, BroadcastSource | null>();
    for (const id of new Set(claimed.map((c) => c.broadcast_id)))
      contexts.set(id, await readBroadcastSource(deps.db, id));
    const outcomes = await Promise.all(
      claimed.map(async (d): Promise<Outcome> => {
        const r = recipients.get(d.subscriber_id);
        const b = contexts.get(d.broadcast_id);
        // Checked at send time: someone who left after the broadcast was queued gets nothing.
        if (!r || r.state !== 'confirmed' || !b)
          return { id: d.id, attempts: d.attempts, result: { skipped: true } };
        const mail = composeBroadcastMail(page, b, r, d.message_id, now);
        if (!mail) return { id: d.id, attempts: d.attempts, result: { skipped: true } };
        return { id: d.id, attempts: d.attempts, result: await send(mail) };
      }),
    );
    await record('deliveries', outcomes);
    return claimed.length;
  }

  async function runMessages(now: Date, limit: number): Promise<number> {
    const claimed = await claimMessages(deps.db, now, limit, leaseMs);
    if (claimed.length === 0) return 0;
    const page = await readPageContext(deps.db, deps.config);
    const outcomes = await Promise.all(
      claimed.map(async (m): Promise<Outcome> => {
        let mail: OutgoingMail | null;
        try {
          const payload = JSON.parse(m.payload) as OutboxPayload;
          mail = await composeOutboxMail(
            deps.db,
            page,
            { kind: m.kind, toAddress: m.to_address, payload, messageId: m.message_id },
            now,
          );
        } catch (err) {
          return {
            id: m.id,
            attempts: m.attempts,
            result: {
              ok: false,
              permanent: true,
              error: `could not render: ${String(err)}`.slice(0, 500),
            },
          };
        }
        if (!mail) return { id: m.id, attempts: m.attempts, result: { skipped: true } };
        return { id: m.id, attempts: m.attempts, result: await send(mail) };
      }),
    );
    await record('messages', outcomes);
    return claimed.length;
  }

  /**
   * One round: a batch of single messages (confirmations first: people wait for them), then of
   * deliveries. `limit` lets a lane start a broadcast with a small batch so the first emails
   * leave at once.
   */
  async function runOnce(limit = batchSize): Promise<number> {
    const now = deps.clock.now();
    if (!(await anythingDue(deps.db, now))) return 0;
    const messages = await runMessages(now, limit);
    const delivered = await runDeliveries(now, limit);
    return messages + delivered;
  }

  async function loop() {
    let warm = false;
    while (running) {
      let n = 0;
      try {
        n = await runOnce(warm ? batchSize : Math.min(batchSize, 10));
        warm = n > 0;
        // Work found: wake the other lanes so the whole broadcast is shared at once.
        if (n > 0) for (const w of [...sleepers]) w();
      } catch (err) {
        deps.log.error('outbox worker round failed; retrying', {
          error: String(err instanceof Error && err.cause ? err.cause : err),
        });
      }
      if (n === 0 && running) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            sleepers.delete(done);
            resolve();
          };
          const t = setTimeout(done, idleMs);
          sleepers.add(done);
        });
      }
    }
  }

  return {
    batchSize,
    runOnce,
    /** Runs until stop(): `lanes` loops, each polling and sending batch after batch. */
    start() {
      if (running) return;
      running = true;
      loops = Array.from({ length: lanes }, () => loop());
    },
    /** Lets batches in flight finish (and record their outcome), then returns. */
    async stop() {
      running = false;
      for (const w of [...sleepers]) w();
      await Promise.all(loops);
      loops = [];
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
