import { and, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { z } from 'zod';
import {
  components,
  webhookDeliveries,
  webhookEvents,
  webhookKinds,
  webhooks,
} from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { linkKey } from '../subscribers/tokens.ts';
import { assertWebhookUrl } from './address-policy.ts';
import { newSigningSecret, sealSecret } from './secret-box.ts';
import { releaseQueue } from './webhook-store.ts';
import { endSignup } from './signup-ends.ts';
import { visitorOwned, webhookName } from './webhook-identity.ts';
import { inJsonList } from '../shared/in-list.ts';
import { idInput } from '../shared/inputs.ts';

// A chat channel starts with incidents and the maintenance switch, which the team must hear of.
const incidentEvents = [
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'maintenance.switch',
] as const;

export const createWebhookInput = z
  .object({
    url: z.string().trim().min(1, 'is required').max(2000, 'must be at most 2,000 characters'),
    kind: z.enum(webhookKinds).default('webhook'),
    componentIds: z.array(z.string().min(1)).max(200).default([]),
    /** Default: every event for a webhook; incident events for a chat channel. */
    events: z.array(z.enum(webhookEvents)).min(1, 'choose at least one event').optional(),
    priorities: z
      .array(z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]))
      .min(1, 'choose at least one priority')
      .default([0, 1]),
    internal: z.boolean().default(false),
    isDrill: z.boolean().default(false),
    /** Lets the URL reach loopback or private addresses; for receivers inside the network. */
    allowPrivate: z.boolean().default(false),
  })
  .strict();
export type CreateWebhookInput = z.input<typeof createWebhookInput>;

export interface WebhookView {
  id: string;
  kind: (typeof webhookKinds)[number];
  url: string;
  componentIds: string[];
  events: string[];
  priorities: number[];
  internal: boolean;
  isDrill: boolean;
  allowPrivate: boolean;
  /** Set for a visitor following one incident. */
  incidentId: string | null;
  state: 'active' | 'paused';
  consecutiveFailures: number;
  pausedAt: string | null;
  createdAt: string;
}

type Row = typeof webhooks.$inferSelect;
function view(r: Row): WebhookView {
  return {
    id: r.id,
    kind: r.kind,
    url: r.url,
    componentIds: r.componentIds ?? [],
    events: r.events,
    priorities: r.priorities.split(',').filter(Boolean).map(Number),
    internal: r.internal,
    isDrill: r.isDrill,
    allowPrivate: r.allowPrivate,
    incidentId: r.incidentId,
    state: r.state,
    consecutiveFailures: r.consecutiveFailures,
    pausedAt: r.pausedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Adds a webhook or chat channel; the signing secret is returned here once and never again. */
export const createWebhook = verb(createWebhookInput, createWebhookParsed);
async function createWebhookParsed(
  deps: DomainDeps,
  input: Parsed<typeof createWebhookInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const url = await assertWebhookUrl(
    input.url,
    input.allowPrivate || deps.config.webhookAllowPrivate,
    '; only an admin can allow that for a webhook',
  );
  const events =
    input.events ?? (input.kind === 'webhook' ? [...webhookEvents] : [...incidentEvents]);
  const now = deps.clock.now();
  const secret = newSigningSecret();
  const master = await linkKey(deps.db, deps.config);
  const row = await deps.db.transaction(async (tx) => {
    if (input.componentIds.length) {
      const found = await tx
        .select({ id: components.id })
        .from(components)
        .where(inJsonList(components.id, input.componentIds));
      const missing = input.componentIds.find((id) => !found.some((f) => f.id === id));
      if (missing)
        throw new ValidationError(`No component with id ${missing}.`, {
          componentIds: `no component with id ${missing}`,
        });
    }
    const r: Row = {
      id: newId(),
      kind: input.kind,
      url: url.toString(),
      componentIds: input.componentIds.length ? [...new Set(input.componentIds)] : null,
      events: [...new Set(events)],
      priorities: [...new Set(input.priorities)].sort().join(','),
      internal: input.internal,
      isDrill: input.isDrill,
      allowPrivate: input.allowPrivate,
      secretBox: sealSecret(master, secret),
      incidentId: null,
      state: 'active',
      consecutiveFailures: 0,
      pausedAt: null,
      createdAt: now,
    };
    await tx.insert(webhooks).values(r);
    const { secretBox: _s, ...audited } = r;
    await recordAudit(tx, actor, now, {
      action: 'webhook.create',
      objectType: 'webhook',
      objectId: r.id,
      after: audited,
    });
    return r;
  });
  return { webhook: view(row), secret };
}

export async function listWebhooks(deps: DomainDeps): Promise<WebhookView[]> {
  const rows = await deps.db.select().from(webhooks).orderBy(desc(webhooks.createdAt));
  return rows.map(view);
}

export interface WebhookDeliveryView {
  id: string;
  event: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  nextAttemptAt: string;
}

/** One webhook with its 50 most recent deliveries. */
export async function readWebhook(deps: DomainDeps, id: string) {
  const [row] = await deps.db.select().from(webhooks).where(eq(webhooks.id, id));
  if (!row) throw new NotFoundError('webhook', id);
  const recent = await deps.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, id))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(50);
  return {
    webhook: view(row),
    /** Deliveries waiting (pending or being sent): what a resume sends, or a drop discards. */
    queued: await queued(deps.db, id),
    deliveries: recent.map((d): WebhookDeliveryView => ({
      id: d.id,
      event: d.event,
      state: d.state,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      sentAt: d.sentAt?.toISOString() ?? null,
      nextAttemptAt: d.nextAttemptAt.toISOString(),
    })),
  };
}

