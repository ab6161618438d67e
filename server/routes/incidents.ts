import { readAdminIncident, readAdminIncidentList } from '../domain/incidents/admin-views.ts';
import { changeIncidentOwner } from '../domain/incidents/change-incident-owner.ts';
import { changeIncidentPriority } from '../domain/incidents/change-incident-priority.ts';
import { changeIncidentAudiences } from '../domain/incidents/change-incident-audiences.ts';
import { declareIncident } from '../domain/incidents/declare-incident.ts';
import { postHoldingUpdate, setAutoHolding } from '../domain/incidents/holding-update.ts';
import { postIncidentUpdate } from '../domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../domain/incidents/resolve-incident.ts';
import { readPromiseReport } from '../domain/incidents/scheduled-views.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { operation } from './operation.ts';

/** Incidents: declare, update, re-prioritise, hand over, resolve, and the promised next update. */
export const incidentOps = {
  list: operation({
    method: 'get',
    path: '/incidents',
    summary: 'Recent incidents, drills included',
    role: 'viewer',
    verb: async (deps) => ({ incidents: await readAdminIncidentList(deps.db) }),
    success: 200,
  }),
  read: operation({
    method: 'get',
    path: '/incidents/:id',
    summary: 'One incident with its full timeline (internal notes included)',
    role: 'viewer',
    verb: async (deps, { id }) => {
      const found = await readAdminIncident(deps.db, id, deps.clock.now());
      if (!found) throw new NotFoundError('incident', id);
      return found;
    },
    success: 200,
  }),
  declare: operation({
    method: 'post',
    path: '/incidents',
    summary: 'Declare an incident',
    role: 'responder',
    verb: declareIncident,
    success: 201,
  }),
  update: operation({
    method: 'post',
    path: '/incidents/:id/updates',
    summary: 'Post an update (status `resolved` resolves)',
    role: 'responder',
    pathField: 'incidentId',
    verb: postIncidentUpdate,
    success: 201,
  }),
  priority: operation({
    method: 'post',
    path: '/incidents/:id/priority',
    summary: 'Change the priority, with a required reason',
    role: 'responder',
    pathField: 'incidentId',
    verb: changeIncidentPriority,
    success: 200,
  }),
  owner: operation({
    method: 'post',
    path: '/incidents/:id/owner',
    summary: 'Hand the incident to another user (null: nobody)',
    role: 'responder',
    pathField: 'incidentId',
    verb: changeIncidentOwner,
    success: 200,
  }),
  audiences: operation({
    method: 'put',
    path: '/incidents/:id/audiences',
    summary:
      'Who may see it: `"everyone"` widens an audience-only incident to the public; a list of audience slugs changes whose it is. A public incident is never narrowed (409)',
    role: 'responder',
    pathField: 'incidentId',
    verb: changeIncidentAudiences,
    success: 200,
  }),
  resolve: operation({
    method: 'post',
    path: '/incidents/:id/resolve',
    summary: 'Resolve with the all-clear message',
    role: 'responder',
    pathField: 'incidentId',
    verb: resolveIncident,
    success: 200,
  }),
  holding: operation({
    method: 'post',
    path: '/incidents/:id/holding',
    summary:
      'Post the holding update ("Nothing to update. Still investigating. Next update in 30 minutes."); the body may be empty',
    role: 'responder',
    optionalBody: true,
    pathField: 'incidentId',
    verb: postHoldingUpdate,
    success: 201,
  }),
  autoHolding: operation({
    method: 'patch',
    path: '/incidents/:id/auto-holding',
    summary: 'Let Herald post the holding update itself when a promise lapses',
    role: 'responder',
    pathField: 'incidentId',
    verb: setAutoHolding,
    success: 200,
  }),
  promises: operation({
    method: 'get',
    path: '/incidents/:id/promises',
    summary: 'Whether every promised update came on time, and by how much each was late',
    role: 'viewer',
    verb: async (deps, { id }) => {
      const found = await readPromiseReport(deps.db, id, deps.clock.now());
      if (!found) throw new NotFoundError('incident', id);
      return { incidentId: found.incident.id, ...found.report, entries: found.rows };
    },
    success: 200,
  }),
};

export const incidentOperations = Object.values(incidentOps);
