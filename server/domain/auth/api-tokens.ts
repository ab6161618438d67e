import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../../db/client.ts';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { apiTokens, users } from '../../../db/schema/index.ts';
import { type Actor, assertRole, hasRole, type Role } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { unlessDatabaseRefuses } from '../shared/database-busy.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { tokenRoleInput } from './roles.ts';
import { sha256 } from './secrets.ts';
import { type Parsed, verb } from '../shared/verb.ts';

/** Tokens start with this, so they are recognisable in logs and by secret scanners. */
export const TOKEN_PREFIX = 'hrld_';
const TOUCH_EVERY_MS = 60_000;

export const createApiTokenInput = z.strictObject({
  name: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(100, 'must be at most 100 characters'),
  role: tokenRoleInput,
});

type TokenRow = typeof apiTokens.$inferSelect;
export function publicToken(t: TokenRow) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    userId: t.userId,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}

/** Creates a token; the secret is returned once and only its SHA-256 is kept. */
export const createApiToken = verb(createApiTokenInput, createApiTokenParsed);
async function createApiTokenParsed(
  deps: DomainDeps,
  input: Parsed<typeof createApiTokenInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  const secret = `${TOKEN_PREFIX}${newSecret()}`;
  // A token made with a token belongs to the user behind that one, so demoting or disabling
  // that user reaches it too (a token of its own would outlive its maker).
  let userId: string | null = actor.type === 'user' ? actor.id : null;
  if (actor.type === 'token' && actor.id) {
    const [maker] = await deps.db
      .select({ userId: apiTokens.userId })
      .from(apiTokens)
      .where(eq(apiTokens.id, actor.id));
    userId = maker?.userId ?? null;
  }
  const row: TokenRow = {
    id: newId(),
    name: input.name,
    tokenHash: sha256(secret),
    role: input.role,
    userId,
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.db.transaction(async (tx) => {
    await tx.insert(apiTokens).values(row);
    await recordAudit(tx, actor, now, {
      action: 'token.create',
      objectType: 'api_token',
      objectId: row.id,
      after: publicToken(row),
    });
  });
  return { token: publicToken(row), secret };
}

export async function revokeApiToken(deps: DomainDeps, raw: { tokenId: string }, actor: Actor) {
  assertRole(actor, 'admin');
  const { tokenId } = parseInput(z.strictObject({ tokenId: idInput }), raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(apiTokens).where(eq(apiTokens.id, tokenId));
    if (!before) throw new NotFoundError('API token', tokenId);
    if (before.revokedAt) throw new ConflictError(`The token "${before.name}" is already revoked.`);
    await tx.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, tokenId));
    await recordAudit(tx, actor, now, {
      action: 'token.revoke',
      objectType: 'api_token',
      objectId: tokenId,
      before: publicToken(before),
      after: publicToken({ ...before, revokedAt: now }),
    });
    return publicToken({ ...before, revokedAt: now });
  });
}

type TokenRole = TokenRow['role'];

/**
 * The lesser of a token's role and its maker's: what the token may do when its maker now has
 * less. An intake token only ever posts alerts, whoever made it.
 */
export function lesserRole(token: TokenRole, maker: Role): TokenRole {
  if (token === 'intake') return token;
  return hasRole({ role: token }, maker) ? maker : token;
}

/**
 * What a token acts as: its own role, capped by its maker's current role; nothing when the
 * maker is disabled or gone. Tokens made outside any user (the CLI) keep their own role.
 */
export function effectiveTokenRole(
  tokenRole: TokenRole,
  maker: { exists: boolean; role: Role | null; disabledAt: Date | null } | null,
): TokenRole | null {
  if (!maker) return tokenRole;
  if (!maker.exists || maker.disabledAt || !maker.role) return null;
  return lesserRole(tokenRole, maker.role);
}

export async function listApiTokens(deps: DomainDeps) {
  const rows = await deps.db
    .select({
      token: apiTokens,
      makerId: users.id,
      makerRole: users.role,
      makerDisabledAt: users.disabledAt,
    })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.userId))
    .orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => ({
    ...publicToken(r.token),
    /** The role the token acts with today (null: it no longer works). */
    actsAs: r.token.revokedAt
      ? null
      : effectiveTokenRole(
          r.token.role,
          r.token.userId
            ? { exists: !!r.makerId, role: r.makerRole, disabledAt: r.makerDisabledAt }
            : null,
        ),
  }));
}

/**
 * The live tokens of a user that a new role or disabling narrows: each with the role it was
 * given and the one it acts with from now on (null: it stops working).
 */
export async function tokensNarrowedBy(
  tx: DbOrTx,
  userId: string,
  after: { role: Role; disabled: boolean },
): Promise<{ id: string; name: string; role: TokenRole; actsAs: TokenRole | null }[]> {
  const rows = await tx
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
  return rows
    .map((t) => ({
      id: t.id,
      name: t.name,
      role: t.role,
      actsAs: effectiveTokenRole(t.role, {
        exists: true,
        role: after.role,
        disabledAt: after.disabled ? new Date(0) : null,
      }),
    }))
    .filter((t) => t.actsAs !== t.role);
}

/**
 * The token row behind a secret's hash, with its maker, as one statement built once per
 * database handle: every API request runs it, and building its SQL anew took about a fifth of
 * the time of a request the API then refuses.
 */
const buildTokenLookup = (db: Db) =>
  db
    .select({
      token: apiTokens,
      userDisabledAt: users.disabledAt,
      userId: users.id,
      userRole: users.role,
    })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, sql.placeholder('hash')))
    .prepare();
const tokenLookups = new WeakMap<Db, ReturnType<typeof buildTokenLookup>>();
function tokenLookup(db: Db) {
  let query = tokenLookups.get(db);
  if (!query) tokenLookups.set(db, (query = buildTokenLookup(db)));
  return query;
}

/**
 * The actor behind a bearer token, or null when unknown, revoked, or made by a user who is now
 * disabled. Keeps last_used_at.
 */
export async function resolveApiToken(
  deps: DomainDeps,
  secret: string | undefined | null,
): Promise<Actor | null> {
  if (!secret || !secret.startsWith(TOKEN_PREFIX) || secret.length > 200) return null;
  const [found] = await tokenLookup(deps.db).all({ hash: sha256(secret) });
  const row = found?.token;
  if (!row || row.revokedAt) return null;
  // A token acts with at most its maker's current role, read on every request: a demoted
  // user's admin token is a responder token from that moment, and a token dies with a
  // disabled (or removed) user.
  const role = effectiveTokenRole(
    row.role,
    row.userId
      ? { exists: !!found.userId, role: found.userRole, disabledAt: found.userDisabledAt }
      : null,
  );
  if (!role) return null;
  const now = deps.clock.now();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await unlessDatabaseRefuses(
      deps.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)),
    );
  }
  return { type: 'token', id: row.id, label: `token ${row.name}`, role };
}
