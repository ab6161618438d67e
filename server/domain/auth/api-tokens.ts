import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { apiTokens, users } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { unlessDatabaseRefuses } from '../shared/database-busy.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { tokenRoleInput } from './roles.ts';
import { sha256 } from './secrets.ts';

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
export async function createApiToken(
  deps: DomainDeps,
  raw: z.input<typeof createApiTokenInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const input = parseInput(createApiTokenInput, raw);
  const now = deps.clock.now();
  const secret = `${TOKEN_PREFIX}${newSecret()}`;
  const row: TokenRow = {
    id: newId(),
    name: input.name,
    tokenHash: sha256(secret),
    role: input.role,
    userId: actor.type === 'user' ? actor.id : null,
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

export async function listApiTokens(deps: DomainDeps) {
  const rows = await deps.db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt));
  return rows.map(publicToken);
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
  const [found] = await deps.db
    .select({ token: apiTokens, userDisabledAt: users.disabledAt, userId: users.id })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, sha256(secret)));
  const row = found?.token;
  if (!row || row.revokedAt) return null;
  // A token dies with the user who made it: disabled (or removed) users act through no token.
  if (row.userId && (!found.userId || found.userDisabledAt)) return null;
  const now = deps.clock.now();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await unlessDatabaseRefuses(
      deps.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)),
    );
  }
  return { type: 'token', id: row.id, label: `token ${row.name}`, role: row.role };
}
