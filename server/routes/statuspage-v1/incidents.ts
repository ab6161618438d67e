import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import {
  componentStatuses,
  impacts,
  incidentStatuses,
  maintenanceStatuses,
} from '../../../db/schema/enums.ts';
import type { Deps } from '../../deps.ts';
import { changeIncidentPriority } from '../../domain/incidents/change-incident-priority.ts';
import { declareIncident } from '../../domain/incidents/declare-incident.ts';
import { postIncidentUpdateInput, priorityInput } from '../../domain/incidents/inputs.ts';
import { parseInput } from '../../domain/shared/parse.ts';
import { postIncidentUpdate } from '../../domain/incidents/post-incident-update.ts';
import {
  defaultBodyByStatus,
  impactFromStatuses,
  priorityByImpact,
} from '../../domain/incidents/statuspage-priority.ts';
import { completeMaintenance } from '../../domain/maintenance/complete-maintenance.ts';
import { extendMaintenance } from '../../domain/maintenance/extend-maintenance.ts';
import { scheduleMaintenance } from '../../domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../../domain/maintenance/start-maintenance.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/shared/errors.ts';
import { instantInput } from '../../domain/shared/inputs.ts';
import { type EntrySelection, readEntryPage } from '../../domain/status/read-management.ts';
import {
  actorOf,
  inV1Words,
  paging,
  param,
  type V1Context,
  type V1Env,
  v1Body,
} from './context.ts';
import { incidentV1 } from './shapes.ts';

// Statuspage keeps incidents and scheduled maintenances in one collection; Herald keeps them
// apart. An incident body with `scheduled_for` is a maintenance window; everything else is an
// incident. Each write is one of Herald's verbs, so roles, audit, promises and broadcast rules
// are the ones every other surface gets.

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
      .array(z.string({ error: 'must be component ids' }))
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
const incidentBody = z.strictObject({ incident: incidentFields }).transform(({ incident }) => ({
  incident: { ...incident, body: incident.body || incident.message || null },
}));
type IncidentFields = z.output<typeof incidentFields>;

