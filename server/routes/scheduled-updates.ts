import type { Context } from 'hono';
import type { Deps } from '../deps.ts';
import {
  cancelScheduledUpdate,
  editScheduledUpdate,
} from '../domain/incidents/edit-scheduled-update.ts';
import {
  postHoldingUpdate,
  postHoldingUpdateInput,
  setAutoHolding,
  setAutoHoldingInput,
} from '../domain/incidents/holding-update.ts';
import {
  editScheduledUpdateInput,
  scheduleIncidentInput,
  scheduleIncidentUpdateInput,
} from '../domain/incidents/inputs.ts';
import { scheduleIncident, scheduleIncidentUpdate } from '../domain/incidents/schedule-update.ts';
import {
  readPromiseReport,
  readScheduledPublished,
  readScheduledUpdate,
  readScheduledUpdates,
} from '../domain/incidents/scheduled-views.ts';
import { completeMaintenance } from '../domain/maintenance/complete-maintenance.ts';
import {
  extendMaintenance,
  extendMaintenanceInput,
} from '../domain/maintenance/extend-maintenance.ts';
import { readAdminMaintenance } from '../domain/maintenance/maintenance-views.ts';
import { maintenanceStepInput, startMaintenance } from '../domain/maintenance/start-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
  switchMaintenanceOnInput,
} from '../domain/settings/switch-maintenance.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import type { AuthEnv } from '../http/auth.ts';
import type { ApiOperation } from '../http/openapi.ts';

type Ctx = Context<AuthEnv>;
type Op = (meta: ApiOperation, handler: (c: Ctx) => Promise<Response> | Response) => void;

const WEEK = 7 * 24 * 60 * 60_000;

/**
 * The admin API for everything on the clock, registered into the admin API's operation table
 * (so auth, roles and the OpenAPI document come from one place): scheduled updates and
 * incidents, holding updates and the promise report, maintenance window steps, the switch.
 */
