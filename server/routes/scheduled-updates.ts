import {
  cancelScheduledUpdate,
  editScheduledUpdate,
} from '../domain/incidents/edit-scheduled-update.ts';
import { scheduleIncident, scheduleIncidentUpdate } from '../domain/incidents/schedule-update.ts';
import {
  readScheduledPublished,
  readScheduledUpdate,
  readScheduledUpdates,
} from '../domain/incidents/scheduled-views.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { operation } from './operation.ts';

const WEEK = 7 * 24 * 60 * 60_000;

/** Updates and incidents written now to go out later: list, read, schedule, edit, cancel. */
export const scheduledUpdateOps = {
  list: operation({
    method: 'get',
    path: '/scheduled-updates',
    summary: 'Updates waiting to go out, and those sent in the last 7 days (late ones flagged)',
    role: 'responder',
    verb: async (deps) => ({
      scheduled: await readScheduledUpdates(deps.db),
      recent: await readScheduledPublished(deps.db, new Date(deps.clock.now().getTime() - WEEK)),
    }),
    success: 200,
  }),
  read: operation({
    method: 'get',
    path: '/scheduled-updates/:id',
    summary: 'One scheduled update with its intended component changes',
    role: 'responder',
    verb: async (deps, { id }) => {
      const found = await readScheduledUpdate(deps.db, id);
      if (!found) throw new NotFoundError('scheduled update', id);
      return found;
    },
    success: 200,
  }),
  scheduleUpdate: operation({
    method: 'post',
    path: '/incidents/:id/scheduled-updates',
    summary: 'Write an update now to go out at `scheduledFor`',
    role: 'responder',
    pathField: 'incidentId',
    verb: scheduleIncidentUpdate,
    answer: (update) => ({ update }),
    success: 201,
  }),
  scheduleIncident: operation({
    method: 'post',
    path: '/scheduled-incidents',
    summary: 'Declare an incident that becomes public at `scheduledFor`',
    role: 'responder',
    verb: scheduleIncident,
    success: 201,
  }),
  edit: operation({
    method: 'patch',
    path: '/scheduled-updates/:id',
    summary: 'Edit a scheduled update until it goes out (409 after)',
    role: 'responder',
    pathField: 'updateId',
    verb: editScheduledUpdate,
    answer: (update) => ({ update }),
    success: 200,
  }),
  cancel: operation({
    method: 'delete',
    path: '/scheduled-updates/:id',
    summary: 'Cancel a scheduled update before it goes out (409 after)',
    role: 'responder',
    verb: (deps, { id }, actor) => cancelScheduledUpdate(deps, { updateId: id }, actor),
    answer: (cancelled) => ({ cancelled }),
    success: 200,
  }),
};

export const scheduledUpdateOperations = Object.values(scheduledUpdateOps);
