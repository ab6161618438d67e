import type { Deps } from '../deps.ts';
import { readAdminIncident, readAdminIncidentList } from '../domain/incidents/admin-views.ts';
import {
  changeIncidentOwner,
  changeIncidentOwnerInput,
} from '../domain/incidents/change-incident-owner.ts';
import {
  changeIncidentPriority,
  changeIncidentPriorityInput,
} from '../domain/incidents/change-incident-priority.ts';
import { declareIncident } from '../domain/incidents/declare-incident.ts';
import {
  postHoldingUpdate,
  postHoldingUpdateInput,
  setAutoHolding,
  setAutoHoldingInput,
} from '../domain/incidents/holding-update.ts';
import {
  declareIncidentInput,
  postIncidentUpdateInput,
  resolveIncidentInput,
} from '../domain/incidents/inputs.ts';
import { postIncidentUpdate } from '../domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../domain/incidents/resolve-incident.ts';
import { readPromiseReport } from '../domain/incidents/scheduled-views.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { actorOf, type Operation, pathId, op } from './operation.ts';

/** Incidents: declare, update, re-prioritise, hand over, resolve, and the promised next update. */
export function incidentOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/incidents',
        summary: 'Recent incidents, drills included',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json({ incidents: await readAdminIncidentList(deps.db) }),
    },
    {
      meta: {
        method: 'get',
        path: '/incidents/:id',
        summary: 'One incident with its full timeline (internal notes included)',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        const found = await readAdminIncident(deps.db, pathId(c), deps.clock.now());
        if (!found) throw new NotFoundError('incident', pathId(c));
        return c.json(found);
      },
    },
    op({
      meta: {
        method: 'post',
        path: '/incidents',
        summary: 'Declare an incident',
        role: 'responder',
        body: declareIncidentInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json(await declareIncident(deps, input, actorOf(c)), 201);
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/updates',
        summary: 'Post an update (status `resolved` resolves)',
        role: 'responder',
        body: postIncidentUpdateInput,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) => {
        return c.json(await postIncidentUpdate(deps, input, actorOf(c)), 201);
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/priority',
        summary: 'Change the priority, with a required reason',
        role: 'responder',
        body: changeIncidentPriorityInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await changeIncidentPriority(deps, input, actorOf(c)));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/owner',
        summary: 'Hand the incident to another user (null: nobody)',
        role: 'responder',
        body: changeIncidentOwnerInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await changeIncidentOwner(deps, input, actorOf(c)));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/resolve',
        summary: 'Resolve with the all-clear message',
        role: 'responder',
        body: resolveIncidentInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await resolveIncident(deps, input, actorOf(c)));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/holding',
        summary:
          'Post the holding update ("Nothing to update. Still investigating. Next update in 30 minutes."); the body may be empty',
        role: 'responder',
        body: postHoldingUpdateInput,
        optionalBody: true,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) => {
        return c.json(await postHoldingUpdate(deps, input, actorOf(c)), 201);
      },
    }),
    op({
      meta: {
        method: 'patch',
        path: '/incidents/:id/auto-holding',
        summary: 'Let Herald post the holding update itself when a promise lapses',
        role: 'responder',
        body: setAutoHoldingInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await setAutoHolding(deps, input, actorOf(c)));
      },
    }),
    {
      meta: {
        method: 'get',
        path: '/incidents/:id/promises',
        summary: 'Whether every promised update came on time, and by how much each was late',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        const found = await readPromiseReport(deps.db, pathId(c), deps.clock.now());
        if (!found) throw new NotFoundError('incident', pathId(c));
        return c.json({ incidentId: found.incident.id, ...found.report, entries: found.rows });
      },
    },
  ];
}
