import { and, eq, lte } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import type { Tx } from '../../../db/client.ts';
import { maintenances } from '../../../db/schema/index.ts';
import type { MessageIdConfig } from '../outbox/message-id.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { putUnderMaintenance } from './window-components.ts';
import { recordMaintenanceStep } from './record-step.ts';

export const START_BODY = 'The scheduled maintenance is now in progress.';

export const maintenanceStepInput = z.strictObject({
  maintenanceId: idInput,
  body: z.string().trim().max(10_000).optional(),
});

/**
 * Starts a window inside the caller's transaction: claims it with a conditional UPDATE on its
 * status (so the scheduler in two processes, or an admin racing the scheduler, start it once),
 * puts its components under maintenance, records the step as an update, sends the start
 * notice when switched on. Returns null when the window was not scheduled any more (started
 * elsewhere, or cancelled). `due` is the scheduler's start: it also needs the window's start
 * time to have come and auto start on, re-read in the claim, so a window moved or switched to a
 * manual start after the scheduler listed it is left alone.
 */
export async function applyStart(
  tx: Tx,
  config: MessageIdConfig,
  maintenanceId: string,
  now: Date,
  actor: Actor,
  opts: { body?: string; notice?: boolean; due?: boolean } = {},
) {
  const [m] = await tx
    .update(maintenances)
    .set({ status: 'in_progress', startedAt: now, updatedAt: now })
    .where(
      and(
        eq(maintenances.id, maintenanceId),
        eq(maintenances.status, 'scheduled'),
        opts.due ? lte(maintenances.scheduledFor, now) : undefined,
        opts.due ? eq(maintenances.autoStart, true) : undefined,
      ),
    )
    .returning();
  if (!m) return null;
  const changed = await putUnderMaintenance(tx, m.id, now);
  const sendNotice = opts.notice !== false;
  await recordMaintenanceStep(tx, config, actor, now, {
    maintenanceId: m.id,
    status: 'in_progress',
    statusChanged: true,
    body: opts.body || START_BODY,
    notify: sendNotice && m.notify && m.notifyOnStart,
    notice: sendNotice ? 'maintenance_started' : null,
    folded: !sendNotice,
    audit: {
      action: 'maintenance.start',
      before: { status: 'scheduled' },
      after: {
        status: 'in_progress',
        startedAt: now,
        early: now.getTime() < m.scheduledFor.getTime(),
        components: changed,
      },
    },
  });
  return m;
}

/** Starts a scheduled window now (early, or by hand when auto start is off). */
export const startMaintenance = maintenanceStepNow('start', applyStart);

/**
 * A step of a window taken by hand now: the same conditional step the scheduler takes, in its
 * own transaction, refused when the window is not where the step starts from (`stepConflict`).
 */
export function maintenanceStepNow<M>(
  step: 'start' | 'complete',
  apply: (
    tx: Tx,
    config: MessageIdConfig,
    maintenanceId: string,
    now: Date,
    actor: Actor,
    opts: { body?: string },
  ) => Promise<M | null>,
) {
  return verb(
    maintenanceStepInput,
    async (deps: DomainDeps, input: Parsed<typeof maintenanceStepInput>, actor: Actor) => {
      assertRole(actor, 'responder');
      const now = deps.clock.now();
      return deps.db.transaction(async (tx) => {
        const m = await apply(tx, deps.config, input.maintenanceId, now, actor, {
          body: input.body,
        });
        if (!m) throw await stepConflict(tx, input.maintenanceId, step);
        return m;
      });
    },
  );
}

export async function stepConflict(tx: Tx, id: string, verb: string): Promise<Error> {
  const [m] = await tx
    .select({ status: maintenances.status })
    .from(maintenances)
    .where(eq(maintenances.id, id));
  if (!m) return new NotFoundError('maintenance', id);
  return new ConflictError(
    `This maintenance is ${m.status.replace('_', ' ')}; it cannot ${verb} now.`,
  );
}
