import { followedBy } from '../domain/shared/verb.ts';
import type { Deps } from '../deps.ts';
import { readUpcomingMaintenance } from '../domain/incidents/admin-views.ts';
import { cancelMaintenance } from '../domain/maintenance/cancel-maintenance.ts';
import { completeMaintenance } from '../domain/maintenance/complete-maintenance.ts';
import { extendMaintenance } from '../domain/maintenance/extend-maintenance.ts';
import { readAdminMaintenance } from '../domain/maintenance/maintenance-views.ts';
import { moveMaintenance } from '../domain/maintenance/move-maintenance.ts';
import { scheduleMaintenance } from '../domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../domain/maintenance/start-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
} from '../domain/settings/switch-maintenance.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { operation } from './operation.ts';

/** Switching on answers with the switch as the page now shows it. */
const switchOnAnswering = followedBy(switchMaintenanceOn, (deps: Deps) =>
  deps.reader.maintenanceSwitch(),
);

/**
 * Maintenance windows (schedule, start, extend, complete; cancel or move one not started) and
 * the emergency switch.
 */
export const maintenanceOps = {
  list: operation({
    method: 'get',
    path: '/maintenance',
    summary: 'Scheduled and running maintenance windows',
    role: 'responder',
    verb: async (deps) => ({ maintenance: await readUpcomingMaintenance(deps.db, 100) }),
    success: 200,
  }),
  schedule: operation({
    method: 'post',
    path: '/maintenance',
    summary: 'Schedule a maintenance window',
    role: 'responder',
    verb: scheduleMaintenance,
    answer: (maintenance) => ({ maintenance }),
    success: 201,
  }),
  read: operation({
    method: 'get',
    path: '/maintenance/:id',
    summary: 'One maintenance window with components, steps and emails',
    role: 'responder',
    verb: async (deps, { id }) => {
      const found = await readAdminMaintenance(deps.db, id);
      if (!found) throw new NotFoundError('maintenance', id);
      return found;
    },
    success: 200,
  }),
  start: operation({
    method: 'post',
    path: '/maintenance/:id/start',
    summary: 'Start a scheduled window now (the body may be empty)',
    role: 'responder',
    optionalBody: true,
    pathField: 'maintenanceId',
    verb: startMaintenance,
    answer: (maintenance) => ({ maintenance }),
    success: 200,
  }),
  complete: operation({
    method: 'post',
    path: '/maintenance/:id/complete',
    summary:
      'Complete a window in progress now (components get their status back; the body may be empty)',
    role: 'responder',
    optionalBody: true,
    pathField: 'maintenanceId',
    verb: completeMaintenance,
    answer: (maintenance) => ({ maintenance }),
    success: 200,
  }),
  extend: operation({
    method: 'post',
    path: '/maintenance/:id/extend',
    summary: 'Move the end of a window later',
    role: 'responder',
    pathField: 'maintenanceId',
    verb: extendMaintenance,
    answer: (maintenance) => ({ maintenance }),
    success: 200,
  }),
  cancel: operation({
    method: 'post',
    path: '/maintenance/:id/cancel',
    summary:
      'Call off a window that has not started (subscribers who were told of it get one notice; the body may be empty)',
    role: 'responder',
    optionalBody: true,
    pathField: 'maintenanceId',
    verb: cancelMaintenance,
    answer: (maintenance) => ({ maintenance }),
    success: 200,
  }),
  move: operation({
    method: 'post',
    path: '/maintenance/:id/move',
    summary:
      'Give a window that has not started a new start and end (subscribers who were told of it get one notice)',
    role: 'responder',
    pathField: 'maintenanceId',
    verb: moveMaintenance,
    answer: (maintenance) => ({ maintenance }),
    success: 200,
  }),
  switchRead: operation({
    method: 'get',
    path: '/maintenance-switch',
    summary: 'The emergency maintenance switch',
    role: 'responder',
    verb: (deps) => deps.reader.maintenanceSwitch(),
    success: 200,
  }),
  switchOn: operation({
    method: 'post',
    path: '/maintenance-switch',
    summary: 'Switch emergency maintenance on (or change its message and expected end)',
    role: 'responder',
    verb: switchOnAnswering,
    success: 200,
    cli: {
      command: 'maintenance on',
      flags: { message: 'message' },
      optionalFlags: { until: 'until' },
      args: '--message TEXT [--until ISO-TIME]',
      help: `switch emergency maintenance on, or change its message
(the maintenance page and the product's check say so until it is off)`,
      print: (s) => `Maintenance is on: ${s.message}${s.until ? ` (until ${s.until})` : ''}`,
    },
  }),
  switchOff: operation({
    method: 'delete',
    path: '/maintenance-switch',
    summary: 'Switch emergency maintenance off',
    role: 'responder',
    verb: async (deps, _path, actor) => {
      await switchMaintenanceOff(deps, {}, actor);
      return deps.reader.maintenanceSwitch();
    },
    success: 200,
    cli: {
      command: 'maintenance off',
      help: 'switch emergency maintenance off',
      print: () => 'Maintenance is off.',
    },
  }),
};

export const maintenanceOperations = Object.values(maintenanceOps);
