import { and, eq, isNotNull, lt } from 'drizzle-orm';
import { oidcSignIns, sessions, users, type OidcSignInPurpose } from '../../../db/schema/index.ts';
import type { Config, OidcConfig } from '../../config.ts';
import { findAudienceBySlug, isMember } from '../audiences/manage-audiences.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../shared/errors.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { recordAudit } from '../shared/writes.ts';
import { companyDomains } from '../subscribers/subscriber-reads.ts';
import { insertUser } from './create-user.ts';
import { openReaderSession } from '../auth/reader-sessions.ts';
import { sha256 } from '../auth/secrets.ts';
import { SESSION_IDLE_MS } from '../auth/sessions.ts';

/** A sign-in must come back from the provider within this long. */
export const OIDC_SIGN_IN_TTL_MS = 10 * 60_000;

/** What Herald takes from a verified ID token (and userinfo): who, and the role claim's values. */
export interface VerifiedIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  /** The role claim's values (a string claim becomes one value). */
  claimValues: string[];
}

export interface PendingSignIn {
  purpose: OidcSignInPurpose;
  audienceSlug: string | null;
  next: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A reader who started on an audience's own host name: that host, to hand the sign-in to. */
  returnHost?: string | null;
}

/**
 * Keeps the PKCE verifier, state and nonce of a sign-in until the provider answers; returns the
 * cookie value that binds it to this browser (only its hash is stored). Sign-ins older than
 * their lifetime are cleared here, which bounds the table.
 */
export async function beginOidcSignIn(deps: DomainDeps, p: PendingSignIn): Promise<string> {
  const now = deps.clock.now();
  const browser = newSecret();
  await deps.db.transaction(async (tx) => {
    await tx.delete(oidcSignIns).where(lt(oidcSignIns.expiresAt, now));
    await tx.insert(oidcSignIns).values({
      id: newId(),
      browserHash: sha256(browser),
      ...p,
      createdAt: now,
      expiresAt: new Date(now.getTime() + OIDC_SIGN_IN_TTL_MS),
    });
  });
  return browser;
}

/**
 * The sign-in this browser started, taken once: a replayed or second answer finds nothing.
 * Null when there is none, it expired, or the cookie is missing.
 */
export async function takeOidcSignIn(
  deps: DomainDeps,
  browser: string | null | undefined,
): Promise<PendingSignIn | null> {
  if (!browser || browser.length > 200) return null;
  const now = deps.clock.now();
  const [row] = await deps.db
    .delete(oidcSignIns)
    .where(eq(oidcSignIns.browserHash, sha256(browser)))
    .returning();
  if (!row || row.expiresAt.getTime() <= now.getTime()) return null;
  return pendingOf(row);
}

function pendingOf(row: typeof oidcSignIns.$inferSelect): PendingSignIn {
  return {
    purpose: row.purpose,
    audienceSlug: row.audienceSlug,
    next: row.next,
    state: row.state,
    nonce: row.nonce,
    codeVerifier: row.codeVerifier,
    returnHost: row.returnHost,
  };
}

/**
 * A reader's sign-in started on an audience's own host name, taken once by the state the
 * provider sent back: the answer comes to the public host, which never saw the cookie that
 * binds it to the browser. That binding is checked where the cookie is, when the sign-in is
 * handed back to the audience's host (`browserHash`). Only such sign-ins are found this way.
 */
export async function takeOidcSignInForHost(
  deps: DomainDeps,
  state: string | null | undefined,
): Promise<(PendingSignIn & { returnHost: string; browserHash: string }) | null> {
  if (!state || state.length > 200) return null;
  const now = deps.clock.now();
  const [row] = await deps.db
    .delete(oidcSignIns)
    .where(and(eq(oidcSignIns.state, state), isNotNull(oidcSignIns.returnHost)))
    .returning();
  if (!row || !row.returnHost || row.expiresAt.getTime() <= now.getTime()) return null;
  return { ...pendingOf(row), returnHost: row.returnHost, browserHash: row.browserHash };
}

/** The strongest staff role the identity's claim values map to, or null. */
export function mappedRole(
  oidc: Pick<OidcConfig, 'roleMap'>,
  values: readonly string[],
): 'admin' | 'responder' | 'viewer' | null {
  const roles = new Set(
    values.filter((v) => Object.hasOwn(oidc.roleMap, v)).map((v) => oidc.roleMap[v]),
  );
  for (const r of ['admin', 'responder', 'viewer'] as const) if (roles.has(r)) return r;
  return null;
}

