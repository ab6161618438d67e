import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import {
  createApiToken,
  createApiTokenInput,
  listApiTokens,
  revokeApiToken,
} from '../domain/auth/api-tokens.ts';
import { listAudit } from '../domain/audit/list-audit.ts';
import { createComponent, createComponentInput } from '../domain/components/create-component.ts';
import {
  setComponentStatus,
  setComponentStatusInput,
} from '../domain/components/set-component-status.ts';
import {
  deleteComponent,
  moveComponent,
  moveComponentInput,
  updateComponent,
  updateComponentInput,
} from '../domain/components/update-component.ts';
import { readAdminIncident, readAdminIncidentList } from '../domain/incidents/admin-views.ts';
import {
  changeIncidentPriority,
  changeIncidentPriorityInput,
} from '../domain/incidents/change-incident-priority.ts';
import { declareIncident } from '../domain/incidents/declare-incident.ts';
import {
  declareIncidentInput,
  postIncidentUpdateInput,
  resolveIncidentInput,
} from '../domain/incidents/inputs.ts';
import { postIncidentUpdate } from '../domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../domain/incidents/resolve-incident.ts';
import {
  changeIncidentOwner,
  changeIncidentOwnerInput,
} from '../domain/incidents/change-incident-owner.ts';
import {
  scheduleMaintenance,
  scheduleMaintenanceInput,
} from '../domain/maintenance/schedule-maintenance.ts';
import { readUpcomingMaintenance } from '../domain/incidents/admin-views.ts';
import { getSettings } from '../domain/settings/get-settings.ts';
import { updateSettings, updateSettingsInput } from '../domain/settings/update-settings.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { createUser } from '../domain/users/create-user.ts';
import { createUserInput } from '../domain/users/inputs.ts';
import { listUsers } from '../domain/users/update-user.ts';
import { apiAuth, type AuthEnv, requireRole } from '../http/auth.ts';
import { type ApiOperation, buildOpenApi } from '../http/openapi.ts';
import { timeApiOperations } from './scheduled-updates.ts';
import { registerBroadcastApi } from './broadcasts.ts';

type Ctx = Context<AuthEnv>;

/** The JSON body as an object; anything else is a 400 naming the problem. */
async function body(c: Ctx): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new HTTPException(400, {
      message: 'The request body must be a JSON object (Content-Type: application/json).',
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new HTTPException(400, { message: 'The request body must be a JSON object.' });
  }
  return value as Record<string, unknown>;
}

/**
 * The admin JSON API under /api/admin. Every operation is declared once in a table that
 * registers the Hono route (auth, role) and generates /api/admin/openapi.json from the domain
 * verbs' own zod schemas. Validation, role checks and auditing happen in the verbs.
 */
