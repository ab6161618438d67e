import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import {
  componentStatuses,
  type IncidentStatus,
  impacts,
  incidentStatuses,
  maintenanceStatuses,
} from '../../../db/schema/enums.ts';
import type { Deps } from '../../deps.ts';
import { changeIncidentPriority } from '../../domain/incidents/change-incident-priority.ts';
import { changeIncidentPriorityInput } from '../../domain/incidents/change-incident-priority.ts';
import { declareIncident } from '../../domain/incidents/declare-incident.ts';
import {
  declareIncidentInput,
  postIncidentUpdateInput,
  priorityInput,
} from '../../domain/incidents/inputs.ts';
import { postIncidentUpdate } from '../../domain/incidents/post-incident-update.ts';
import {
  defaultBodyByStatus,
  impactFromStatuses,
  priorityByImpact,
} from '../../domain/incidents/statuspage-priority.ts';
import { completeMaintenance } from '../../domain/maintenance/complete-maintenance.ts';
import {
  extendMaintenance,
  extendMaintenanceInput,
} from '../../domain/maintenance/extend-maintenance.ts';
import {
  scheduleMaintenance,
  scheduleMaintenanceInput,
} from '../../domain/maintenance/schedule-maintenance.ts';
import {
  maintenanceStepInput,
  startMaintenance,
} from '../../domain/maintenance/start-maintenance.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import { idInput, instantInput } from '../../domain/shared/inputs.ts';
import { runParsed, verb } from '../../domain/shared/verb.ts';
import {
  type EntrySelection,
  type ManagedEntry,
  readEntryPage,
  readManagedEntry,
} from '../../domain/status/read-management.ts';
import type { IncidentJson, MaintenanceJson } from '../../domain/status/statuspage-json.ts';
import { COMPONENT_IDS_LIST, fieldError, paging } from './context.ts';
import { type V1At, type V1Row, v1Input } from './operation.ts';
import { incidentV1 } from './shapes.ts';

// Statuspage keeps incidents and scheduled maintenances in one collection; Herald keeps them
// apart. An incident body with `scheduled_for` is a maintenance window; everything else is an
// incident. Each write is one of Herald's verbs, so roles, audit, promises and broadcast rules
// are the ones every other surface gets; its body is parsed once, in Statuspage's words piped
// into those verbs' own schemas, before the first of them runs.

const flag = z.boolean({ error: 'must be true or false' });
const incidentFields = z.strictObject(
  {
    name: z.string({ error: 'must be a string' }).optional(),
    status: z
      .enum([...incidentStatuses, ...maintenanceStatuses], {
        error: `must be one of ${[...incidentStatuses, ...maintenanceStatuses].join(', ')}`,
      })
      .optional(),
    impact_override: z
      .enum(impacts, { error: `must be one of ${impacts.join(', ')}` })
      .nullable()
      .optional(),
    body: z.string({ error: 'must be a string' }).nullable().optional(),
    /** The first update's text in Statuspage's older documentation. */
    message: z.string({ error: 'must be a string' }).nullable().optional(),
    component_ids: z
      .array(z.string({ error: 'must be component ids' }), { error: COMPONENT_IDS_LIST })
      .max(200)
      .optional(),
    components: z
      .record(
        z.string(),
        z.enum(componentStatuses, { error: `must be one of ${componentStatuses.join(', ')}` }),
        { error: 'must map component ids to statuses' },
      )
      .optional(),
    deliver_notifications: flag.optional(),
    scheduled_for: instantInput.nullable().optional(),
    scheduled_until: instantInput.nullable().optional(),
    scheduled_remind_prior: flag.optional(),
    scheduled_auto_in_progress: flag.optional(),
    scheduled_auto_completed: flag.optional(),
    metadata: z
      .looseObject(
        { herald: z.strictObject({ priority: priorityInput.optional() }).optional() },
        { error: 'must be an object' },
      )
      .optional(),
    // Accepted for compatibility; Herald always moves components with a window and has no
    // Twitter: these change nothing.
    auto_transition_to_maintenance_state: flag.optional(),
    auto_transition_to_operational_state: flag.optional(),
    auto_transition_deliver_notifications_at_start: flag.optional(),
    auto_transition_deliver_notifications_at_end: flag.optional(),
    auto_tweet_at_beginning: flag.optional(),
    auto_tweet_on_completion: flag.optional(),
    auto_tweet_on_creation: flag.optional(),
    auto_tweet_one_hour_before: flag.optional(),
    wants_twitter_update: flag.optional(),
  },
  { error: 'must be an object' },
);
type IncidentFields = z.output<typeof incidentFields>;

