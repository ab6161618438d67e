import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { instantInput } from '../shared/inputs.ts';
import { settings } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { getSettings } from './get-settings.ts';

export const switchMaintenanceOnInput = z.strictObject({
  message: z.string().trim().min(1, 'is required').max(1000, 'must be at most 1,000 characters'),
  /** The expected end: shown to visitors and returned to the product; nothing switches off by itself. */
  until: instantInput.nullish(),
});
export type SwitchMaintenanceOnInput = z.input<typeof switchMaintenanceOnInput>;

/**
 * Puts the product's emergency maintenance mode on: `/maintenance` and the page banner show
 * the message, and `GET /api/maintenance` tells the product. Switching it on again while on
 * changes the message and expected end but keeps the time it started.
 */
export async function switchMaintenanceOn(
  deps: DomainDeps,
  raw: SwitchMaintenanceOnInput,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(switchMaintenanceOnInput, raw);
  const now = deps.clock.now();
  if (input.until && input.until.getTime() <= now.getTime()) {
    throw new ValidationError('The expected end must be in the future.', {
      until: 'must be in the future',
    });
  }
  return deps.db.transaction(async (tx) => {
    const before = await getSettings(tx);
    const after = {
      maintenanceActive: true,
      maintenanceMessage: input.message,
      maintenanceSince:
        before.maintenanceActive && before.maintenanceSince ? before.maintenanceSince : now,
      maintenanceUntil: input.until ?? null,
    };
    await tx.update(settings).set(after).where(eq(settings.id, 1));
    await recordAudit(tx, actor, now, {
      action: before.maintenanceActive ? 'maintenance_switch.change' : 'maintenance_switch.on',
      objectType: 'settings',
      objectId: '1',
      before: pick(before),
      after,
    });
    await bumpChanges(tx, now);
    return after;
  });
}

/** Takes emergency maintenance mode off. Switching off when already off changes nothing. */
export async function switchMaintenanceOff(deps: DomainDeps, _raw: unknown, actor: Actor) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await getSettings(tx);
    if (!before.maintenanceActive) return { changed: false };
    const after = {
      maintenanceActive: false,
      maintenanceMessage: null,
      maintenanceSince: null,
      maintenanceUntil: null,
    };
    await tx.update(settings).set(after).where(eq(settings.id, 1));
    await recordAudit(tx, actor, now, {
      action: 'maintenance_switch.off',
      objectType: 'settings',
      objectId: '1',
      before: pick(before),
      after,
    });
    await bumpChanges(tx, now);
    return { changed: true };
  });
}

function pick(s: Awaited<ReturnType<typeof getSettings>>) {
  return {
    maintenanceActive: s.maintenanceActive,
    maintenanceMessage: s.maintenanceMessage,
    maintenanceSince: s.maintenanceSince,
    maintenanceUntil: s.maintenanceUntil,
  };
}