/** A webhook or chat channel that is not getting updates, for the dashboard (any staff). */
export interface HeldWebhook {
  id: string;
  /** `webhookName`: its kind and host, never its URL (responders see this too). */
  name: string;
  paused: boolean;
  failures: number;
  queued: number;
  /** When the oldest delivery still waiting was queued. */
  waitingSince: string | null;
  /** The receiver's last answer (or why nothing answered) to the delivery at the head. */
  lastError: string | null;
}

/**
 * The team's webhooks and chat channels whose receiver keeps failing: paused ones, and active
 * ones whose oldest waiting delivery has failed and has waited `heldMs` or more. During an
 * incident the team's channel may be the one that does not hear of it; the dashboard says which.
 * Visitors' webhooks (a follower of one incident, a public sign-up) are theirs to fix, through
 * their manage link: they are left out.
 */
export async function readHeldWebhooks(deps: DomainDeps, heldMs = 60_000): Promise<HeldWebhook[]> {
  const cutoff = deps.clock.now().getTime() - heldMs;
  const rows = await deps.db.all<{
    id: string;
    kind: (typeof webhookKinds)[number];
    url: string;
    state: string;
    failures: number;
    queued: number;
    since: number | null;
    lastError: string | null;
  }>(sql`
    SELECT w.id, w.kind, w.url, w.state, w.consecutive_failures AS failures,
           (SELECT count(*) FROM webhook_deliveries d
             WHERE d.webhook_id = w.id AND d.state IN ('pending', 'sending')) AS queued,
           (SELECT min(d.created_at) FROM webhook_deliveries d
             WHERE d.webhook_id = w.id AND d.state IN ('pending', 'sending')) AS since,
           (SELECT d.last_error FROM webhook_deliveries d
             WHERE d.webhook_id = w.id AND d.state IN ('pending', 'sending') AND d.attempts > 0
             ORDER BY d.created_at, d.rowid LIMIT 1) AS lastError
    FROM webhooks w
    WHERE (w.state = 'paused' OR w.consecutive_failures > 0)
      AND NOT ${visitorOwned}
    ORDER BY w.created_at`);
  return rows
    .filter((r) => r.state === 'paused' || (r.since !== null && Number(r.since) <= cutoff))
    .map((r) => ({
      id: r.id,
      name: webhookName(r.kind, r.url),
      paused: r.state === 'paused',
      failures: Number(r.failures),
      queued: Number(r.queued),
      waitingSince: r.since === null ? null : new Date(Number(r.since)).toISOString(),
      lastError: r.lastError,
    }));
}

export async function deleteWebhook(deps: DomainDeps, id: string, actor: Actor) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhooks).where(eq(webhooks.id, id));
    if (!row) throw new NotFoundError('webhook', id);
    await endSignup(tx, id, 'team', now);
    await tx.delete(webhooks).where(eq(webhooks.id, id));
    await recordAudit(tx, actor, now, {
      action: 'webhook.delete',
      objectType: 'webhook',
      objectId: id,
      before: { url: row.url, kind: row.kind },
    });
  });
}

export const changeWebhookUrlInput = z.strictObject({
  webhookId: idInput,
  url: createWebhookInput.shape.url,
  /** Left out: the webhook keeps its setting. */
  allowPrivate: z.boolean().optional(),
});
export type ChangeWebhookUrlInput = z.input<typeof changeWebhookUrlInput>;

/**
 * Points a webhook at another URL and keeps everything else: its secret, its settings and its
 * queue. A receiver that moved or refuses the old address holds the queue (webhook-channel.ts,
 * `refusesEndpoint`); after the change the queue is due at once and goes to the new URL in
 * publish order, and a paused webhook is active again. Audited with both URLs.
 */
