import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import type { Config } from '../../config.ts';
import { webhooks, webhookSignups } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { loadFollowableIncident } from '../subscribers/incident-follows.ts';
import { publicActor } from '../subscribers/public-actor.ts';
import { linkKey, webhookManageToken } from '../subscribers/tokens.ts';
import { assertWebhookUrl } from './address-policy.ts';
import { newSigningSecret, sealSecret } from './secret-box.ts';
import { manageLinkRow } from './webhook-identity.ts';

/** Followers one incident may have: a public form must not turn Herald into a mass sender. */
export const MAX_FOLLOWERS_PER_INCIDENT = 200;

export const followIncidentInput = z.object({
  incidentId: z.string().min(1),
  url: z.string().trim().min(1, 'is required').max(2000, 'must be at most 2,000 characters'),
});

/**
 * A visitor follows one incident with a webhook: every public update of that incident (whatever
 * its priority) until it resolves, signed like any webhook. Private addresses are refused unless
 * WEBHOOK_ALLOW_PRIVATE lifts the rule for the whole instance. Returns the signing secret and the
 * token of the manage link (`/manage/webhook/TOKEN`, as for a sign-up on /subscribe), both shown
 * once; every delivery names the link as the way to leave.
 */
export async function followIncidentByWebhook(
  deps: DomainDeps,
  raw: z.input<typeof followIncidentInput>,
) {
  const input = parseInput(followIncidentInput, raw);
  const url = await assertWebhookUrl(input.url, deps.config.webhookAllowPrivate);
  const now = deps.clock.now();
  const secret = newSigningSecret();
  const master = await linkKey(deps.db, deps.config);
  const webhookId = newId();
  const manageToken = webhookManageToken(master, webhookId);
  await deps.db.transaction(async (tx) => {
    const incident = await loadFollowableIncident(tx, input.incidentId);
    const [{ n } = { n: 0 }] = await tx
      .select({ n: sql<number>`count(*)` })
      .from(webhooks)
      .where(eq(webhooks.incidentId, incident.id));
    if (Number(n) >= MAX_FOLLOWERS_PER_INCIDENT)
      throw new ConflictError(
        'This incident has as many followers as Herald takes; follow the RSS feed instead.',
      ).saying('follow.full');
    await tx.insert(webhooks).values({
      id: webhookId,
      kind: 'webhook',
      url: url.toString(),
      componentIds: null,
      events: ['incident.updated', 'incident.resolved'],
      priorities: '0,1,2,3',
      internal: false,
      isDrill: false,
      allowPrivate: false,
      secretBox: sealSecret(master, secret),
      incidentId: incident.id,
      state: 'active',
      consecutiveFailures: 0,
      pausedAt: null,
      createdAt: now,
    });
    await tx.insert(webhookSignups).values(manageLinkRow(master, webhookId, now));
    await recordAudit(tx, publicActor, now, {
      action: 'webhook.follow_incident',
      objectType: 'webhook',
      objectId: webhookId,
      after: { url: url.toString(), incidentId: incident.id },
    });
  });
  return { webhookId, secret, manageToken };
}

/**
 * Gives every follower's webhook made before followers had a manage link its sign-up row, so its
 * deliveries name `/manage/webhook/TOKEN` (which then works) instead of the admins' page. Run at
 * start-up; the token is derived from the key and the id, so the owner needs nothing new.
 */
export async function ensureFollowerManageLinks(
  db: DbOrTx,
  config: Pick<Config, 'secretKey'>,
  now: Date,
): Promise<number> {
  const missing = await db
    .select({ id: webhooks.id })
    .from(webhooks)
    .leftJoin(webhookSignups, eq(webhookSignups.webhookId, webhooks.id))
    .where(and(isNotNull(webhooks.incidentId), isNull(webhookSignups.webhookId)));
  if (missing.length === 0) return 0;
  const master = await linkKey(db, config);
  await db
    .insert(webhookSignups)
    .values(missing.map((w) => manageLinkRow(master, w.id, now)))
    .onConflictDoNothing();
  return missing.length;
}
