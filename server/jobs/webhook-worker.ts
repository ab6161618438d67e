import { retryAt as nextAttemptAt } from './backoff.ts';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Deps } from '../deps.ts';
import { readPageContext } from '../domain/broadcasts/send-context.ts';
import { isPrivateAddress } from '../domain/webhooks/address-policy.ts';
import { signatureHeader } from '../domain/webhooks/secret-box.ts';
import {
  type ClaimedWebhookDelivery,
  readWebhookRequests,
  type WebhookRequest,
} from '../domain/webhooks/webhook-send-context.ts';
import {
  anyWebhookDue,
  claimWebhookDelivery,
  claimWebhookHeads,
  emailAdmins,
  extendWebhookLeases,
  PAUSE_AFTER_FAILURES,
  recordWebhookOutcomes,
  type WebhookOutcome,
  type WebhookResult,
} from '../domain/webhooks/webhook-store.ts';
import { HEARTBEAT_MS, LEASE_MS } from '../domain/broadcasts/outbox-store.ts';
import { faultText, isLockWait, laneConditions } from './condition-log.ts';
import { wakeableNap } from './wakeable-nap.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StopReport } from './outbox-worker.ts';
import { renderWebhookPaused } from '../../emails/webhook-paused.ts';

export interface WebhookWorkerOptions {
  /** Whole-request limit: connect, send, and the answer's status line and first bytes. */
  timeoutMs?: number;
  /** Bytes of the answer read at most (kept for the delivery's error text). */
  maxResponseBytes?: number;
  /** Most webhooks posted to at once (each gets one delivery at a time). */
  batchSize?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  idleMs?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
}

type WorkerDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'log'>;

class RefusedAddress extends Error {}

/** A DNS lookup that refuses private addresses, so the check holds for the address used. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad)
        return callback(
          new RefusedAddress(`${hostname} resolves to ${bad.address}, a private address`),
          '',
          0,
        );
      // net's callback takes the whole list when `all` was asked for.
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * One POST: no redirects followed (3xx is a failure), the whole exchange bounded by the
 * timeout, at most `maxBytes` of the answer read. 2xx is success; 408, 429, 5xx, timeouts and
 * network errors are worth retrying; other 4xx, 3xx and refused addresses are permanent.
 */
export function postWebhook(
  req: WebhookRequest,
  now: Date,
  opts: { timeoutMs: number; maxBytes: number; event: string },
): Promise<WebhookResult> {
  const url = new URL(req.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!req.allowPrivate && isIP(host) && isPrivateAddress(host))
    return Promise.resolve({
      ok: false,
      permanent: true,
      status: null,
      error: `refused: ${host} is a loopback or private address`,
    });
  const t = Math.floor(now.getTime() / 1000);
  const body = Buffer.from(req.body);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: WebhookResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      request.destroy();
      resolve(r);
    };
    const request = client.request(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(req.allowPrivate),
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': 'Herald-Webhooks/1',
        'x-herald-event': opts.event,
        'x-herald-delivery': req.deliveryId,
        'x-herald-signature': signatureHeader(req.secret, t, req.body),
      },
    });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          permanent: false,
          status: null,
          error: `no answer within ${opts.timeoutMs / 1000} s`,
        }),
      opts.timeoutMs,
    );
    request.on('error', (err) =>
      finish({
        ok: false,
        permanent: err instanceof RefusedAddress,
        status: null,
        error:
          err instanceof RefusedAddress
            ? `refused: ${err.message}`
            : String(err.message).slice(0, 300),
      }),
    );
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return finish({ ok: true, status });
      const chunks: Buffer[] = [];
      let size = 0;
      const fail = () => {
        const text = Buffer.concat(chunks)
          .toString('utf8', 0, Math.min(size, 200))
          .replace(/\s+/g, ' ')
          .trim();
        const redirect = status >= 300 && status < 400;
        finish({
          ok: false,
          permanent:
            redirect || (status >= 400 && status < 500 && status !== 408 && status !== 429),
          status,
          error: redirect
            ? `answered ${status} (a redirect${res.headers.location ? ` to ${res.headers.location}` : ''}); Herald follows no redirects: use the final URL`
            : `answered ${status}${text ? `: ${text}` : ''}`,
        });
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= opts.maxBytes) fail();
      });
      res.on('end', fail);
      res.on('error', fail);
    });
    request.end(body);
  });
}

/** Outcomes are written this soon after the receiver's answer, in one group. */
const RECORD_EVERY_MS = 25;

