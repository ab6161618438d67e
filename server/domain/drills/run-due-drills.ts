import { and, eq, inArray, lte } from 'drizzle-orm';
import { drills, users } from '../../../db/schema/index.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import { declareIncident } from '../incidents/declare-incident.ts';
import { systemActor } from '../shared/actor.ts';
import { readAdminAddresses } from '../users/on-duty.ts';
import type { DomainDeps } from '../shared/deps.ts';

/**
 * Starts the drills that are due: claims each with a conditional UPDATE (one process wins),
 * declares the drill incident (never public, broadcast to drill lists only), then tells the
 * participants. A declaration that fails leaves the drill `failed` with the reason shown, and
 * mails the admins.
 */
export async function runDueDrills(
  deps: DomainDeps,
  /** Only this drill (one just started "now"), so the caller answers with its own incident. */
  onlyId?: string,
): Promise<{ drillId: string; incidentId: string | null }[]> {
  const now = deps.clock.now();
  const due = await deps.db
    .select()
    .from(drills)
    .where(
      and(
        eq(drills.state, 'scheduled'),
        lte(drills.scheduledFor, now),
        onlyId ? eq(drills.id, onlyId) : undefined,
      ),
    );
  const out: { drillId: string; incidentId: string | null }[] = [];
  for (const d of due) {
    const claimed = await deps.db
      .update(drills)
      .set({ state: 'started' })
      .where(and(eq(drills.id, d.id), eq(drills.state, 'scheduled')))
      .returning({ id: drills.id });
    if (claimed.length !== 1) continue;
    try {
      const { incident } = await declareIncident(
        deps,
        {
          title: d.title,
          priority: d.priority,
          body: d.scenario,
          internalNote: `Drill scheduled by ${d.createdBy}. Run it as if it were real.`,
          components: d.componentIds.map((componentId) => ({
            componentId,
            status: d.priority <= 1 ? ('major_outage' as const) : ('partial_outage' as const),
          })),
          isDrill: true,
        },
        { ...systemActor, label: 'Herald (drill)' },
      );
      await deps.db.transaction(async (tx) => {
        await tx.update(drills).set({ incidentId: incident.id }).where(eq(drills.id, d.id));
        const people = d.participantIds.length
          ? await tx
              .select({ email: users.email })
              .from(users)
              .where(inArray(users.id, d.participantIds))
          : [];
        await enqueueMessageToEach(
          tx,
          deps.config,
          { kind: 'drill_start', to: people.map((p) => p.email), payload: { drillId: d.id } },
          now,
        );
      });
      out.push({ drillId: d.id, incidentId: incident.id });
    } catch (err) {
      // The admins hear of it at once, in the same write: nobody opens the drills page to check.
      await deps.db.transaction(async (tx) => {
        await tx
          .update(drills)
          .set({ state: 'failed', lastError: err instanceof Error ? err.message : String(err) })
          .where(eq(drills.id, d.id));
        await enqueueMessageToEach(
          tx,
          deps.config,
          { kind: 'drill_failed', to: await readAdminAddresses(tx), payload: { drillId: d.id } },
          now,
        );
      });
      out.push({ drillId: d.id, incidentId: null });
    }
  }
  return out;
}