/** Herald's field names as the client sent them, bare (a verb's own error) and in each step. */
const incidentNames = (() => {
  const bare: Record<string, string> = {
    title: 'incident.name',
    body: 'incident.body',
    components: 'incident.components',
    priority: 'incident.metadata.herald.priority',
    description: 'incident.body',
    scheduledFor: 'incident.scheduled_for',
    scheduledUntil: 'incident.scheduled_until',
    componentIds: 'incident.component_ids',
    status: 'incident.status',
  };
  const names = { ...bare };
  for (const step of ['declare', 'maintenance', 'update', 'reprioritise', 'extend', 'step'])
    for (const [k, v] of Object.entries(bare)) names[`${step}.${k}`] = v;
  return names;
})();

/** The text of the update: `body`, else the older `message`; empty is none. */
const textOf = (b: IncidentFields) => b.body || b.message || undefined;

/** The priority the body asks for: metadata.herald.priority, else the impact table. */
function wantedPriority(b: IncidentFields): number | undefined {
  const explicit = b.metadata?.herald?.priority;
  if (explicit !== undefined) return explicit;
  return b.impact_override ? priorityByImpact[b.impact_override] : undefined;
}

/** Every component the body names, with the status it gives it (none: as it stands). */
function namedComponents(b: IncidentFields) {
  const map = b.components ?? {};
  const ids = [...new Set([...(b.component_ids ?? []), ...Object.keys(map)])];
  return ids.map((componentId) => ({ componentId, status: map[componentId] }));
}

/** An update's components before their current statuses are read: a status may be left out. */
const componentsAsNamed = z
  .array(z.strictObject({ componentId: idInput, status: z.enum(componentStatuses).optional() }))
  .max(200)
  .default([]);

/** Each named component with its status: the one given, else as it stands now. */
async function withStatuses(deps: Deps, named: z.output<typeof componentsAsNamed>) {
  const current = (await deps.reader.components()).components;
  // Checked before any write: a request that needs two verbs (a new priority and an update)
  // must not leave the first done when the second refuses.
  const unknown = named.filter(
    ({ componentId: id }) => !current.some((x) => x.id === id && !x.group),
  );
  if (unknown.length)
    throw fieldError(
      'incident.components',
      `no component with id ${unknown.map((x) => x.componentId).join(', ')}`,
    );
  return named.map(({ componentId, status }) => ({
    componentId,
    status: status ?? current.find((x) => x.id === componentId)?.status ?? 'operational',
  }));
}

const isIncidentStatus = (s: string | undefined): s is IncidentStatus =>
  (incidentStatuses as readonly (string | undefined)[]).includes(s);

/**
 * POST /incidents: a maintenance window when the body has `scheduled_for`, else an incident
 * (declared and resolved at once when it comes in resolved, as one filed afterwards does).
 */
const createBody = v1Input(
  z.strictObject({ incident: incidentFields }).superRefine(({ incident: b }, ctx) => {
    const refuse = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['incident', field], message });
    if (b.scheduled_for || b.scheduled_until) {
      if (!b.scheduled_for) refuse('scheduled_for', 'is required with scheduled_until');
      else if (!b.scheduled_until) refuse('scheduled_until', 'is required with scheduled_for');
      else if (b.status && b.status !== 'scheduled')
        refuse('status', 'must be scheduled for a new scheduled maintenance');
    } else if (b.status && !isIncidentStatus(b.status))
      refuse('status', `${b.status} is for scheduled maintenances (send scheduled_for)`);
  }),
  ({ incident: b }) => {
    if (b.scheduled_for && b.scheduled_until)
      return {
        maintenance: {
          title: b.name ?? '',
          description: textOf(b) || b.name || '',
          scheduledFor: b.scheduled_for,
          scheduledUntil: b.scheduled_until,
          componentIds: namedComponents(b).map((x) => x.componentId),
          notify: b.deliver_notifications ?? true,
          notifyReminder: b.scheduled_remind_prior ?? false,
          reminderLeadMinutes: 60,
          autoStart: b.scheduled_auto_in_progress ?? false,
          autoComplete: b.scheduled_auto_completed ?? false,
        },
      };
    const status = isIncidentStatus(b.status) ? b.status : 'investigating';
    return {
      declare: {
        title: b.name ?? '',
        priority: wantedPriority(b),
        status: status === 'resolved' ? 'investigating' : status,
        impact: b.impact_override ?? undefined,
        body: textOf(b) || defaultBodyByStatus[status],
        components: namedComponents(b),
        notify: b.deliver_notifications,
      },
      resolved: status === 'resolved',
      impactOverride: b.impact_override ?? null,
    };
  },
  z.strictObject({
    maintenance: scheduleMaintenanceInput.optional(),
    // The priority comes from the components' statuses when the body names none.
    declare: declareIncidentInput
      .partial({ priority: true })
      .extend({ components: componentsAsNamed })
      .optional(),
    resolved: z.boolean().default(false),
    impactOverride: z.enum(impacts).nullable().default(null),
  }),
);

