import { retryAt as nextAttemptAt } from '../jobs/backoff.ts';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Deps } from '../deps.ts';
import { readPageContext } from '../domain/broadcasts/send-context.ts';
import { isPrivateAddress } from '../domain/webhooks/address-policy.ts';
import { createHmac } from 'node:crypto';
import {
  type ClaimedWebhookDelivery,
  readWebhookMessages,
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
  type PausedWebhook,
  type WebhookOutcome,
  type WebhookResult,
} from '../domain/webhooks/webhook-store.ts';
import { HEARTBEAT_MS, LEASE_MS } from '../domain/broadcasts/outbox-store.ts';
import { faultText } from '../jobs/condition-log.ts';
import { createLane, type LaneChannel } from './lane.ts';
import { webhookEventKinds } from './kinds/webhook-events.ts';
import { renderWebhookPaused } from '../../emails/webhook-paused.ts';
import { webhookName } from '../domain/webhooks/webhook-identity.ts';
import { newLeaseOwner } from '../domain/shared/lease.ts';

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

/** `X-Herald-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

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
 * A redirect, 401, 403, 404, 405 or 410, or an address the policy refuses: the receiver (or the
 * network) turns away the webhook itself, typically a rotated token or a moved or deleted
 * endpoint. Failing one delivery after another for good would lose every event until someone
 * noticed; held, the queue waits (paused after 20 failures in a row, the admins told) and goes
 * out in order once the webhook's URL or the receiver is fixed.
 */
const ENDPOINT_REFUSALS = new Set([401, 403, 404, 405, 410]);
const refusesEndpoint = (status: number) =>
  (status >= 300 && status < 400) || ENDPOINT_REFUSALS.has(status);
const HELD =
  "every delivery would meet this, so the queue waits: check the receiver, or change the webhook's URL on its admin page, and it goes out in order once the receiver answers 2xx";

/**
 * One POST: no redirects followed (3xx is a failure), the whole exchange bounded by the
 * timeout, at most `maxBytes` of the answer read. 2xx is success. A 4xx about this one request
 * (400, 409, 413, 422...) is permanent for it. Everything else is worth retrying, the queue
 * behind it waiting: 408, 429, 5xx, timeouts and network errors, and the answers that refuse the
 * endpoint rather than the event (`refusesEndpoint`), which every later delivery would meet too.
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
      permanent: false,
      status: null,
      error: `refused: ${host} is a loopback or private address; ${HELD}`,
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
        permanent: false,
        status: null,
        error:
          err instanceof RefusedAddress
            ? `refused: ${err.message}; ${HELD}`
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
        const held = refusesEndpoint(status);
        finish({
          ok: false,
          permanent: !held && status >= 400 && status < 500 && status !== 408 && status !== 429,
          status,
          error: redirect
            ? `answered ${status} (a redirect${res.headers.location ? ` to ${res.headers.location}` : ''}); Herald follows no redirects: use the final URL; ${HELD}`
            : `answered ${status}${text ? `: ${text}` : ''}${held ? `; ${HELD}` : ''}`,
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

type WebhookRow = ClaimedWebhookDelivery & { key: string };
type RequestOrNot = WebhookRequest | { unreadable: string } | null;

/**
 * The webhook and chat channel on the delivery lane (server/delivery/lane.ts). Each webhook's
 * deliveries are one ordered queue: only its head is claimed (see webhook-store.ts), so one
 * receiver gets one delivery at a time in publish order, and a failing receiver holds back its
 * own queue only, retried with backoff; its first success makes the rest due at once. The lane
 * brings the lease, the heartbeat, outcomes recorded within milliseconds and retried in memory,
 * and the graceful stop. `sendNow(id)` sends one delivery at once (the admin's "send a test").
 */
