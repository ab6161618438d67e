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
  readWebhookRequests,
  type WebhookRequest,
} from '../domain/webhooks/webhook-send-context.ts';
import {
  anyWebhookDue,
  claimWebhookDeliveries,
  emailAdmins,
  PAUSE_AFTER_FAILURES,
  recordWebhookOutcomes,
  type WebhookOutcome,
  type WebhookResult,
} from '../domain/webhooks/webhook-store.ts';
import { renderWebhookPaused } from '../../emails/webhook-paused.ts';

export interface WebhookWorkerOptions {
  /** Whole-request limit: connect, send, and the answer's status line and first bytes. */
  timeoutMs?: number;
  /** Bytes of the answer read at most (kept for the delivery's error text). */
  maxResponseBytes?: number;
  batchSize?: number;
  leaseMs?: number;
  idleMs?: number;
  maxAttempts?: number;
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

/**
 * The webhook lane, beside the email outbox: claims due webhook deliveries under a lease,
 * renders and POSTs them (a batch in parallel, so one slow receiver costs the batch at most the
 * timeout), records each outcome, pauses a webhook after 20 failures in a row and emails the
 * admins. `runOnce()` does one round (tests drive it); `sendNow(id)` sends one delivery at once
 * (the admin's "send a test").
 */
export function createWebhookWorker(deps: WorkerDeps, opts: WebhookWorkerOptions = {}) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxResponseBytes ?? 16 * 1024;
  const batchSize = opts.batchSize ?? 20;
  // Longer than any send can take, so a live worker's claim never runs out under it.
  const leaseMs = Math.max(opts.leaseMs ?? 60_000, timeoutMs * 3);
  const idleMs = opts.idleMs ?? 250;
  const maxAttempts = opts.maxAttempts ?? 10;
  const baseBackoffMs = opts.baseBackoffMs ?? 30_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3600_000;
  const random = opts.random ?? Math.random;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  const retryAt = (now: Date, attempts: number) =>
    nextAttemptAt(now, attempts, { baseMs: baseBackoffMs, maxMs: maxBackoffMs, random });

  async function deliver(onlyId?: string): Promise<WebhookOutcome[]> {
    const now = deps.clock.now();
    const claimed = await claimWebhookDeliveries(deps.db, now, batchSize, leaseMs, onlyId);
    if (claimed.length === 0) return [];
    const requests = await readWebhookRequests(deps.db, deps.config, claimed, now);
    const outcomes = await Promise.all(
      claimed.map(async (d): Promise<WebhookOutcome> => {
        const r = requests.get(d.id);
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
              error: 'the webhook is paused or gone, or the incident is no longer public',
            },
          };
        const result = await postWebhook(r, deps.clock.now(), {
          timeoutMs,
          maxBytes,
          event: d.event,
        });
        return { id: d.id, webhookId: r.webhookId, attempts: d.attempts, result };
      }),
    );
    const paused = await recordWebhookOutcomes(deps.db, outcomes, deps.clock.now(), {
      maxAttempts,
      retryAt,
    });
    for (const p of paused) {
      const last = outcomes.find((o) => o.webhookId === p.id)?.result;
      const page = await readPageContext(deps.db, deps.config);
      deps.log.info(`webhooks: paused ${p.url} after ${PAUSE_AFTER_FAILURES} failures in a row`);
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
    }
    return outcomes;
  }

  return {
    /** One round: claims and sends one batch. Returns how many deliveries it handled. */
    async runOnce(): Promise<number> {
      if (!(await anyWebhookDue(deps.db, deps.clock.now()))) return 0;
      return (await deliver()).length;
    },
    /** Sends one pending delivery now and returns what the receiver said. */
    async sendNow(deliveryId: string): Promise<WebhookResult | null> {
      return (await deliver(deliveryId))[0]?.result ?? null;
    },
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          let n = 0;
          try {
            n = await this.runOnce();
          } catch (err) {
            deps.log.error('webhooks: round failed', { error: String(err) });
          }
          if (n === 0 && running)
            await new Promise<void>((r) => {
              const t = setTimeout(r, idleMs);
              wake = () => {
                clearTimeout(t);
                r();
              };
            });
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
