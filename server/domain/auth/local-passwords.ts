import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { settings } from '../../../db/schema/index.ts';
import type { SignInMethod } from '../../../db/schema/index.ts';
import type { OidcConfig } from '../../config.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ForbiddenError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { getSettings } from '../settings/get-settings.ts';

const input = z.strictObject({ enabled: z.boolean({ error: 'must be true or false' }) });

/**
 * Allows or forbids staff sign-in with local passwords (admins only). Nobody can lock everyone
 * out: switching them off needs the provider configured and an admin who signed in through it
 * (so someone can still get in), or the command line; switching them on is always possible.
 */
export async function setLocalPasswords(
  deps: DomainDeps & { config: { oidc: OidcConfig | null } },
  raw: { enabled: boolean },
  actor: Actor,
  /** How the admin's own session was opened; null for the command line. */
  signedInVia: SignInMethod | null,
) {
  assertRole(actor, 'admin');
  const { enabled } = parseInput(input, raw);
  if (!enabled) {
    if (!deps.config.oidc)
      throw new ForbiddenError(
        'Local passwords stay on while single sign-on is not configured (OIDC_ISSUER_URL), or nobody could sign in.',
      );
    if (actor.type !== 'cli' && signedInVia !== 'oidc')
      throw new ForbiddenError(
        'Sign in through single sign-on first: only an admin who got in that way can switch local passwords off, so someone can still sign in afterwards.',
      );
  }
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await getSettings(tx);
    if (before.localPasswords === enabled) return { localPasswords: enabled };
    await tx
      .update(settings)
      .set({ localPasswords: enabled, updatedAt: now })
      .where(eq(settings.id, 1));
    await recordAudit(tx, actor, now, {
      action: 'settings.local_passwords',
      objectType: 'settings',
      objectId: '1',
      before: { localPasswords: before.localPasswords },
      after: { localPasswords: enabled },
    });
    return { localPasswords: enabled };
  });
}
