import { desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  components,
  incidents,
  webhookDeliveries,
  webhookEvents,
  webhooks,
  webhookSignups,
} from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import {
  ConflictError,
  ForbiddenError,
  LinkNotValidError,
  ValidationError,
} from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { readComponents, readPage, readUnresolvedIncidents } from '../status/read-status.ts';
import { PUBLIC_SCOPE } from '../status/incident-scope.ts';
import { rollUp } from '../status/statuspage-json.ts';
import { idList, tokenInput } from '../subscribers/inputs.ts';
import { publicActor } from '../subscribers/public-actor.ts';
import { checkComponentIds } from '../subscribers/subscriber-reads.ts';
import { hashToken, linkKey, webhookManageToken } from '../subscribers/tokens.ts';
import { assertWebhookUrl } from './address-policy.ts';
import { VISITOR_WEBHOOK_PAUSED_DAYS } from './expire-visitor-webhooks.ts';
import { newSigningSecret, sealSecret } from './secret-box.ts';
import { manageLinkRow } from './webhook-identity.ts';
import { endSignup, readSignupEnd, type SignupEnd } from './signup-ends.ts';
import type { WebhookRequest } from './webhook-send-context.ts';
import type { WebhookResult } from './webhook-store.ts';

/** Webhooks visitors may add in all: a public form must not turn Herald into a mass sender. */
export const MAX_PUBLIC_WEBHOOKS = 1000;

const NOT_OPEN = 'Webhook sign-up is not open on this status page. Ask its admins for a webhook.';
const NOT_VALID =
  'This manage link is not valid: the webhook may have been removed already. Use the link from the page that showed its secret.';
const ENDED: Record<SignupEnd, string> = {
  visitor: 'This webhook was removed through its manage link, so it gets nothing more.',
  team: 'The team of this status page removed this webhook, so it gets nothing more.',
  expired: `Herald removed this webhook: its receiver had accepted no delivery for ${VISITOR_WEBHOOK_PAUSED_DAYS} days.`,
};
const AGAIN = 'To get updates again, add the webhook again on the subscribe page.';
const FOLLOW_AGAIN = 'To get updates again, follow the incident again from its page.';

export const publicWebhookInput = z.strictObject({
  url: z.string().trim().min(1, 'is required').max(2000, 'must be at most 2,000 characters'),
  /** Empty means every component. */
  componentIds: idList.optional(),
  // Strings in, known events out: a form's values need no cast before they get here.
  events: z
    .array(z.string().pipe(z.enum(webhookEvents, { error: 'is not an event Herald sends' })))
    .min(1, 'choose at least one event'),
});
export type PublicWebhookInput = z.input<typeof publicWebhookInput>;

/** How a receiver answered, as a visitor may be told it: the status class, nothing it said. */
export function answerClass(status: number | null | undefined): string {
  return status ? `the receiver answered with a ${Math.floor(status / 100)}xx status` : 'no answer';
}

/** POSTs one test request and says how the receiver answered (the web layer's sender). */
export type DeliverTest = (req: WebhookRequest) => Promise<WebhookResult>;

/**
 * A visitor adds a webhook from /subscribe, where the admins opened it (PUBLIC_WEBHOOK_SIGNUP).
 * The URL must be http(s) and, whatever an admin may allow for their own webhooks, never a
 * loopback or private address (only WEBHOOK_ALLOW_PRIVATE, for a whole Herald inside a trusted
 * network, lifts that). A signed test delivery must answer 2xx before anything is saved, so a
 * typo never becomes a webhook that fails forever. Returns the signing secret and the token of
 * the manage link, both shown once.
 */
export async function signUpPublicWebhook(
  deps: DomainDeps,
  raw: PublicWebhookInput,
  deliver: DeliverTest,
): Promise<{ webhookId: string; secret: string; manageToken: string; testStatus: number }> {
  if (!deps.config.publicWebhookSignup) throw new ForbiddenError(NOT_OPEN);
  const input = parseInput(publicWebhookInput, raw);
  const url = await assertWebhookUrl(input.url, deps.config.webhookAllowPrivate);
  const componentIds = await checkComponentIds(deps.db, input.componentIds);
  const webhookId = newId();
  const secret = newSigningSecret();
  const now = deps.clock.now();
  const master = await linkKey(deps.db, deps.config);
  const manageToken = webhookManageToken(master, webhookId);

  const result = await deliver({
    deliveryId: `test-${webhookId}`,
    webhookId,
    url: url.toString(),
    allowPrivate: deps.config.webhookAllowPrivate,
    secret,
    body: JSON.stringify(await testEnvelope(deps, manageToken, now)),
  });
  if (!('ok' in result) || !result.ok) {
    // The visitor learns only the status class: the receiver's own words (or its error text)
    // would make this form an HTTP probe that reads back what any URL answers.
    const status = 'status' in result ? result.status : null;
    const why = answerClass(status);
    throw new ValidationError(
      `The test delivery was not accepted (${why}). Herald saves a webhook only once its URL answers a test with 2xx.`,
      { url: `the test delivery was not accepted (${why})` },
      {
        url: {
          key: 'hook.testRefused',
          values: { answer: status ? String(Math.floor(status / 100)) : 'none' },
        },
      },
    );
  }

  await deps.db.transaction(async (tx) => {
    // Followers of one incident have their own limit (per incident, follow-incident.ts).
    const [{ n } = { n: 0 }] = await tx
      .select({ n: sql<number>`count(*)` })
      .from(webhookSignups)
      .innerJoin(webhooks, eq(webhooks.id, webhookSignups.webhookId))
      .where(isNull(webhooks.incidentId));
    if (Number(n) >= MAX_PUBLIC_WEBHOOKS)
      throw new ConflictError(
        'This status page takes no more webhooks from visitors; follow the RSS feed instead.',
      ).saying('hook.full');
    await tx.insert(webhooks).values({
      id: webhookId,
      kind: 'webhook',
      url: url.toString(),
      componentIds,
      events: [...new Set(input.events)],
      // The same rule as the public email lists: P0 and P1 are broadcast.
      priorities: '0,1',
      internal: false,
      isDrill: false,
      allowPrivate: false,
      secretBox: sealSecret(master, secret),
      incidentId: null,
      state: 'active',
      consecutiveFailures: 0,
      pausedAt: null,
      createdAt: now,
    });
    await tx.insert(webhookSignups).values(manageLinkRow(master, webhookId, now));
    await recordAudit(tx, publicActor, now, {
      action: 'webhook.public_signup',
      objectType: 'webhook',
      objectId: webhookId,
      after: { url: url.toString(), componentIds, events: input.events },
    });
  });
  return { webhookId, secret, manageToken, testStatus: result.status };
}

