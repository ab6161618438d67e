import { z } from 'zod';
import { incidentChanges } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { shortText, userIdInput } from './inputs.ts';
import { instantInput } from '../shared/inputs.ts';
import { assertActiveUser } from '../users/active-user.ts';
import { eq } from 'drizzle-orm';
import { users } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';

export const logChangeInput = z.strictObject({
  incidentId: z.string().min(1),
  what: shortText(5_000),
  /** Where it ran: host, database, cluster. */
  target: shortText(500),
  ranAt: instantInput.optional(),
  ranById: userIdInput,
  /**
   * Who is asked to review it (mailed, and shown on their dashboard); omitted or null: nobody
   * else looks at it, and the change is marked. Only they can confirm it.
   */
  reviewerId: userIdInput.nullish(),
  backupTaken: z.boolean({ error: 'must be true or false' }),
  recordsTouched: z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .nullish(),
  triedOnSample: z.boolean({ error: 'must be true or false' }),
});

/** Logs a script or command run against production during the incident. */
export const logChange = verb(logChangeInput, logChangeParsed);
async function logChangeParsed(
  deps: DomainDeps,
  input: Parsed<typeof logChangeInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    await assertActiveUser(tx, 'ranById', input.ranById);
    let reviewerEmail: string | null = null;
    if (input.reviewerId) {
      await assertActiveUser(tx, 'reviewerId', input.reviewerId);
      if (input.reviewerId === input.ranById)
        throw new ValidationError('reviewerId: a reviewer is a second person', {
          reviewerId: 'must be someone other than who ran it',
        });
      // Whoever writes the change into the record cannot also vouch for it.
      if (input.reviewerId === actor.id)
        throw new ValidationError('reviewerId: you cannot review a change you log', {
          reviewerId: 'must be someone other than you, who logs it',
        });
      const [u] = await tx
        .select({ email: users.email })
        .from(users)
        .where(eq(users.id, input.reviewerId));
      reviewerEmail = u!.email;
    }
    const row = {
      id: newId(),
      incidentId: incident.id,
      what: input.what,
      target: input.target,
      ranAt: input.ranAt ?? now,
      ranById: input.ranById,
      reviewerId: input.reviewerId ?? null,
      reviewState: 'requested' as const,
      reviewReason: null,
      reviewedAt: null,
      backupTaken: input.backupTaken,
      recordsTouched: input.recordsTouched ?? null,
      triedOnSample: input.triedOnSample,
      authorLabel: actor.label,
      createdAt: now,
    };
    await tx.insert(incidentChanges).values(row);
    await recordAudit(tx, actor, now, {
      action: 'incident.log_change',
      objectType: 'incident',
      objectId: incident.id,
      after: { ...row, ranAt: row.ranAt.toISOString(), createdAt: undefined },
    });
    if (reviewerEmail)
      await enqueueMessage(
        tx,
        deps.config,
        { kind: 'change_review_request', to: reviewerEmail, payload: { changeId: row.id } },
        now,
      );
    return { ...row, unreviewed: row.reviewerId === null };
  });
}
