import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { webhooks } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { loadFollowableIncident } from '../subscribers/incident-follows.ts';
import { publicActor } from '../subscribers/public-actor.ts';
import { linkKey } from '../subscribers/tokens.ts';
import { assertWebhookUrl } from './address-policy.ts';
import { newSigningSecret, sealSecret } from './secret-box.ts';

/** Followers one incident may have: a public form must not turn Herald into a mass sender. */
export const MAX_FOLLOWERS_PER_INCIDENT = 200;

export const followIncidentInput = z.object({
  incidentId: z.string().min(1),
  url: z.string().trim().min(1, 'is required').max(2000, 'must be at most 2,000 characters'),
});

/**
 * A visitor follows one incident with a webhook: every update of that incident (whatever its
 * priority) until it resolves, signed like any webhook. Private addresses are refused unless
 * WEBHOOK_ALLOW_PRIVATE lifts the rule for the whole instance.
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
  const id = await deps.db.transaction(async (tx) => {
    const incident = await loadFollowableIncident(tx, input.incidentId);
    const [{ n } = { n: 0 }] = await tx
      .select({ n: sql<number>`count(*)` })
      .from(webhooks)
      .where(eq(webhooks.incidentId, incident.id));
    if (Number(n) >= MAX_FOLLOWERS_PER_INCIDENT)
      throw new ConflictError(
        'This incident has as many followers as Herald takes; follow the RSS feed instead.',
      ).saying('follow.full');
    const webhookId = newId();
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
    await recordAudit(tx, publicActor, now, {
      action: 'webhook.follow_incident',
      objectType: 'webhook',
      objectId: webhookId,
      after: { url: url.toString(), incidentId: incident.id },
    });
    return webhookId;
  });
  return { webhookId: id, secret };
}