/** PATCH /incidents/{id} on an incident: a priority change and a new update, one parse. */
const updateIncidentBody = v1Input(
  z
    .strictObject({ id: z.string(), incident: incidentFields })
    .superRefine(({ incident: b }, ctx) => {
      if (b.scheduled_for || b.scheduled_until)
        ctx.addIssue({
          code: 'custom',
          path: ['incident', 'scheduled_for'],
          message: 'only a scheduled maintenance has a window',
        });
      else if (b.status && !isIncidentStatus(b.status))
        ctx.addIssue({
          code: 'custom',
          path: ['incident', 'status'],
          message: `must be one of ${incidentStatuses.join(', ')}`,
        });
    }),
  ({ id, incident: b }) => {
    const priority = wantedPriority(b);
    const posting =
      b.status !== undefined ||
      !!textOf(b) ||
      b.components !== undefined ||
      b.component_ids !== undefined;
    return {
      name: b.name,
      reprioritise:
        priority === undefined
          ? undefined
          : {
              incidentId: id,
              priority,
              reason:
                b.metadata?.herald?.priority !== undefined
                  ? 'Set through the Statuspage API (metadata.herald.priority).'
                  : `Set through the Statuspage API (impact_override ${b.impact_override}).`,
            },
      update: posting
        ? {
            incidentId: id,
            status: isIncidentStatus(b.status) ? b.status : undefined,
            body: textOf(b),
            components: namedComponents(b),
            notify: b.deliver_notifications,
          }
        : undefined,
    };
  },
  z.strictObject({
    name: z.string().optional(),
    reprioritise: changeIncidentPriorityInput.optional(),
    // Without a text, Statuspage's own for the status, which may be the incident's current one.
    update: postIncidentUpdateInput
      .partial({ body: true })
      .extend({ components: componentsAsNamed })
      .optional(),
  }),
);

/** PATCH /incidents/{id} on a maintenance window: extend it, start or complete it. */
const updateWindowBody = v1Input(
  z.strictObject({ id: z.string(), incident: incidentFields }),
  ({ id, incident: b }) => ({
    name: b.name,
    touchesComponents: !!(b.components || b.component_ids),
    status: b.status,
    extend: b.scheduled_until
      ? { maintenanceId: id, scheduledUntil: b.scheduled_until, body: textOf(b) }
      : undefined,
    step: { maintenanceId: id, body: textOf(b) },
  }),
  z.strictObject({
    name: z.string().optional(),
    touchesComponents: z.boolean(),
    status: z.enum([...incidentStatuses, ...maintenanceStatuses]).optional(),
    extend: extendMaintenanceInput.optional(),
    step: maintenanceStepInput,
  }),
);

type Entry = ManagedEntry;
const isWindow = (e: Entry): e is MaintenanceJson & ManagedEntry => 'scheduled_until' in e;

async function entryOr404(deps: Deps, id: string): Promise<Entry> {
  const { page, components } = await deps.reader.components();
  const entry = await readManagedEntry(deps.db, page, components, id);
  if (!entry) throw new NotFoundError('incident', id);
  return entry;
}

const createIncident = verb(createBody, async (deps: Deps, input, actor) => {
  if (input.maintenance) {
    const m = await runParsed(scheduleMaintenance, deps, input.maintenance, actor);
    return incidentV1(await entryOr404(deps, m.id));
  }
  const d = input.declare!;
  const components = await withStatuses(deps, d.components);
  const priority =
    d.priority ?? priorityByImpact[impactFromStatuses(components.map((x) => x.status))];
  const { incident } = await runParsed(
    declareIncident,
    deps,
    { ...d, priority, components },
    actor,
  );
  if (input.resolved)
    await runParsed(
      postIncidentUpdate,
      deps,
      {
        incidentId: incident.id,
        status: 'resolved',
        body: defaultBodyByStatus.resolved,
        notify: d.notify,
        components: [],
        audienceTexts: [],
      },
      actor,
    );
  const created = incidentV1(await entryOr404(deps, incident.id));
  return { ...created, impact_override: input.impactOverride };
});