export function adminApiRoutes(deps: Deps) {
  const app = new Hono<AuthEnv>();
  const ops: ApiOperation[] = [];
  const v = <T>(x: T) => x as never;

  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });
  app.get('/openapi.json', (c) => c.json(buildOpenApi(ops, deps.config.publicUrl)));
  app.use('*', apiAuth(deps));

  function op(meta: ApiOperation, handler: (c: Ctx) => Promise<Response> | Response) {
    ops.push(meta);
    app.on(meta.method.toUpperCase(), meta.path, requireRole(meta.role), handler);
  }
  const actor = (c: Ctx) => c.get('actor');
  const id = (c: Ctx) => c.req.param('id') ?? '';

  op(
    {
      method: 'get',
      path: '/me',
      summary: 'Who the token or session acts as',
      role: 'responder',
      success: 200,
    },
    (c) => {
      const a = actor(c);
      return c.json({ actor: { type: a.type, id: a.id, label: a.label, role: a.role } });
    },
  );

  // Components
  op(
    {
      method: 'get',
      path: '/components',
      summary: 'List components and groups in display order',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json({ components: (await deps.reader.components()).components }),
  );
  op(
    {
      method: 'post',
      path: '/components',
      summary: 'Create a component or group',
      role: 'admin',
      body: createComponentInput,
      success: 201,
    },
    async (c) =>
      c.json({ component: await createComponent(deps, v(await body(c)), actor(c)) }, 201),
  );
  op(
    {
      method: 'patch',
      path: '/components/:id',
      summary: 'Rename, describe or regroup a component',
      role: 'admin',
      body: updateComponentInput,
      omit: ['componentId'],
      success: 200,
    },
    async (c) =>
      c.json({
        component: await updateComponent(
          deps,
          { ...(await body(c)), componentId: id(c) },
          actor(c),
        ),
      }),
  );
  op(
    {
      method: 'post',
      path: '/components/:id/status',
      summary: "Set a component's status",
      role: 'responder',
      body: setComponentStatusInput,
      omit: ['componentId'],
      success: 200,
    },
    async (c) =>
      c.json(
        await setComponentStatus(deps, v({ ...(await body(c)), componentId: id(c) }), actor(c)),
      ),
  );
  op(
    {
      method: 'post',
      path: '/components/:id/move',
      summary: 'Move a component one place up or down',
      role: 'admin',
      body: moveComponentInput,
      omit: ['componentId'],
      success: 200,
    },
    async (c) =>
      c.json(await moveComponent(deps, v({ ...(await body(c)), componentId: id(c) }), actor(c))),
  );
  op(
    {
      method: 'delete',
      path: '/components/:id',
      summary: 'Delete a component (a group must be empty)',
      role: 'admin',
      success: 200,
    },
    async (c) =>
      c.json({ deleted: (await deleteComponent(deps, { componentId: id(c) }, actor(c))).id }),
  );

  // Incidents and updates
  op(
    {
      method: 'get',
      path: '/incidents',
      summary: 'Recent incidents, drills included',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json({ incidents: await readAdminIncidentList(deps.db) }),
  );
  op(
    {
      method: 'get',
      path: '/incidents/:id',
      summary: 'One incident with its full timeline (internal notes included)',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      const found = await readAdminIncident(deps.db, id(c), deps.clock.now());
      if (!found) throw new NotFoundError(`No incident with id ${id(c)}.`);
      return c.json(found);
    },
  );
  op(
    {
      method: 'post',
      path: '/incidents',
      summary: 'Declare an incident',
      role: 'responder',
      body: declareIncidentInput,
      success: 201,
    },
    async (c) => c.json(await declareIncident(deps, v(await body(c)), actor(c)), 201),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/updates',
      summary: 'Post an update (status `resolved` resolves)',
      role: 'responder',
      body: postIncidentUpdateInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        await postIncidentUpdate(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c)),
        201,
      ),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/priority',
      summary: 'Change the priority, with a required reason',
      role: 'responder',
      body: changeIncidentPriorityInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) =>
      c.json(
        await changeIncidentPriority(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c)),
      ),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/owner',
      summary: 'Hand the incident to another user (null: nobody)',
      role: 'responder',
      body: changeIncidentOwnerInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) =>
      c.json(
        await changeIncidentOwner(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c)),
      ),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/resolve',
      summary: 'Resolve with the all-clear message',
      role: 'responder',
      body: resolveIncidentInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) =>
      c.json(await resolveIncident(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c))),
  );

  // Maintenance
  op(
    {
      method: 'get',
      path: '/maintenance',
      summary: 'Scheduled and running maintenance windows',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json({ maintenance: await readUpcomingMaintenance(deps.db, 100) }),
  );
  op(
    {
      method: 'post',
      path: '/maintenance',
      summary: 'Schedule a maintenance window',
      role: 'responder',
      body: scheduleMaintenanceInput,
      success: 201,
    },
    async (c) =>
      c.json({ maintenance: await scheduleMaintenance(deps, v(await body(c)), actor(c)) }, 201),
  );

  // Scheduled updates, promises, maintenance steps and the switch (the time branch)
  timeApiOperations(deps, op, body);

  // Admin only: settings, users, tokens, audit log
  op(
    { method: 'get', path: '/settings', summary: 'Page settings', role: 'admin', success: 200 },
    async (c) => {
      const s = await getSettings(deps.db);
      return c.json({
        settings: {
          pageName: s.pageName,
          publicUrl: s.publicUrl,
          timeZone: s.timeZone,
          promiseMinutesP0: s.promiseMinutesP0,
          promiseMinutesP1: s.promiseMinutesP1,
          promiseMinutesP2: s.promiseMinutesP2,
          promiseMinutesP3: s.promiseMinutesP3,
        },
      });
    },
  );
  op(
    {
      method: 'patch',
      path: '/settings',
      summary: 'Change page name, public URL or time zone',
      role: 'admin',
      body: updateSettingsInput,
      success: 200,
    },
    async (c) => c.json({ settings: await updateSettings(deps, v(await body(c)), actor(c)) }),
  );
  op(
    { method: 'get', path: '/users', summary: 'List users', role: 'admin', success: 200 },
    async (c) => c.json({ users: await listUsers(deps) }),
  );
  op(
    {
      method: 'post',
      path: '/users',
      summary: 'Create a user',
      role: 'admin',
      body: createUserInput,
      success: 201,
    },
    async (c) => c.json({ user: await createUser(deps, v(await body(c)), actor(c)) }, 201),
  );
  op(
    {
      method: 'get',
      path: '/tokens',
      summary: 'List API tokens (never the secrets)',
      role: 'admin',
      success: 200,
    },
    async (c) => c.json({ tokens: await listApiTokens(deps) }),
  );
  op(
    {
      method: 'post',
      path: '/tokens',
      summary: 'Create an API token; the secret is in this response only',
      role: 'admin',
      body: createApiTokenInput,
      success: 201,
    },
    async (c) => c.json(await createApiToken(deps, v(await body(c)), actor(c)), 201),
  );
  op(
    {
      method: 'delete',
      path: '/tokens/:id',
      summary: 'Revoke an API token',
      role: 'admin',
      success: 200,
    },
    async (c) => c.json({ token: await revokeApiToken(deps, { tokenId: id(c) }, actor(c)) }),
  );
  op(
    {
      method: 'get',
      path: '/audit',
      summary: 'The audit log, newest first (read only)',
      role: 'admin',
      query: {
        actor: 'actor id or part of its label',
        object_type: 'e.g. incident',
        object_id: 'object id',
        limit: '1-200',
      },
      success: 200,
    },
    async (c) => {
      const q = c.req.query();
      const limit = z.coerce
        .number()
        .int()
        .min(1)
        .max(200)
        .catch(50)
        .parse(q.limit ?? 50);
      return c.json({
        entries: await listAudit(deps.db, {
          actor: q.actor,
          objectType: q.object_type,
          objectId: q.object_id,
          limit,
        }),
      });
    },
  );

  registerBroadcastApi(op, deps, body);
  return app;
}
