import {
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
} from '../../../db/schema/index.ts';
import { findComponents } from '../components/check-components.ts';
import { componentRow } from '../components/create-component.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import {
  type ImportComponentInput,
  importComponentInput,
  type ImportIncidentInput,
  importIncidentInput,
  type ImportMaintenanceInput,
  importMaintenanceInput,
} from './inputs.ts';
import { addMapping, findMapping } from './mappings.ts';

// Bringing another status page's records into Herald. Each object is written with its mapping
// row in one transaction: an import stopped anywhere and run again skips what it brought and
// writes the rest. Nothing here queues a broadcast, a webhook or a mail: history is written as
// history, and nobody is told about it again.

export interface Imported {
  id: string;
  /** False when the source object was imported before (nothing was written). */
  created: boolean;
}

export async function importComponent(
  deps: DomainDeps,
  raw: ImportComponentInput,
  actor: Actor,
): Promise<Imported> {
  assertRole(actor, 'admin');
  const input = parseInput(importComponentInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const known = await findMapping(tx, input.source, 'component', input.sourceId);
    if (known) return { id: known, created: false };
    if (input.groupId) {
      const [group] = await findComponents(tx, [input.groupId], 'groupId');
      if (!group?.isGroup)
        throw new ValidationError('groupId must name a group.', { groupId: 'is not a group' });
    }
    const row = componentRow(input, input, now);
    await tx.insert(components).values(row);
    await addMapping(tx, { ...input, kind: 'component', heraldId: row.id }, now);
    await recordAudit(tx, actor, now, {
      action: 'component.import',
      objectType: 'component',
      objectId: row.id,
      after: { ...row, source: input.source, sourceId: input.sourceId },
    });
    await bumpChanges(tx, now);
    return { id: row.id, created: true };
  });
}

export async function importIncident(
  deps: DomainDeps,
  raw: ImportIncidentInput,
  actor: Actor,
): Promise<Imported> {
  assertRole(actor, 'admin');
  const input = parseInput(importIncidentInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const known = await findMapping(tx, input.source, 'incident', input.sourceId);
    if (known) return { id: known, created: false };
    await findComponents(
      tx,
      input.components.map((c) => c.componentId),
      'components',
    );
    const last = input.updates.at(-1)!;
    const incident = {
      id: newId(),
      title: input.title,
      priority: input.priority,
      status: input.status,
      impact: input.impact,
      ownerId: null,
      isDrill: false,
      autoHolding: false,
      // Audience-only with no audience chosen: staff see it, no public surface does.
      audienceOnly: input.audienceOnly,
      publishedAt: input.createdAt,
      startedAt: input.startedAt,
      monitoringAt: input.monitoringAt ?? null,
      resolvedAt: input.status === 'resolved' ? (input.resolvedAt ?? last.displayAt) : null,
      // An imported incident promises nothing: the promise is made by whoever updates it next.
      nextUpdateDueAt: null,
      reminderSentAt: null,
      createdAt: input.createdAt,
      updatedAt: last.displayAt,
    };
    await tx.insert(incidents).values(incident);
    let previous: string | null = null;
    for (const u of input.updates) {
      await tx.insert(incidentUpdates).values({
        id: newId(),
        incidentId: incident.id,
        status: u.status,
        statusChanged: u.status !== previous,
        body: u.body,
        internalNote: null,
        notify: false,
        state: 'published',
        nextUpdateDueAt: null,
        authorId: null,
        publishedAt: u.createdAt,
        displayAt: u.displayAt,
        createdAt: u.createdAt,
        updatedAt: u.createdAt,
      });
      previous = u.status;
    }
    let position = 0;
    for (const c of input.components)
      await tx.insert(incidentComponents).values({
        incidentId: incident.id,
        componentId: c.componentId,
        status: c.status,
        position: position++,
      });
    await addMapping(tx, { ...input, kind: 'incident', heraldId: incident.id }, now);
    await recordAudit(tx, actor, now, {
      action: 'incident.import',
      objectType: 'incident',
      objectId: incident.id,
      after: {
        ...incident,
        updates: input.updates.length,
        source: input.source,
        sourceId: input.sourceId,
      },
    });
    await bumpChanges(tx, now);
    return { id: incident.id, created: true };
  });
}

export async function importMaintenance(
  deps: DomainDeps,
  raw: ImportMaintenanceInput,
  actor: Actor,
): Promise<Imported> {
  assertRole(actor, 'admin');
  const input = parseInput(importMaintenanceInput, raw);
  const now = deps.clock.now();
  if (input.scheduledUntil.getTime() < input.scheduledFor.getTime())
    throw new ValidationError('scheduledUntil: must not be before the start', {
      scheduledUntil: 'must not be before the start',
    });
  return deps.db.transaction(async (tx) => {
    const known = await findMapping(tx, input.source, 'maintenance', input.sourceId);
    if (known) return { id: known, created: false };
    await findComponents(tx, input.componentIds, 'componentIds');
    const row = {
      id: newId(),
      title: input.title,
      description: input.description,
      status: input.status,
      scheduledFor: input.scheduledFor,
      scheduledUntil: input.scheduledUntil,
      startedAt: input.startedAt ?? null,
      completedAt:
        input.status === 'completed' ? (input.completedAt ?? input.scheduledUntil) : null,
      // The source's page announced this window; Herald does not announce it again. The
      // scheduler still starts and completes it on time, telling nobody.
      autoStart: true,
      autoComplete: true,
      notify: false,
      notifyOnSchedule: false,
      notifyReminder: false,
      notifyOnStart: false,
      notifyOnComplete: false,
      reminderLeadMinutes: 60,
      reminderSentAt: now,
      createdAt: input.createdAt,
      updatedAt: now,
    };
    await tx.insert(maintenances).values(row);
    let position = 0;
    for (const componentId of [...new Set(input.componentIds)])
      await tx
        .insert(maintenanceComponents)
        .values({ maintenanceId: row.id, componentId, position: position++ });
    let previous: string | null = null;
    for (const u of input.updates) {
      await tx.insert(maintenanceUpdates).values({
        id: newId(),
        maintenanceId: row.id,
        status: u.status,
        statusChanged: u.status !== previous,
        body: u.body,
        notify: false,
        authorId: null,
        displayAt: u.displayAt,
        createdAt: u.displayAt,
      });
      previous = u.status;
    }
    await addMapping(tx, { ...input, kind: 'maintenance', heraldId: row.id }, now);
    await recordAudit(tx, actor, now, {
      action: 'maintenance.import',
      objectType: 'maintenance',
      objectId: row.id,
      after: { ...row, source: input.source, sourceId: input.sourceId },
    });
    await bumpChanges(tx, now);
    return { id: row.id, created: true };
  });
}