function verifiedEmail(id: VerifiedIdentity): string {
  if (!id.email || !id.emailVerified)
    throw new UnauthorizedError(
      'The sign-in service did not vouch for an email address (the `email` claim with `email_verified`), so Herald cannot tell who you are.',
    ).saying('sso.noEmail');
  return id.email.trim().toLowerCase();
}

/**
 * Staff sign-in through the provider. The role comes from the claim on every sign-in (the
 * provider is the source of truth: a person moved out of "herald-admins" is an admin no more);
 * an account is made the first time. No mapped value, or a disabled account: refused, and
 * nothing is written.
 */
export async function completeStaffSignIn(
  deps: DomainDeps & { config: { oidc: OidcConfig | null } },
  id: VerifiedIdentity,
) {
  const oidc = deps.config.oidc;
  if (!oidc) throw new ForbiddenError('Single sign-on is not configured.');
  const email = verifiedEmail(id);
  const role = mappedRole(oidc, id.claimValues);
  if (!role)
    throw new ForbiddenError(
      `You signed in as ${email}, but none of your ${oidc.roleClaim} gives access to the Herald admin. Ask an admin to add you to a group that does.`,
    );
  const now = deps.clock.now();
  const via: Actor = {
    type: 'system',
    id: null,
    label: `single sign-on (${email})`,
    role: 'system',
  };
  return deps.db.transaction(async (tx) => {
    const [existing] = await tx.select().from(users).where(eq(users.email, email));
    if (existing?.disabledAt)
      throw new ForbiddenError(`The account ${email} is disabled in Herald. Ask an admin.`);
    let userId: string;
    if (!existing) {
      const created = await insertUser(tx, via, now, { email, name: '', role, passwordHash: null });
      userId = created.id;
    } else {
      userId = existing.id;
      if (existing.role !== role) {
        await tx.update(users).set({ role, updatedAt: now }).where(eq(users.id, existing.id));
        await recordAudit(tx, via, now, {
          action: 'user.update',
          objectType: 'user',
          objectId: existing.id,
          before: { role: existing.role },
          after: { role },
        });
      }
    }
    const token = newSecret();
    const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
    await tx.insert(sessions).values({
      id: newId(),
      tokenHash: sha256(token),
      userId,
      csrfToken: newSecret(),
      method: 'oidc',
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    });
    await tx.delete(sessions).where(and(lt(sessions.expiresAt, now)));
    return { token, expiresAt, userId, role };
  });
}

/**
 * Whether a provider sign-in is one of the company's people: an address in the company domains
 * (settings, then COMPANY_DOMAINS) or a claim value the role map names. The provider vouching
 * for an address is not enough: Google, say, vouches for every Google account.
 */
export async function isCompanyIdentity(
  deps: DomainDeps & { config: Pick<Config, 'companyDomains'> & { oidc: OidcConfig | null } },
  email: string,
  claimValues: readonly string[],
): Promise<boolean> {
  if (deps.config.oidc && mappedRole(deps.config.oidc, claimValues)) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return (await companyDomains(deps.db, deps.config)).includes(domain);
}

/**
 * A reader signs in to an audience page through the provider: a member (by address, domain, or
 * because the audience is open to everyone signed in through the company and they are the
 * company's) gets a reader session that remembers whether they are the company's; anyone else
 * gets the same not-found as the page itself, and nothing is written.
 */
export async function completeReaderSignIn(
  deps: DomainDeps & { config: Pick<Config, 'companyDomains'> & { oidc: OidcConfig | null } },
  id: VerifiedIdentity,
  slug: string,
) {
  const email = verifiedEmail(id);
  const company = await isCompanyIdentity(deps, email, id.claimValues);
  const audience = await findAudienceBySlug(deps.db, slug);
  if (!audience || !isMember(audience, { email, viaCompanyIdp: company }))
    throw new NotFoundError('page', slug);
  const now = deps.clock.now();
  const method = company ? 'oidc' : 'oidc_outside';
  const s = await deps.db.transaction((tx) => openReaderSession(tx, email, method, now));
  return { ...s, slug: audience.slug };
}
