import { verb } from '../domain/shared/verb.ts';
import type { Deps } from '../deps.ts';
import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken } from '../domain/auth/api-tokens.ts';
import { listAudit } from '../domain/audit/list-audit.ts';
import { getSettings } from '../domain/settings/get-settings.ts';
import { updateSettings } from '../domain/settings/update-settings.ts';
import { createUser } from '../domain/users/create-user.ts';
import { listUsers } from '../domain/users/read-users.ts';
import { cliTable } from './cli-table.ts';
import { operation, queryInt } from './operation.ts';

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
export const accountOps = {
  me: operation({
    method: 'get',
    path: '/me',
    summary: 'Who the token or session acts as',
    role: 'viewer',
    verb: (_deps, _path, a) => ({
      actor: { type: a.type, id: a.id, label: a.label, role: a.role },
    }),
    success: 200,
  }),
  settings: operation({
    method: 'get',
    path: '/settings',
    summary: 'Page settings',
    role: 'admin',
    verb: async (deps) => {
      const s = await getSettings(deps.db);
      return {
        settings: {
          pageName: s.pageName,
          publicUrl: s.publicUrl,
          timeZone: s.timeZone,
          promiseMinutesP0: s.promiseMinutesP0,
          promiseMinutesP1: s.promiseMinutesP1,
          promiseMinutesP2: s.promiseMinutesP2,
          promiseMinutesP3: s.promiseMinutesP3,
        },
      };
    },
    success: 200,
  }),
  updateSettings: operation({
    method: 'patch',
    path: '/settings',
    summary: 'Change page name, public URL or time zone',
    role: 'admin',
    verb: updateSettings,
    answer: (settings) => ({ settings }),
    success: 200,
  }),
  users: operation({
    method: 'get',
    path: '/users',
    summary: 'List users',
    role: 'admin',
    verb: async (deps) => ({ users: await listUsers(deps) }),
    success: 200,
    cli: {
      command: 'user list',
      help: 'list users',
      print: ({ users }) =>
        cliTable(
          users.map((u) => ({
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            disabled: u.disabledAt,
            created: u.createdAt,
          })),
        ),
    },
  }),
  createUser: operation({
    method: 'post',
    path: '/users',
    summary: 'Create a user',
    role: 'admin',
    verb: createUser,
    answer: (user) => ({ user }),
    success: 201,
  }),
  tokens: operation({
    method: 'get',
    path: '/tokens',
    summary: 'List API tokens (never the secrets)',
    role: 'admin',
    verb: async (deps) => ({ tokens: await listApiTokens(deps) }),
    success: 200,
    cli: {
      command: 'token list',
      help: 'list API tokens (never the secrets)',
      print: ({ tokens }) =>
        cliTable(
          tokens.map((t) => ({
            id: t.id,
            name: t.name,
            role: t.role,
            created: t.createdAt,
            last_used: t.lastUsedAt,
            revoked: t.revokedAt,
          })),
        ),
    },
  }),
  createToken: operation({
    method: 'post',
    path: '/tokens',
    summary: 'Create an API token; the secret is in this response only',
    role: 'admin',
    verb: createApiToken,
    success: 201,
    secretAnswer: true,
    cli: {
      command: 'token create',
      flags: { name: 'name', role: 'role' },
      args: '--name NAME --role admin|responder|viewer|intake',
      help: `create an API token; it is printed once, only its hash is kept
(intake: posts alerts to /api/intake/*, nothing else)`,
      print: ({ token, secret }) =>
        `Created ${token.role} token "${token.name}" (id ${token.id}). Copy it now; Herald keeps only its hash:\n\n${secret}\n`,
    },
  }),
  revokeToken: operation({
    method: 'delete',
    path: '/tokens/:id',
    summary: 'Revoke an API token',
    role: 'admin',
    verb: (deps, { id }, actor) => revokeApiToken(deps, { tokenId: id }, actor),
    answer: (token) => ({ token }),
    success: 200,
    cli: {
      command: 'token revoke',
      flags: { id: 'id' },
      args: '--id ID',
      help: 'revoke an API token',
      print: (t) => `Revoked token "${t.name}" (id ${t.id}).`,
    },
  }),
  audit: operation({
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
    verb: verb(auditQuery, async (deps: Deps, q, actor) => ({
      entries: await listAudit(
        deps,
        { actor: q.actor, objectType: q.object_type, objectId: q.object_id, limit: q.limit ?? 50 },
        actor,
      ),
    })),
    success: 200,
  }),
};

export const accountOperations = Object.values(accountOps);