const updateIncident = verb(
  updateIncidentBody,
  async (deps: Deps, input, actor, at: V1At<Entry>) => {
    const entry = at.found;
    if (input.name !== undefined && input.name !== entry.name)
      throw fieldError('incident.name', 'cannot be changed once the incident is declared');
    const reprioritise =
      input.reprioritise && input.reprioritise.priority !== entry.priority
        ? input.reprioritise
        : null;
    if ((input.update || reprioritise) && entry.status === 'resolved')
      throw new ConflictError(
        'This incident is resolved; declare a new incident instead of updating it.',
      );
    const components = await withStatuses(deps, input.update?.components ?? []);
    if (reprioritise) await runParsed(changeIncidentPriority, deps, reprioritise, actor);
    if (input.update) {
      const status = input.update.status ?? (entry.status as IncidentStatus);
      const body = input.update.body ?? defaultBodyByStatus[status];
      await runParsed(
        postIncidentUpdate,
        deps,
        { ...input.update, status, body, components },
        actor,
      );
    }
    return incidentV1(await entryOr404(deps, entry.id));
  },
);

const updateWindow = verb(updateWindowBody, async (deps: Deps, input, actor, at: V1At<Entry>) => {
  const entry = at.found as MaintenanceJson;
  if (input.name !== undefined && input.name !== entry.name)
    throw fieldError('incident.name', 'cannot be changed once a maintenance is scheduled');
  if (input.touchesComponents)
    throw fieldError('incident.components', 'cannot be changed once a maintenance is scheduled');
  if (input.extend && input.extend.scheduledUntil.getTime() !== Date.parse(entry.scheduled_until))
    await runParsed(extendMaintenance, deps, input.extend, actor);
  if (input.status && input.status !== entry.status) {
    if (input.status === 'in_progress') await runParsed(startMaintenance, deps, input.step, actor);
    else if (input.status === 'completed')
      await runParsed(completeMaintenance, deps, input.step, actor);
    else
      throw fieldError(
        'incident.status',
        `a maintenance moves to in_progress or completed here, not ${input.status}`,
      );
  }
  return incidentV1(await entryOr404(deps, entry.id));
});

const I = '/pages/:page_id/incidents';
const entryFound = (deps: Deps, p: Record<string, string>) => entryOr404(deps, p.id!);

const lists: [string, EntrySelection][] = [
  [I, 'all'],
  [`${I}/unresolved`, 'unresolved'],
  [`${I}/scheduled`, 'scheduled'],
  [`${I}/upcoming`, 'scheduled'],
  [`${I}/active_maintenance`, 'active_maintenance'],
];

/** The update the path names, of the incident it names. */
const updateFound = async (deps: Deps, p: Record<string, string>) => {
  const entry = await entryOr404(deps, p.id!);
  const found = entry.incident_updates.find((u) => u.id === p.update_id);
  if (!found) throw new NotFoundError('incident update', p.update_id!);
  return found;
};

export const incidentOperations: V1Row[] = [
  ...lists.map(([path, which]): V1Row => ({
    method: 'get',
    path,
    role: 'viewer',
    verb: async (deps, _raw, _actor, at) => {
      const { page, components } = await deps.reader.components();
      const entries = await readEntryPage(deps.db, page, components, {
        which,
        ...paging(at.query),
        q: at.query.q || undefined,
      });
      return entries.map(incidentV1);
    },
    success: 200,
  })),
  {
    method: 'post',
    path: I,
    role: 'responder',
    verb: createIncident,
    names: incidentNames,
    success: 201,
  },
  {
    method: 'get',
    path: `${I}/:id`,
    role: 'viewer',
    found: entryFound,
    verb: async (_deps, _raw, _actor, at: V1At<Entry>) => incidentV1(at.found),
    success: 200,
  },
  {
    method: 'patch',
    path: `${I}/:id`,
    role: 'responder',
    found: entryFound,
    verb: updateIncident,
    pick: (entry: Entry) => (isWindow(entry) ? updateWindow : updateIncident),
    names: incidentNames,
    success: 200,
  },
  {
    method: 'delete',
    path: `${I}/:id`,
    role: 'viewer',
    found: entryFound,
    verb: async () => {
      throw new ConflictError(
        'Herald keeps every incident as the written record and never deletes one; resolve it (PATCH {"incident": {"status": "resolved"}}) instead.',
      );
    },
    success: 204,
  },
  {
    method: 'get',
    path: `${I}/:id/incident_updates`,
    role: 'viewer',
    found: entryFound,
    verb: async (_deps, _raw, _actor, at: V1At<Entry>) => at.found.incident_updates,
    success: 200,
  },
  {
    method: 'get',
    path: `${I}/:id/incident_updates/:update_id`,
    role: 'viewer',
    found: updateFound,
    verb: async (_deps, _raw, _actor, at) => at.found,
    success: 200,
  },
  {
    method: 'patch',
    path: `${I}/:id/incident_updates/:update_id`,
    role: 'viewer',
    found: updateFound,
    verb: async () => {
      throw new HTTPException(409, {
        message:
          'A published update is part of the record and is not edited; post a new update (PATCH the incident with a body) instead.',
      });
    },
    success: 200,
  },
];