/**
 * The webhook lane. Each webhook's deliveries are one ordered queue: only its head is claimed
 * (see webhook-store.ts), so one receiver gets one delivery at a time in publish order, and a
 * failing receiver holds back its own queue only, retried with backoff; its first success
 * makes the rest due at once. The lane keeps the email outbox's guarantees: a heartbeat extends
 * the lease of what it holds, each outcome is queued in memory the moment the receiver answers
 * and written within milliseconds, a group that cannot be written is retried before anything new
 * is claimed, and a held delivery is never posted twice by this process. `runOnce()` claims,
 * sends and records one round (tests drive it); `sendNow(id)` sends one delivery at once (the
 * admin's "send a test"); `stop()` stops claiming, lets what is in flight answer and records it.
 */
export function createWebhookWorker(deps: WorkerDeps, opts: WebhookWorkerOptions = {}) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxResponseBytes ?? 16 * 1024;
  const batchSize = opts.batchSize ?? 20;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(HEARTBEAT_MS, Math.floor(leaseMs / 4));
  const idleMs = opts.idleMs ?? 250;
  // The head of a queue is also its probe: a receiver that is back is found within seconds.
  const baseBackoffMs = opts.baseBackoffMs ?? 5_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3600_000;
  const random = opts.random ?? Math.random;

  /** Deliveries claimed by this process and not yet recorded: never posted twice from here. */
  const held = new Map<string, ClaimedWebhookDelivery>();
  const unrecorded: WebhookOutcome[] = [];
  const sends = new Set<Promise<void>>();
  let recordFailing = false;
  let flushing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let running = false;
  let pumpDone: Promise<void> = Promise.resolve();
  let heartbeat: NodeJS.Timeout | null = null;
  const { nap, wake } = wakeableNap();

  const condition = laneConditions(deps.log, 'webhooks');

  const retryAt = (now: Date, attempts: number) =>
    nextAttemptAt(now, attempts, { baseMs: baseBackoffMs, maxMs: maxBackoffMs, random });

  function scheduleFlush() {
    if (flushTimer || flushing) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      void flush();
    }, RECORD_EVERY_MS);
  }

  async function tellAdmins(paused: { id: string; url: string }[], group: WebhookOutcome[]) {
    for (const p of paused) {
      const last = group.filter((o) => o.webhookId === p.id).at(-1)?.result;
      deps.log.info(`webhooks: paused ${p.url} after ${PAUSE_AFTER_FAILURES} failures in a row`);
      try {
        const page = await readPageContext(deps.db, deps.config);
        await emailAdmins(
          deps.db,
          deps.config,
          renderWebhookPaused({
            pageName: page.name,
            webhookUrl: p.url,
            failures: PAUSE_AFTER_FAILURES,
            lastError: last && 'error' in last ? last.error : null,
            adminUrl: `${page.url}/admin/webhooks/${p.id}`,
          }),
          deps.clock.now(),
        );
      } catch (err) {
        deps.log.error(`webhooks: could not email the admins that ${p.url} is paused`, {
          error: faultText(err),
        });
      }
    }
  }

  /** Writes what the receivers said, group by group; keeps and retries what does not land. */
  function flush(): Promise<void> {
    if (flushing) return flushing;
    flushing = (async () => {
      let pause = 50;
      while (unrecorded.length) {
        const group = unrecorded.slice(0, 200);
        let paused: { id: string; url: string }[];
        try {
          paused = await recordWebhookOutcomes(deps.db, group, deps.clock.now(), { retryAt });
        } catch (err) {
          recordFailing = true;
          condition(
            'recording',
            faultText(err),
            `could not record outcomes yet, retrying in memory: ${faultText(err)}`,
          );
          await sleep(pause);
          pause = Math.min(2000, pause * 2);
          continue;
        }
        recordFailing = false;
        condition('recording', null);
        pause = 50;
        unrecorded.splice(0, group.length);
        for (const o of group) held.delete(o.id);
        await tellAdmins(paused, group);
        wake();
      }
    })().finally(() => {
      flushing = null;
      if (unrecorded.length) scheduleFlush();
    });
    return flushing;
  }

  async function post(d: ClaimedWebhookDelivery, r: RequestOrNot): Promise<WebhookOutcome> {
    if (r && 'unreadable' in r)
      return {
        id: d.id,
        webhookId: d.webhook_id,
        attempts: d.attempts,
        result: { ok: false, permanent: true, status: null, error: r.unreadable },
      };
    if (!r)
      return {
        id: d.id,
        webhookId: null,
        attempts: d.attempts,
        result: {
          skipped: true,
          error: 'the webhook is gone, or the incident is no longer public',
        },
      };
    const result = await postWebhook(r, deps.clock.now(), { timeoutMs, maxBytes, event: d.event });
    return { id: d.id, webhookId: r.webhookId, attempts: d.attempts, result };
  }

  /** Claims (heads of webhook queues, or the one delivery asked for) and starts posting them. */
  async function claimAndPost(onlyId?: string): Promise<Promise<WebhookOutcome>[]> {
    const now = deps.clock.now();
    const room = Math.max(0, batchSize - held.size);
    if (!onlyId && room === 0) return [];
    const claimed = (
      onlyId
        ? await claimWebhookDelivery(deps.db, now, onlyId, leaseMs)
        : await claimWebhookHeads(deps.db, now, room, leaseMs)
    ).filter((d) => !held.has(d.id));
    if (claimed.length === 0) return [];
    for (const d of claimed) held.set(d.id, d);
    let requests: Awaited<ReturnType<typeof readWebhookRequests>>;
    try {
      requests = await readWebhookRequests(deps.db, deps.config, claimed, now);
    } catch (err) {
      // Nothing was posted: hand the rows back now rather than after their lease.
      for (const d of claimed)
        unrecorded.push({
          id: d.id,
          webhookId: null,
          attempts: d.attempts,
          result: { released: true },
        });
      scheduleFlush();
      throw err;
    }
    return claimed.map((d) => {
      const outcome = post(d, requests.get(d.id) ?? null).then((o) => {
        if ('ok' in o.result && !o.result.ok && !o.result.permanent)
          deps.log.debug(`webhooks: ${o.id} failed for now: ${o.result.error}`);
        unrecorded.push(o);
        scheduleFlush();
        return o;
      });
      const done = outcome.then(() => undefined);
      sends.add(done);
      void done.finally(() => sends.delete(done));
      return outcome;
    });
  }

  /** Waits for every post in flight and its record; at `deadline`, returns what is left. */
  async function settle(deadline = Infinity): Promise<number> {
    while (sends.size) await Promise.all([...sends]);
    if (flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    while ((unrecorded.length || flushing) && Date.now() < deadline)
      await Promise.race([flush(), sleep(Math.max(0, Math.min(1000, deadline - Date.now())))]);
    return unrecorded.length;
  }

  let beating = false;
  async function beat() {
    if (beating) return;
    beating = true;
    try {
      await extendWebhookLeases(
        deps.db,
        [...held.keys()],
        new Date(deps.clock.now().getTime() + leaseMs),
      );
      condition('heartbeat', null);
    } catch (err) {
      condition('heartbeat', faultText(err), `could not extend leases: ${faultText(err)}`);
    } finally {
      beating = false;
    }
  }

  async function pump() {
    let pause = 200;
    while (running) {
      // A failed recording is retried before anything new is claimed.
      if (recordFailing || held.size >= batchSize) {
        await nap(idleMs);
        continue;
      }
      let n = 0;
      try {
        if (await anyWebhookDue(deps.db, deps.clock.now())) n = (await claimAndPost()).length;
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
    /** Deliveries this process holds now (claimed, not yet recorded). */
    inFlight: () => held.size,
    /**
     * Sends everything due now, round by round (one delivery per webhook a round, in order),
     * recording each round before the next; returns how many deliveries it handled.
     */
    async runOnce(): Promise<number> {
      let total = 0;
      while (await anyWebhookDue(deps.db, deps.clock.now())) {
        const n = (await claimAndPost()).length;
        await settle();
        if (n === 0) break;
        total += n;
      }
      return total;
    },
    /** Sends one pending delivery now and returns what the receiver said. */
    async sendNow(deliveryId: string): Promise<WebhookResult | null> {
      const [outcome] = await claimAndPost(deliveryId);
      if (!outcome) return null;
      const o = await outcome;
      await settle();
      return o.result;
    },
    start() {
      if (running) return;
      running = true;
      heartbeat = setInterval(() => void beat(), heartbeatMs);
      pumpDone = pump();
    },
    /**
     * Stops claiming, lets every post in flight answer (bounded by the timeout) and records it,
     * retrying the record for up to `recordWaitMs`. A webhook's delivery is posted as soon as it
     * is claimed, so nothing is left to hand back.
     */
    async stop(recordWaitMs = 30_000): Promise<StopReport> {
      running = false;
      wake();
      await pumpDone;
      const finished = held.size;
      const left = await settle(Date.now() + recordWaitMs);
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      return { handedBack: 0, finished, unrecorded: left };
    },
  };
}

type RequestOrNot = WebhookRequest | { unreadable: string } | null;

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