export function timeApiOperations(
  deps: Deps,
  op: Op,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  const actor = (c: Ctx) => c.get('actor');
  const id = (c: Ctx) => c.req.param('id') ?? '';
  const v = <T>(x: T) => x as never;

  // Scheduled updates and incidents
  op(
    {
      method: 'get',
      path: '/scheduled-updates',
      summary: 'Updates waiting to go out, and those sent in the last 7 days (late ones flagged)',
      role: 'responder',
      success: 200,
    },
    async (c) =>
      c.json({
        scheduled: await readScheduledUpdates(deps.db),
        recent: await readScheduledPublished(deps.db, new Date(deps.clock.now().getTime() - WEEK)),
      }),
  );
  op(
    {
      method: 'get',
      path: '/scheduled-updates/:id',
      summary: 'One scheduled update with its intended component changes',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      const found = await readScheduledUpdate(deps.db, id(c));
      if (!found) throw new NotFoundError('scheduled update', id(c));
      return c.json(found);
    },
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/scheduled-updates',
      summary: 'Write an update now to go out at `scheduledFor`',
      role: 'responder',
      body: scheduleIncidentUpdateInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        {
          update: await scheduleIncidentUpdate(
            deps,
            v({ ...(await body(c)), incidentId: id(c) }),
            actor(c),
          ),
        },
        201,
      ),
  );
  op(
    {
      method: 'post',
      path: '/scheduled-incidents',
      summary: 'Declare an incident that becomes public at `scheduledFor`',
      role: 'responder',
      body: scheduleIncidentInput,
      success: 201,
    },
    async (c) => c.json(await scheduleIncident(deps, v(await body(c)), actor(c)), 201),
  );
  op(
    {
      method: 'patch',
      path: '/scheduled-updates/:id',
      summary: 'Edit a scheduled update until it goes out (409 after)',
      role: 'responder',
      body: editScheduledUpdateInput,
      omit: ['updateId'],
      success: 200,
    },
    async (c) =>
      c.json({
        update: await editScheduledUpdate(
          deps,
          v({ ...(await body(c)), updateId: id(c) }),
          actor(c),
        ),
      }),
  );
  op(
    {
      method: 'delete',
      path: '/scheduled-updates/:id',
      summary: 'Cancel a scheduled update before it goes out (409 after)',
      role: 'responder',
      success: 200,
    },
    async (c) =>
      c.json({ cancelled: await cancelScheduledUpdate(deps, { updateId: id(c) }, actor(c)) }),
  );

  // The promise
  op(
    {
      method: 'post',
      path: '/incidents/:id/holding',
      summary:
        'Post the holding update ("Nothing to update. Still investigating. Next update in 30 minutes.")',
      role: 'responder',
      body: postHoldingUpdateInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        await postHoldingUpdate(
          deps,
          v({ ...(await body(c).catch(() => ({}))), incidentId: id(c) }),
          actor(c),
        ),
        201,
      ),
  );
  op(
    {
      method: 'patch',
      path: '/incidents/:id/auto-holding',
      summary: 'Let Herald post the holding update itself when a promise lapses',
      role: 'responder',
      body: setAutoHoldingInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) =>
      c.json(await setAutoHolding(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c))),
  );
  op(
    {
      method: 'get',
      path: '/incidents/:id/promises',
      summary: 'Whether every promised update came on time, and by how much each was late',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      const found = await readPromiseReport(deps.db, id(c), deps.clock.now());
      if (!found) throw new NotFoundError('incident', id(c));
      return c.json({ incidentId: found.incident.id, ...found.report, entries: found.rows });
    },
  );

  // Maintenance window steps
  op(
    {
      method: 'get',
      path: '/maintenance/:id',
      summary: 'One maintenance window with components, steps and emails',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      const found = await readAdminMaintenance(deps.db, id(c));
      if (!found) throw new NotFoundError('maintenance', id(c));
      return c.json(found);
    },
  );
  op(
    {
      method: 'post',
      path: '/maintenance/:id/start',
      summary: 'Start a scheduled window now',
      role: 'responder',
      body: maintenanceStepInput,
      omit: ['maintenanceId'],
      success: 200,
    },
    async (c) =>
      c.json({
        maintenance: await startMaintenance(
          deps,
          v({ ...(await body(c).catch(() => ({}))), maintenanceId: id(c) }),
          actor(c),
        ),
      }),
  );
  op(
    {
      method: 'post',
      path: '/maintenance/:id/complete',
      summary: 'Complete a window in progress now (components get their status back)',
      role: 'responder',
      body: maintenanceStepInput,
      omit: ['maintenanceId'],
      success: 200,
    },
    async (c) =>
      c.json({
        maintenance: await completeMaintenance(
          deps,
          v({ ...(await body(c).catch(() => ({}))), maintenanceId: id(c) }),
          actor(c),
        ),
      }),
  );
  op(
    {
      method: 'post',
      path: '/maintenance/:id/extend',
      summary: 'Move the end of a window later',
      role: 'responder',
      body: extendMaintenanceInput,
      omit: ['maintenanceId'],
      success: 200,
    },
    async (c) =>
      c.json({
        maintenance: await extendMaintenance(
          deps,
          v({ ...(await body(c)), maintenanceId: id(c) }),
          actor(c),
        ),
      }),
  );

  // The maintenance switch
  op(
    {
      method: 'get',
      path: '/maintenance-switch',
      summary: 'The emergency maintenance switch',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json(await deps.reader.maintenanceSwitch()),
  );
  op(
    {
      method: 'post',
      path: '/maintenance-switch',
      summary: 'Switch emergency maintenance on (or change its message and expected end)',
      role: 'responder',
      body: switchMaintenanceOnInput,
      success: 200,
    },
    async (c) => {
      await switchMaintenanceOn(deps, v(await body(c)), actor(c));
      return c.json(await deps.reader.maintenanceSwitch());
    },
  );
  op(
    {
      method: 'delete',
      path: '/maintenance-switch',
      summary: 'Switch emergency maintenance off',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      await switchMaintenanceOff(deps, {}, actor(c));
      return c.json(await deps.reader.maintenanceSwitch());
    },
  );
}