export const changeWebhookUrl = verb(changeWebhookUrlInput, changeWebhookUrlParsed);
async function changeWebhookUrlParsed(
  deps: DomainDeps,
  input: Parsed<typeof changeWebhookUrlInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const [current] = await deps.db.select().from(webhooks).where(eq(webhooks.id, input.webhookId));
  if (!current) throw new NotFoundError('webhook', input.webhookId);
  const allowPrivate = input.allowPrivate ?? current.allowPrivate;
  const url = await assertWebhookUrl(
    input.url,
    allowPrivate || deps.config.webhookAllowPrivate,
    '; only an admin can allow that for a webhook',
  );
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(webhooks).where(eq(webhooks.id, input.webhookId));
    if (!before) throw new NotFoundError('webhook', input.webhookId);
    const [after] = await tx
      .update(webhooks)
      .set({
        url: url.toString(),
        allowPrivate,
        state: 'active',
        pausedAt: null,
        consecutiveFailures: 0,
      })
      .where(eq(webhooks.id, before.id))
      .returning();
    await releaseQueue(tx, before.id, now);
    const waiting = await queued(tx, before.id);
    await recordAudit(tx, actor, now, {
      action: 'webhook.change_url',
      objectType: 'webhook',
      objectId: before.id,
      before: { url: before.url, allowPrivate: before.allowPrivate, state: before.state },
      after: { url: after!.url, allowPrivate: after!.allowPrivate, queued: waiting },
    });
    return { webhook: view(after!), queued: waiting };
  });
}

/** Queues a test delivery, which the caller sends at once (a paused webhook resumes if it gets through). */
export async function queueTestDelivery(
  deps: DomainDeps,
  id: string,
  actor: Actor,
): Promise<string> {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhooks).where(eq(webhooks.id, id));
    if (!row) throw new NotFoundError('webhook', id);
    const deliveryId = newId();
    await tx.insert(webhookDeliveries).values({
      id: deliveryId,
      webhookId: id,
      event: 'test',
      ref: {},
      state: 'pending',
      attempts: 0,
      // Sent by the caller at once, not by the lane; the lane takes it only if that fails.
      nextAttemptAt: new Date(now.getTime() + 60_000),
      createdAt: now,
    });
    // A paused webhook stays paused until the test gets through: its success resumes it and
    // sends what waits (recordWebhookOutcomes), a failure leaves it as it was.
    await recordAudit(tx, actor, now, {
      action: 'webhook.test',
      objectType: 'webhook',
      objectId: id,
    });
    return deliveryId;
  });
}

/** How many deliveries wait for one webhook (pending, or being sent). */
async function queued(tx: DbOrTx, id: string): Promise<number> {
  const [r] = await tx
    .select({ n: sql<number>`count(*)` })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.webhookId, id),
        sql`${webhookDeliveries.state} IN ('pending', 'sending')`,
      ),
    );
  return Number(r?.n ?? 0);
}

/**
 * Resumes a paused webhook: its whole queue is due at once and goes out in publish order, each
 * event carrying its original time.
 */
export async function resumeWebhook(deps: DomainDeps, id: string, actor: Actor) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhooks).where(eq(webhooks.id, id));
    if (!row) throw new NotFoundError('webhook', id);
    if (row.state !== 'paused') throw new ConflictError('This webhook is not paused.');
    await tx
      .update(webhooks)
      .set({ state: 'active', pausedAt: null, consecutiveFailures: 0 })
      .where(eq(webhooks.id, id));
    await releaseQueue(tx, id, now);
    const waiting = await queued(tx, id);
    await recordAudit(tx, actor, now, {
      action: 'webhook.resume',
      objectType: 'webhook',
      objectId: id,
      after: { queued: waiting },
    });
    return { queued: waiting };
  });
}

/**
 * Drops the queue of a paused webhook: every delivery still waiting is marked skipped, for good,
 * the head being probed right now too (what the probe then records changes nothing; the receiver
 * may still get that one). Only while paused, so a queue that is being sent is never cut in the
 * middle.
 */
export async function dropWebhookQueue(deps: DomainDeps, id: string, actor: Actor) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhooks).where(eq(webhooks.id, id));
    if (!row) throw new NotFoundError('webhook', id);
    if (row.state !== 'paused')
      throw new ConflictError("Only a paused webhook's queue can be dropped: pause comes first.");
    const dropped = await tx
      .update(webhookDeliveries)
      .set({ state: 'skipped', leaseUntil: null, lastError: 'dropped by an admin' })
      .where(
        and(
          eq(webhookDeliveries.webhookId, id),
          sql`${webhookDeliveries.state} IN ('pending', 'sending')`,
        ),
      )
      .returning({ id: webhookDeliveries.id });
    await recordAudit(tx, actor, now, {
      action: 'webhook.drop_queue',
      objectType: 'webhook',
      objectId: id,
      before: { queued: dropped.length },
    });
    return { dropped: dropped.length };
  });
}
