import { z } from 'zod';
import type { Deps } from '../deps.ts';
import {
  createApiToken,
  createApiTokenInput,
  listApiTokens,
  revokeApiToken,
} from '../domain/auth/api-tokens.ts';
import { listAudit } from '../domain/audit/list-audit.ts';
import { getSettings } from '../domain/settings/get-settings.ts';
import { updateSettings, updateSettingsInput } from '../domain/settings/update-settings.ts';
import { createUser } from '../domain/users/create-user.ts';
import { createUserInput } from '../domain/users/inputs.ts';
import { listUsers } from '../domain/users/read-users.ts';
import { actorOf, type Operation, parseQuery, pathId, queryInt, op } from './operation.ts';

const auditQuery = z.strictObject({
  actor: z.string().max(200).optional(),
  object_type: z.string().max(64).optional(),
  object_id: z.string().max(64).optional(),
  // A page size above the most we return is answered with the most, as list APIs usually do.
  limit: queryInt(1, 1_000_000)
    .transform((n) => Math.min(n, 200))
    .optional(),
});

/** Who is calling, page settings, users, API tokens and the audit log. */
export function accountOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/me',
        summary: 'Who the token or session acts as',
        role: 'responder',
        success: 200,
      },
      handler: (c) => {
        const a = actorOf(c);
        return c.json({ actor: { type: a.type, id: a.id, label: a.label, role: a.role } });
      },
    },
    {
      meta: {
        method: 'get',
        path: '/settings',
        summary: 'Page settings',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => {
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
    },
    op({
      meta: {
        method: 'patch',
        path: '/settings',
        summary: 'Change page name, public URL or time zone',
        role: 'admin',
        body: updateSettingsInput,
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ settings: await updateSettings(deps, input, actorOf(c)) });
      },
    }),
    {
      meta: { method: 'get', path: '/users', summary: 'List users', role: 'admin', success: 200 },
      handler: async (c) => c.json({ users: await listUsers(deps) }),
    },
    op({
      meta: {
        method: 'post',
        path: '/users',
        summary: 'Create a user',
        role: 'admin',
        body: createUserInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json({ user: await createUser(deps, input, actorOf(c)) }, 201);
      },
    }),
    {
      meta: {
        method: 'get',
        path: '/tokens',
        summary: 'List API tokens (never the secrets)',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json({ tokens: await listApiTokens(deps) }),
    },
    op({
      meta: {
        method: 'post',
        path: '/tokens',
        summary: 'Create an API token; the secret is in this response only',
        role: 'admin',
        body: createApiTokenInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json(await createApiToken(deps, input, actorOf(c)), 201);
      },
    }),
    {
      meta: {
        method: 'delete',
        path: '/tokens/:id',
        summary: 'Revoke an API token',
        role: 'admin',
        success: 200,
      },
      handler: async (c) =>
        c.json({ token: await revokeApiToken(deps, { tokenId: pathId(c) }, actorOf(c)) }),
    },
    {
      meta: {
        method: 'get',
        path: '/audit',
        summary: 'The audit log, newest first (read only)',
        role: 'admin',
        query: {
          actor: 'actor id or part of its label',
          object_type: 'e.g. incident',
          object_id: 'object id',
          limit: '1-200 (50 when left out)',
        },
        success: 200,
      },
      handler: async (c) => {
        const q = parseQuery(c, auditQuery);
        return c.json({
          entries: await listAudit(
            deps,
            {
              actor: q.actor,
              objectType: q.object_type,
              objectId: q.object_id,
              limit: q.limit ?? 50,
            },
            actorOf(c),
          ),
        });
      },
    },
  ];
}