export function createWebhookWorker(deps: WorkerDeps, opts: WebhookWorkerOptions = {}) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxResponseBytes ?? 16 * 1024;
  const batchSize = opts.batchSize ?? 20;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  // The head of a queue is also its probe: a receiver that is back is found within seconds.
  const baseBackoffMs = opts.baseBackoffMs ?? 5_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3600_000;
  const random = opts.random ?? Math.random;
  const retryAt = (now: Date, attempts: number) =>
    nextAttemptAt(now, attempts, { baseMs: baseBackoffMs, maxMs: maxBackoffMs, random });

  async function tellAdmins(paused: PausedWebhook[], group: WebhookOutcome[]) {
    for (const p of paused) {
      const last = group.filter((o) => o.webhookId === p.id).at(-1)?.result;
      // The host only: a chat URL is itself a secret, and logs travel further than the admin.
      deps.log.info(
        `webhooks: paused ${p.visitorOwned ? "a visitor's webhook" : 'webhook'} ${p.id} at ${new URL(p.url).host} after ${PAUSE_AFTER_FAILURES} failures in a row`,
      );
      // A visitor's webhook is theirs to fix; up to a thousand of them must not fill the team's
      // inboxes (their queue is kept and probed like any other).
      if (p.visitorOwned) continue;
      try {
        const page = await readPageContext(deps.db, deps.config);
        await emailAdmins(
          deps.db,
          deps.config,
          renderWebhookPaused({
            pageName: page.name,
            channel: `the ${webhookName(p.kind, p.url)}`,
            failures: PAUSE_AFTER_FAILURES,
            lastError: last && 'error' in last ? last.error : null,
            adminUrl: `${page.url}/admin/webhooks/${p.id}`,
          }),
          deps.clock.now(),
        );
      } catch (err) {
        deps.log.error(`webhooks: could not email the admins that webhook ${p.id} is paused`, {
          error: faultText(err),
        });
      }
    }
  }

  const withKey = (rows: ClaimedWebhookDelivery[]): WebhookRow[] =>
    rows.map((d) => ({ ...d, key: d.id }));

  /** This lane's name on the leases it holds: its heartbeat and outcomes touch only those rows. */
  const owner = newLeaseOwner();
  const channel: LaneChannel<WebhookRow, Map<string, RequestOrNot>, WebhookOutcome> = {
    name: 'webhooks',
    anyDue: (now) => anyWebhookDue(deps.db, now),
    claim: async (now, limit, lease) =>
      withKey(await claimWebhookHeads(deps.db, now, limit, { ms: lease, owner })),
    claimOne: async (now, id, lease) =>
      withKey(await claimWebhookDelivery(deps.db, now, id, { ms: lease, owner })),
    async prepare(rows, now) {
      const read = await readWebhookMessages(deps.db, deps.config, rows, now);
      const requests = new Map<string, RequestOrNot>();
      for (const d of rows) {
        const m = read.get(d.id) ?? null;
        const kind = webhookEventKinds[d.event as keyof typeof webhookEventKinds];
        if (m && !('unreadable' in m) && !kind)
          requests.set(d.id, { unreadable: `Herald does not know the event ${d.event}` });
        else requests.set(d.id, m && !('unreadable' in m) ? kind.render(m) : m);
      }
      return requests;
    },
    async send(d, requests, turn) {
      const r = requests.get(d.id) ?? null;
      const outcome = (
        result: WebhookResult,
        webhookId: string | null,
        postedTo?: string,
      ): WebhookOutcome => ({ id: d.id, webhookId, attempts: d.attempts, result, postedTo });
      if (r && 'unreadable' in r)
        return outcome(
          { ok: false, permanent: true, status: null, error: r.unreadable },
          d.webhook_id,
        );
      if (!r)
        return outcome(
          { skipped: true, error: 'the webhook is gone, or the incident is no longer public' },
          null,
        );
      // The lane's last word before anything is posted (a stop, a lease run short).
      if (!turn.mayStart()) return outcome({ released: true }, null);
      const answer = await postWebhook(r, deps.clock.now(), {
        timeoutMs,
        maxBytes,
        event: d.event,
      });
      // An admin's test is answered on the spot: one that failed is not sent again later, after
      // the events queued behind it and long after anyone asked.
      const result: WebhookResult =
        d.event === 'test' && 'ok' in answer && !answer.ok && !answer.permanent
          ? { ...answer, permanent: true, error: `${answer.error} (a test is not sent again)` }
          : answer;
      if ('ok' in result && !result.ok && !result.permanent)
        deps.log.debug(`webhooks: ${d.id} failed for now: ${result.error}`);
      // A test is for the URL it was sent to; an event is for whatever URL the webhook has.
      return outcome(result, r.webhookId, d.event === 'test' ? undefined : r.url);
    },
    released: (d) => ({
      id: d.id,
      webhookId: null,
      attempts: d.attempts,
      result: { released: true },
    }),
    wasHandedBack: (o) => 'released' in o.result,
    keyOf: (o) => o.id,
    async record(group, now) {
      const paused = await recordWebhookOutcomes(deps.db, group, now, { owner, retryAt });
      return paused.length ? () => tellAdmins(paused, group) : undefined;
    },
    extend: (ids, until) => extendWebhookLeases(deps.db, ids, until, owner),
  };

  const lane = createLane(channel, deps.log, deps.clock, {
    leaseMs,
    heartbeatMs: opts.heartbeatMs ?? Math.min(HEARTBEAT_MS, Math.floor(leaseMs / 4)),
    idleMs: opts.idleMs ?? 250,
    // Every claimed head is posted at once: each is a different receiver.
    maxInFlight: batchSize,
    concurrency: batchSize,
  });

  return {
    inFlight: lane.inFlight,
    /**
     * Sends everything due now, round by round (one delivery per webhook a round, in order),
     * recording each round before the next; returns how many deliveries it handled.
     */
    runOnce: lane.runOnce,
    /** Sends one pending delivery now and returns what the receiver said. */
    async sendNow(deliveryId: string): Promise<WebhookResult | null> {
      return (await lane.sendNow(deliveryId))?.result ?? null;
    },
    start: lane.start,
    /** Looks for due deliveries now (something was just queued) instead of at the next poll. */
    wake: lane.wake,
    /**
     * Stops claiming, lets every post in flight answer (bounded by the timeout) and records it.
     * A webhook's delivery is posted as soon as it is claimed, so nothing is left to hand back.
     */
    stop: lane.stop,
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
