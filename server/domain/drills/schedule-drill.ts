import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import { drills, users } from '../../../db/schema/index.ts';
import { expandGroups } from '../components/check-components.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { pickPriorityInput, titleText } from '../shared/inputs.ts';
import { type Parsed, runParsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { runDueDrills } from './run-due-drills.ts';

export const scheduleDrillInput = z.strictObject({
  title: titleText(200),
  scenario: z.string().trim().min(1, 'is required').max(5000, 'must be at most 5,000 characters'),
  priority: pickPriorityInput,
  componentIds: z.array(z.string().min(1)).max(200).default([]),
  participantIds: z.array(z.string().min(1)).min(1, 'pick at least one participant').max(200),
  /** Omitted: now (the drill is started at once, see `startDrillNow`). */
  scheduledFor: z.iso.datetime({ offset: true, error: 'must be an ISO date and time' }).optional(),
});
export type ScheduleDrillInput = z.input<typeof scheduleDrillInput>;

/** Admins plan a drill: scenario, components, priority, time, participants. */
export const scheduleDrill = verb(scheduleDrillInput, scheduleDrillParsed);
async function scheduleDrillParsed(
  deps: DomainDeps,
  input: Parsed<typeof scheduleDrillInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  const at = input.scheduledFor ? new Date(input.scheduledFor) : now;
  if (at.getTime() < now.getTime() - 60_000)
    throw new ValidationError('scheduledFor: must be in the future', {
      scheduledFor: 'must be in the future',
    });
  return deps.db.transaction(async (tx) => {
    // A group stands for its components, as in a maintenance window.
    const componentIds = await expandGroups(tx, input.componentIds, 'componentIds');
    const people = await tx
      .select({ id: users.id })
      .from(users)
      .where(inArray(users.id, input.participantIds));
    if (people.length !== new Set(input.participantIds).size)
      throw new ValidationError('participantIds: unknown user', { participantIds: 'unknown user' });
    const row = {
      id: newId(),
      title: input.title,
      scenario: input.scenario,
      priority: input.priority,
      componentIds,
      participantIds: [...new Set(input.participantIds)],
      scheduledFor: at,
      state: 'scheduled' as const,
      createdBy: actor.label,
      createdById: actor.type === 'user' ? actor.id : null,
      createdAt: now,
    };
    await tx.insert(drills).values(row);
    await recordAudit(tx, actor, now, {
      action: 'drill.schedule',
      objectType: 'drill',
      objectId: row.id,
      after: row,
    });
    await bumpChanges(tx, now);
    return row;
  });
}

/**
 * "Start now": the drill is scheduled for this moment and declared at once (claimed like any
 * due drill, so the scheduler running at the same moment cannot start it twice).
 */
export async function startDrillNow(
  deps: DomainDeps,
  raw: Omit<ScheduleDrillInput, 'scheduledFor'>,
  actor: Actor,
) {
  const drill = await scheduleDrill(deps, { ...raw, scheduledFor: undefined }, actor);
  const [started] = await runDueDrills(deps, drill.id);
  return { drill, incidentId: started?.incidentId ?? null };
}

/** The API's and the form's one verb: at a time when one is given, else now. */
export const scheduleOrStartDrill = verb(scheduleDrillInput, scheduleOrStartDrillParsed);
async function scheduleOrStartDrillParsed(
  deps: DomainDeps,
  input: Parsed<typeof scheduleDrillInput>,
  actor: Actor,
) {
  const drill = await runParsed(scheduleDrill, deps, input, actor);
  if (input.scheduledFor) return { drill, incidentId: null as string | null };
  const [started] = await runDueDrills(deps, drill.id);
  return { drill, incidentId: started?.incidentId ?? null };
}