const incidentNames = {
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

const fieldError = (field: string, message: string) =>
  new ValidationError(`${field}: ${message}`, { [field]: message });

/** The priority the body asks for: metadata.herald.priority, else the impact table. */
function wantedPriority(b: IncidentFields): number | undefined {
  const explicit = b.metadata?.herald?.priority;
  if (explicit !== undefined) return explicit;
  return b.impact_override ? priorityByImpact[b.impact_override] : undefined;
}

export function incidentRoutes(deps: Deps) {
  const app = new Hono<V1Env>();

  const lists: Record<string, EntrySelection> = {
    '/incidents': 'all',
    '/incidents/unresolved': 'unresolved',
    '/incidents/scheduled': 'scheduled',
    '/incidents/upcoming': 'scheduled',
    '/incidents/active_maintenance': 'active_maintenance',
  };
  for (const [path, which] of Object.entries(lists)) {
    const handler = async (c: V1Context) => {
      const { page, components } = await deps.reader.components();
      const q = c.req.query('q');
      const entries = await readEntryPage(deps.db, page, components, {
        which,
        ...paging(c),
        q: q || undefined,
      });
      return c.json(entries.map(incidentV1));
    };
    app.get(path, handler);
    app.get(`${path}.json`, handler);
  }

  const entryOr404 = async (id: string) => {
    const { entry } = await deps.reader.entry(id);
    if (!entry) throw new NotFoundError('incident', id);
    return entry;
  };

  /** Each named component with its status: from `components`, else as it stands now. */
  const componentStatusesOf = async (b: IncidentFields) => {
    const map = b.components ?? {};
    const ids = [...new Set([...(b.component_ids ?? []), ...Object.keys(map)])];
    const current = (await deps.reader.components()).components;
    // Checked before any write: a request that needs two verbs (a new priority and an update)
    // must not leave the first done when the second refuses.
    const unknown = ids.filter((id) => !current.some((x) => x.id === id && !x.group));
    if (unknown.length)
      throw fieldError('incident.components', `no component with id ${unknown.join(', ')}`);
    return ids.map((id) => ({
      componentId: id,
      status: map[id] ?? current.find((x) => x.id === id)?.status ?? 'operational',
    }));
  };

  const create = async (c: V1Context) => {
    const { incident: b } = await v1Body(c, incidentBody);
    const actor = actorOf(c);
    if (b.scheduled_for || b.scheduled_until) {
      if (!b.scheduled_for)
        throw fieldError('incident.scheduled_for', 'is required with scheduled_until');
      if (!b.scheduled_until)
        throw fieldError('incident.scheduled_until', 'is required with scheduled_for');
      if (b.status && b.status !== 'scheduled')
        throw fieldError('incident.status', 'must be scheduled for a new scheduled maintenance');
      const m = await inV1Words(incidentNames, () =>
        scheduleMaintenance(
          deps,
          {
            title: b.name ?? '',
            description: b.body || b.name || '',
            scheduledFor: b.scheduled_for!,
            scheduledUntil: b.scheduled_until!,
            componentIds: [
              ...new Set([...(b.component_ids ?? []), ...Object.keys(b.components ?? {})]),
            ],
            notify: b.deliver_notifications ?? true,
            notifyReminder: b.scheduled_remind_prior ?? false,
            reminderLeadMinutes: 60,
            autoStart: b.scheduled_auto_in_progress ?? false,
            autoComplete: b.scheduled_auto_completed ?? false,
          },
          actor,
        ),
      );
      return c.json(incidentV1(await entryOr404(m.id)), 201);
    }
    const status = b.status ?? 'investigating';
    if (!(incidentStatuses as readonly string[]).includes(status))
      throw fieldError(
        'incident.status',
        `${status} is for scheduled maintenances (send scheduled_for)`,
      );
    const components = await componentStatusesOf(b);
    const priority =
      wantedPriority(b) ?? priorityByImpact[impactFromStatuses(components.map((x) => x.status))];
    const notify = b.deliver_notifications;
    const { incident } = await inV1Words(incidentNames, () =>
      declareIncident(
        deps,
        {
          title: b.name ?? '',
          priority,
          status: status === 'resolved' ? 'investigating' : (status as 'investigating'),
          impact: b.impact_override ?? undefined,
          body: b.body || defaultBodyByStatus[status as 'investigating'],
          components,
          notify,
        },
        actor,
      ),
    );
    // Statuspage takes an incident that is already over (filed afterwards); Herald declares it
    // and resolves it at once.
    if (status === 'resolved')
      await postIncidentUpdate(
        deps,
        {
          incidentId: incident.id,
          status: 'resolved',
          body: defaultBodyByStatus.resolved,
          notify,
        },
        actor,
      );
    const created = incidentV1(await entryOr404(incident.id));
    return c.json({ ...created, impact_override: b.impact_override ?? null }, 201);
  };
  app.post('/incidents', create);
  app.post('/incidents.json', create);

  app.get('/incidents/:id', async (c) => c.json(incidentV1(await entryOr404(param(c, 'id')))));

  const update = async (c: V1Context) => {
    const id = param(c, 'id');
    const entry = await entryOr404(id);
    const { incident: b } = await v1Body(c, incidentBody);
    const actor = actorOf(c);
    if ('scheduled_until' in entry) {
      if (b.name !== undefined && b.name !== entry.name)
        throw fieldError('incident.name', 'cannot be changed once a maintenance is scheduled');
      if (b.components || b.component_ids)
        throw fieldError(
          'incident.components',
          'cannot be changed once a maintenance is scheduled',
        );
      if (b.scheduled_until && b.scheduled_until.getTime() !== Date.parse(entry.scheduled_until))
        await inV1Words(incidentNames, () =>
          extendMaintenance(
            deps,
            { maintenanceId: id, scheduledUntil: b.scheduled_until!, body: b.body ?? undefined },
            actor,
          ),
        );
      if (b.status && b.status !== entry.status) {
        if (b.status === 'in_progress')
          await startMaintenance(deps, { maintenanceId: id, body: b.body ?? undefined }, actor);
        else if (b.status === 'completed')
          await completeMaintenance(deps, { maintenanceId: id, body: b.body ?? undefined }, actor);
        else
          throw fieldError(
            'incident.status',
            `a maintenance moves to in_progress or completed here, not ${b.status}`,
          );
      }
      return c.json(incidentV1(await entryOr404(id)));
    }

    if (b.name !== undefined && b.name !== entry.name)
      throw fieldError('incident.name', 'cannot be changed once the incident is declared');
    if (b.scheduled_for || b.scheduled_until)
      throw fieldError('incident.scheduled_for', 'only a scheduled maintenance has a window');
    if (b.status && !(incidentStatuses as readonly string[]).includes(b.status))
      throw fieldError('incident.status', `must be one of ${incidentStatuses.join(', ')}`);
    const posting =
      b.status !== undefined ||
      !!b.body ||
      b.components !== undefined ||
      b.component_ids !== undefined;
    const priority = wantedPriority(b);
    const reprioritise = priority !== undefined && priority !== entry.priority;
    if ((posting || reprioritise) && entry.status === 'resolved')
      throw new ConflictError(
        'This incident is resolved; declare a new incident instead of updating it.',
      );
    const components = await componentStatusesOf(b);
    const status = (b.status ?? entry.status) as (typeof incidentStatuses)[number];
    // Parsed with the verb's own schema before anything is written.
    const newUpdate = posting
      ? await inV1Words(incidentNames, async () =>
          parseInput(postIncidentUpdateInput, {
            incidentId: id,
            status,
            body: b.body || defaultBodyByStatus[status],
            components,
            notify: b.deliver_notifications,
          }),
        )
      : null;
    if (reprioritise)
      await inV1Words(incidentNames, () =>
        changeIncidentPriority(
          deps,
          {
            incidentId: id,
            priority: priority!,
            reason:
              b.metadata?.herald?.priority !== undefined
                ? 'Set through the Statuspage API (metadata.herald.priority).'
                : `Set through the Statuspage API (impact_override ${b.impact_override}).`,
          },
          actor,
        ),
      );
    if (newUpdate) await postIncidentUpdate(deps, newUpdate, actor);
    return c.json(incidentV1(await entryOr404(id)));
  };
  app.patch('/incidents/:id', update);
  app.put('/incidents/:id', update);

  app.delete('/incidents/:id', async (c) => {
    await entryOr404(param(c, 'id'));
    throw new ConflictError(
      'Herald keeps every incident as the written record and never deletes one; resolve it (PATCH {"incident": {"status": "resolved"}}) instead.',
    );
  });

  app.get('/incidents/:id/incident_updates', async (c) =>
    c.json((await entryOr404(param(c, 'id'))).incident_updates),
  );
  const tune = async (c: V1Context) => {
    const entry = await entryOr404(param(c, 'id'));
    const updateId = param(c, 'update_id');
    if (!entry.incident_updates.some((u) => u.id === updateId))
      throw new NotFoundError('incident update', updateId);
    throw new HTTPException(409, {
      message:
        'A published update is part of the record and is not edited; post a new update (PATCH the incident with a body) instead.',
    });
  };
  app.get('/incidents/:id/incident_updates/:update_id', async (c) => {
    const entry = await entryOr404(param(c, 'id'));
    const found = entry.incident_updates.find((u) => u.id === param(c, 'update_id'));
    if (!found) throw new NotFoundError('incident update', param(c, 'update_id'));
    return c.json(found);
  });
  app.patch('/incidents/:id/incident_updates/:update_id', tune);
  app.put('/incidents/:id/incident_updates/:update_id', tune);
  return app;
}
