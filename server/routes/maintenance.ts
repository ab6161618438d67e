import type { Deps } from '../deps.ts';
import { readUpcomingMaintenance } from '../domain/incidents/admin-views.ts';
import { completeMaintenance } from '../domain/maintenance/complete-maintenance.ts';
import {
  extendMaintenance,
  extendMaintenanceInput,
} from '../domain/maintenance/extend-maintenance.ts';
import { readAdminMaintenance } from '../domain/maintenance/maintenance-views.ts';
import {
  scheduleMaintenance,
  scheduleMaintenanceInput,
} from '../domain/maintenance/schedule-maintenance.ts';
import { maintenanceStepInput, startMaintenance } from '../domain/maintenance/start-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
  switchMaintenanceOnInput,
} from '../domain/settings/switch-maintenance.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { actorOf, type Operation, pathId, op } from './operation.ts';

/** Maintenance windows (schedule, start, extend, complete) and the emergency switch. */
export function maintenanceOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/maintenance',
        summary: 'Scheduled and running maintenance windows',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json({ maintenance: await readUpcomingMaintenance(deps.db, 100) }),
    },
    op({
      meta: {
        method: 'post',
        path: '/maintenance',
        summary: 'Schedule a maintenance window',
        role: 'responder',
        body: scheduleMaintenanceInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json({ maintenance: await scheduleMaintenance(deps, input, actorOf(c)) }, 201);
      },
    }),
    {
      meta: {
        method: 'get',
        path: '/maintenance/:id',
        summary: 'One maintenance window with components, steps and emails',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        const found = await readAdminMaintenance(deps.db, pathId(c));
        if (!found) throw new NotFoundError('maintenance', pathId(c));
        return c.json(found);
      },
    },
    op({
      meta: {
        method: 'post',
        path: '/maintenance/:id/start',
        summary: 'Start a scheduled window now (the body may be empty)',
        role: 'responder',
        body: maintenanceStepInput,
        optionalBody: true,
        omit: ['maintenanceId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ maintenance: await startMaintenance(deps, input, actorOf(c)) });
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/maintenance/:id/complete',
        summary:
          'Complete a window in progress now (components get their status back; the body may be empty)',
        role: 'responder',
        body: maintenanceStepInput,
        optionalBody: true,
        omit: ['maintenanceId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ maintenance: await completeMaintenance(deps, input, actorOf(c)) });
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/maintenance/:id/extend',
        summary: 'Move the end of a window later',
        role: 'responder',
        body: extendMaintenanceInput,
        omit: ['maintenanceId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ maintenance: await extendMaintenance(deps, input, actorOf(c)) });
      },
    }),
    {
      meta: {
        method: 'get',
        path: '/maintenance-switch',
        summary: 'The emergency maintenance switch',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json(await deps.reader.maintenanceSwitch()),
    },
    op({
      meta: {
        method: 'post',
        path: '/maintenance-switch',
        summary: 'Switch emergency maintenance on (or change its message and expected end)',
        role: 'responder',
        body: switchMaintenanceOnInput,
        success: 200,
      },
      handler: async (c, input) => {
        await switchMaintenanceOn(deps, input, actorOf(c));
        return c.json(await deps.reader.maintenanceSwitch());
      },
    }),
    {
      meta: {
        method: 'delete',
        path: '/maintenance-switch',
        summary: 'Switch emergency maintenance off',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        await switchMaintenanceOff(deps, {}, actorOf(c));
        return c.json(await deps.reader.maintenanceSwitch());
      },
    },
  ];
}
