import type { MiddlewareHandler } from 'hono';
import { resolveApiToken } from '../domain/auth/api-tokens.ts';
import { sameSecret } from '../domain/auth/secrets.ts';
import { type ActiveSession, resolveSession } from '../domain/auth/sessions.ts';
import { type ReaderSession, resolveReaderSession } from '../domain/auth/reader-sessions.ts';
import { type Actor, assertRole, type Role } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { ForbiddenError, UnauthorizedError } from '../domain/shared/errors.ts';
import { newSecret } from '../domain/shared/ids.ts';
import {
  FORM_COOKIE,
  READER_COOKIE,
  readCookie,
  SESSION_COOKIE,
  serializeCookie,
} from './cookies.ts';
import { originAllowed } from './csrf.ts';

/** Hono variables set by `apiAuth`: who is calling. */
export type AuthEnv = { Variables: { actor: Actor; session: ActiveSession | null } };

/**
 * A browser visitor on a per-visitor (uncached) path: the signed-in session, if any, and the
 * CSRF token their forms must carry (the session's, or a double-submit cookie before sign-in).
 */
export interface Visitor {
  session: ActiveSession | null;
  /** Raw session cookie value (for sign-out). */
  sessionToken: string | null;
  /**
   * A reader of audience pages signed in by an emailed link or the company's provider: an
   * address, not an account, so it never counts as `session` and opens nothing under /admin.
   */
  reader: ReaderSession | null;
  readerToken: string | null;
  csrfToken: string;
  /** True when the hidden `_csrf` field of a submitted form is this visitor's token. */
  csrfOk(submitted: unknown): boolean;
  /** Set-Cookie values to send with the response (new form cookie). */
  setCookies: string[];
}

export async function resolveVisitor(
  deps: DomainDeps,
  cookieHeader: string | undefined | null,
): Promise<Visitor> {
  const sessionToken = readCookie(cookieHeader, SESSION_COOKIE);
  const session = await resolveSession(deps, sessionToken);
  const readerToken = readCookie(cookieHeader, READER_COOKIE);
  const reader = readerToken ? await resolveReaderSession(deps, readerToken) : null;
  const setCookies: string[] = [];
  let csrfToken: string;
  if (session) {
    csrfToken = session.csrfToken;
  } else {
    const existing = readCookie(cookieHeader, FORM_COOKIE);
    csrfToken = existing && /^[A-Za-z0-9_-]{20,100}$/.test(existing) ? existing : newSecret();
    if (csrfToken !== existing)
      setCookies.push(serializeCookie(deps.config, FORM_COOKIE, csrfToken, null));
  }
  // A stale session cookie is cleared so the browser stops sending it.
  if (sessionToken && !session)
    setCookies.push(serializeCookie(deps.config, SESSION_COOKIE, '', 0));
  if (readerToken && !reader) setCookies.push(serializeCookie(deps.config, READER_COOKIE, '', 0));
  return {
    session,
    sessionToken: session ? sessionToken : null,
    reader,
    readerToken: reader ? readerToken : null,
    csrfToken,
    csrfOk: (submitted) => typeof submitted === 'string' && sameSecret(submitted, csrfToken),
    setCookies,
  };
}

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

/**
 * Authenticates /api/admin/* calls: a bearer API token, or a browser session cookie. A
 * cookie-authenticated change must also send the session's CSRF token in `X-CSRF-Token` and
 * come from Herald's origin (bearer tokens are not sent by browsers on their own, so they
 * need neither).
 */
export function apiAuth(deps: DomainDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header) {
      const actor = await resolveApiToken(deps, bearer(header));
      if (!actor)
        throw new UnauthorizedError(
          'The API token is missing, unknown or revoked. Send `Authorization: Bearer <token>`.',
        );
      if (actor.role === 'intake')
        throw new ForbiddenError(
          'This is an intake token: it posts alerts to /api/intake/* and can do nothing else.',
        );
      c.set('actor', actor);
      c.set('session', null);
      return next();
    }
    const session = await resolveSession(deps, readCookie(c.req.header('cookie'), SESSION_COOKIE));
    if (!session) throw new UnauthorizedError('Sign in or send `Authorization: Bearer <token>`.');
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      const ok =
        sameSecret(c.req.header('x-csrf-token'), session.csrfToken) &&
        originAllowed(deps.config, {
          origin: c.req.header('origin'),
          referer: c.req.header('referer'),
          host: c.req.header('host'),
        });
      if (!ok)
        throw new ForbiddenError(
          'A signed-in browser request must carry the X-CSRF-Token header from the same origin.',
        );
    }
    c.set('actor', session.actor);
    c.set('session', session);
    return next();
  };
}

/** Refuses (403) callers below the role; put it after `apiAuth`. */
export function requireRole(role: Role): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    assertRole(c.get('actor'), role);
    return next();
  };
}

/**
 * Authenticates /api/intake/* calls: a bearer token of the `intake` role and nothing else, so a
 * monitoring system holds a key that can post alerts and cannot reach the admin API, and an
 * admin's key is never pasted into a monitoring system's configuration.
 */
export function intakeAuth(deps: DomainDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const actor = await resolveApiToken(deps, bearer(c.req.header('authorization')));
    if (!actor)
      throw new UnauthorizedError(
        'The intake token is missing, unknown or revoked. Send `Authorization: Bearer <token>` with a token of the intake role.',
      );
    if (actor.role !== 'intake')
      throw new ForbiddenError(
        'Alerts are posted with a token of the intake role; make one in the admin (API tokens) or with `herald token create --role intake`.',
      );
    c.set('actor', actor);
    c.set('session', null);
    return next();
  };
}
