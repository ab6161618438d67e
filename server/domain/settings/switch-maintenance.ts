import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { instantInput } from '../shared/inputs.ts';
import type { DbOrTx } from '../../../db/client.ts';
import { lists, settings, subscribers } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { Config } from '../../config.ts';
import { queueSwitchWebhooks } from '../webhooks/queue-webhook-deliveries.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
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
export const switchMaintenanceOn = verb(switchMaintenanceOnInput, switchMaintenanceOnParsed);
async function switchMaintenanceOnParsed(
  deps: DomainDeps,
  input: Parsed<typeof switchMaintenanceOnInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
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
    await announceSwitch(tx, deps.config, now, {
      on: true,
      message: input.message,
      until: after.maintenanceUntil,
      by: actor.label,
    });
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
    await announceSwitch(tx, deps.config, now, {
      on: false,
      message: null,
      until: null,
      by: actor.label,
    });
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

/**
 * The switch going on, changing or off is news for the team: every confirmed subscriber of an
 * internal list (drill lists left out) gets one email, and every webhook or chat channel that
 * wants `maintenance.switch` gets the event, queued in the switch's own transaction so neither
 * is lost nor sent for a switch that was rolled back.
 */
async function announceSwitch(
  tx: DbOrTx,
  config: Pick<Config, 'publicUrl'>,
  now: Date,
  e: { on: boolean; message: string | null; until: Date | null; by: string },
) {
  const staff = await tx
    .select({ id: subscribers.id, email: subscribers.email })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(
      and(eq(lists.isInternal, true), eq(lists.isDrill, false), eq(subscribers.state, 'confirmed')),
    );
  const seen = new Set<string>();
  for (const s of staff) {
    if (seen.has(s.email)) continue;
    seen.add(s.email);
    await enqueueMessage(
      tx,
      config,
      {
        kind: 'maintenance_switch',
        to: s.email,
        payload: {
          subscriberId: s.id,
          switchOn: e.on,
          message: e.message,
          until: e.until?.toISOString() ?? null,
          by: e.by,
        },
      },
      now,
    );
  }
  await queueSwitchWebhooks(
    tx,
    { on: e.on, message: e.message, until: e.until?.toISOString() ?? null },
    now,
  );
}
