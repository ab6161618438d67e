import type { Deps } from '../deps.ts';
import {
  cancelScheduledUpdate,
  editScheduledUpdate,
} from '../domain/incidents/edit-scheduled-update.ts';
import {
  editScheduledUpdateInput,
  scheduleIncidentInput,
  scheduleIncidentUpdateInput,
} from '../domain/incidents/inputs.ts';
import { scheduleIncident, scheduleIncidentUpdate } from '../domain/incidents/schedule-update.ts';
import {
  readScheduledPublished,
  readScheduledUpdate,
  readScheduledUpdates,
} from '../domain/incidents/scheduled-views.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { actorOf, type Operation, pathId, op } from './operation.ts';

const WEEK = 7 * 24 * 60 * 60_000;

/** Updates and incidents written now to go out later: list, read, schedule, edit, cancel. */
export function scheduledUpdateOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/scheduled-updates',
        summary: 'Updates waiting to go out, and those sent in the last 7 days (late ones flagged)',
        role: 'responder',
        success: 200,
      },
      handler: async (c) =>
        c.json({
          scheduled: await readScheduledUpdates(deps.db),
          recent: await readScheduledPublished(
            deps.db,
            new Date(deps.clock.now().getTime() - WEEK),
          ),
        }),
    },
    {
      meta: {
        method: 'get',
        path: '/scheduled-updates/:id',
        summary: 'One scheduled update with its intended component changes',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        const found = await readScheduledUpdate(deps.db, pathId(c));
        if (!found) throw new NotFoundError('scheduled update', pathId(c));
        return c.json(found);
      },
    },
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/scheduled-updates',
        summary: 'Write an update now to go out at `scheduledFor`',
        role: 'responder',
        body: scheduleIncidentUpdateInput,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) => {
        return c.json({ update: await scheduleIncidentUpdate(deps, input, actorOf(c)) }, 201);
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/scheduled-incidents',
        summary: 'Declare an incident that becomes public at `scheduledFor`',
        role: 'responder',
        body: scheduleIncidentInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json(await scheduleIncident(deps, input, actorOf(c)), 201);
      },
    }),
    op({
      meta: {
        method: 'patch',
        path: '/scheduled-updates/:id',
        summary: 'Edit a scheduled update until it goes out (409 after)',
        role: 'responder',
        body: editScheduledUpdateInput,
        omit: ['updateId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ update: await editScheduledUpdate(deps, input, actorOf(c)) });
      },
    }),
    {
      meta: {
        method: 'delete',
        path: '/scheduled-updates/:id',
        summary: 'Cancel a scheduled update before it goes out (409 after)',
        role: 'responder',
        success: 200,
      },
      handler: async (c) =>
        c.json({
          cancelled: await cancelScheduledUpdate(deps, { updateId: pathId(c) }, actorOf(c)),
        }),
    },
  ];
}