/** The body of the test: the Statuspage envelope's `meta` and `page`, and `test` for the event. */
async function testEnvelope(deps: DomainDeps, manageToken: string, now: Date) {
  const page = await readPage(deps.db, deps.config.publicUrl);
  const all = await readComponents(deps.db, page);
  const status = rollUp(all, await readUnresolvedIncidents(deps.db, page, all, PUBLIC_SCOPE));
  return {
    meta: {
      unsubscribe: `${page.url}/manage/webhook/${manageToken}`,
      documentation: `${page.url}/api/admin/openapi.json`,
    },
    page: {
      id: page.id,
      status_indicator: status.indicator,
      status_description: status.description,
    },
    test: { created_at: now.toISOString() },
  };
}

async function bySignupToken(deps: DomainDeps, raw: { token: string }) {
  const { token } = parseInput(z.object({ token: tokenInput }), raw);
  const hash = hashToken(token);
  const [row] = await deps.db
    .select({ w: webhooks })
    .from(webhookSignups)
    .innerJoin(webhooks, eq(webhooks.id, webhookSignups.webhookId))
    .where(eq(webhookSignups.manageTokenHash, hash));
  if (row) return row.w;
  // A link to a webhook that is gone says who removed it, so its owner knows what to do: add it
  // again on /subscribe, or follow the incident again from its page (`incidentId` for the link).
  const ended = await readSignupEnd(deps.db, hash);
  if (!ended) throw new LinkNotValidError(NOT_VALID).saying('hookManage.notValid');
  const values = { by: ended.reason, days: VISITOR_WEBHOOK_PAUSED_DAYS };
  if (ended.incidentId)
    throw new LinkNotValidError(`${ENDED[ended.reason]} ${FOLLOW_AGAIN}`).saying(
      'hookManage.followEnded',
      { ...values, incidentId: ended.incidentId },
    );
  throw new LinkNotValidError(`${ENDED[ended.reason]} ${AGAIN}`).saying('hookManage.ended', values);
}

/**
 * The manage page of a visitor's webhook: what it receives (for a follower, the incident it
 * follows) and how its last deliveries went.
 */
export async function readPublicWebhook(deps: DomainDeps, raw: { token: string }) {
  const w = await bySignupToken(deps, raw);
  const [followed] = w.incidentId
    ? await deps.db
        .select({ id: incidents.id, title: incidents.title, status: incidents.status })
        .from(incidents)
        .where(eq(incidents.id, w.incidentId))
    : [];
  const names = new Map(
    (await deps.db.select({ id: components.id, name: components.name }).from(components)).map(
      (c) => [c.id, c.name],
    ),
  );
  const recent = await deps.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, w.id))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(10);
  return {
    url: w.url,
    state: w.state,
    events: w.events,
    incident: followed ?? null,
    components: w.componentIds?.length
      ? w.componentIds.map((id) => names.get(id) ?? '(removed component)')
      : null,
    createdAt: w.createdAt.toISOString(),
    // The visitor's view of a delivery: its state and the status class, never the receiver's
    // answer or the error text (those stay on the admins' webhook page).
    deliveries: recent.map((d) => ({
      event: d.event,
      state: d.state,
      lastStatus: d.lastStatus === null ? null : `${Math.floor(d.lastStatus / 100)}xx`,
      lastError: d.lastError ? answerClass(d.lastStatus) : null,
      createdAt: d.createdAt.toISOString(),
    })),
  };
}

/** Removes a visitor's webhook through its manage link; its queued deliveries go with it. */
export async function removePublicWebhook(deps: DomainDeps, raw: { token: string }) {
  const w = await bySignupToken(deps, raw);
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await endSignup(tx, w.id, 'visitor', now);
    await tx.delete(webhooks).where(eq(webhooks.id, w.id));
    await recordAudit(tx, publicActor, now, {
      action: 'webhook.public_remove',
      objectType: 'webhook',
      objectId: w.id,
      before: { url: w.url },
    });
  });
  return { url: w.url };
}
