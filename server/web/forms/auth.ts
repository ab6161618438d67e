import type { Language } from '../../i18n/languages.ts';
import { createFirstAdmin } from '../../domain/users/create-first-admin.ts';
import { login, logout, openSession, SESSION_MAX_MS } from '../../domain/auth/sessions.ts';
import { countUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import {
  DEVICE_COOKIE,
  READER_COOKIE,
  SESSION_COOKIE,
  serializeCookie,
} from '../../http/cookies.ts';
import { KNOWN_DEVICE_MS } from '../../domain/auth/known-device.ts';
import {
  readReaderSignInLink,
  requestReaderSignIn,
  useReaderSignInLink,
} from '../../domain/auth/reader-sign-in.ts';
import { endReaderSession, READER_SESSION_MAX_MS } from '../../domain/auth/reader-sessions.ts';
import { DomainError, UnauthorizedError } from '../../domain/shared/errors.ts';
import { setLocalPasswords } from '../../domain/auth/local-passwords.ts';
import { getSettings } from '../../domain/settings/get-settings.ts';
import { audienceForHost } from '../../http/audience-host.ts';
import type { Visitor } from '../../http/auth.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import { type FormOutcome, formValues, runForm, safeNext, str } from './form.ts';

export interface AuthServices {
  login(form: FormData): Promise<FormOutcome>;
  logout(): Promise<string>;
  /** True while no user exists (the login page then points at the setup link). */
  needsSetup(): Promise<boolean>;
  setupLinkValid(token: string | null): boolean;
  setup(form: FormData): Promise<FormOutcome>;
  /** Single sign-on is configured: the sign-in page offers it. */
  ssoAvailable: boolean;
  /** Whether staff may sign in with a local password. */
  localPasswords(): Promise<boolean>;
  /** How the signed-in admin's own session was opened (switching passwords off needs `oidc`). */
  signedInVia: 'password' | 'oidc' | null;
  setLocalPasswords(form: FormData): Promise<FormOutcome>;
}

/**
 * Sign-in, sign-out and first-admin setup for the Astro pages. Cookies go straight onto the
 * Node response (`setCookie`), so pages never handle session secrets.
 */
export function createAuthServices(
  deps: Deps,
  visitor: Visitor,
  address: string,
  setCookie: (v: string) => void,
  /** The browser's known-device cookie, if it sent one. */
  knownDevice: string | null = null,
): AuthServices {
  const sessionCookie = (token: string) =>
    serializeCookie(deps.config, SESSION_COOKIE, token, SESSION_MAX_MS / 1000);
  return {
    async login(form) {
      const values = formValues(form);
      return runForm(values, async () => {
        const s = await login(deps, {
          email: str(values, 'email'),
          password: String(form.get('password') ?? ''),
          address,
          knownDevice,
        });
        setCookie(sessionCookie(s.token));
        setCookie(
          serializeCookie(deps.config, DEVICE_COOKIE, s.knownDevice, KNOWN_DEVICE_MS / 1000),
        );
        return safeNext(str(values, 'next'), '/admin', deps.config.publicUrl);
      });
    },
    async logout() {
      await logout(deps, visitor.sessionToken);
      setCookie(serializeCookie(deps.config, SESSION_COOKIE, '', 0));
      return '/login?signed_out=1';
    },
    ssoAvailable: deps.config.oidc !== null,
    localPasswords: async () => (await getSettings(deps.db)).localPasswords,
    signedInVia: visitor.session?.method ?? null,
    async setLocalPasswords(form) {
      const values = formValues(form);
      return runForm(values, async () => {
        const session = visitor.session;
        if (!session) throw new UnauthorizedError('Sign in first.');
        const r = await setLocalPasswords(
          deps,
          { enabled: form.get('localPasswords') === 'on' },
          session.actor,
          session.method,
        );
        return `/admin/sign-in?done=${r.localPasswords ? 'on' : 'off'}`;
      });
    },
    needsSetup: async () => (await countUsers(deps)) === 0,
    setupLinkValid: (token) => deps.setupLink.matches(token, deps.clock.now()),
    async setup(form) {
      const values = formValues(form);
      return runForm(values, async () => {
        const user = await createFirstAdmin(deps, {
          token: str(values, 'token'),
          email: str(values, 'email'),
          name: str(values, 'name'),
          password: String(form.get('password') ?? ''),
          passwordConfirm: String(form.get('passwordConfirm') ?? ''),
        });
        const s = await openSession(deps, user.id);
        setCookie(sessionCookie(s.token));
        return '/admin?welcome=1';
      });
    },
  };
}

export interface ReaderAuthServices {
  /** Single sign-on is configured: the sign-in pages offer it. */
  ssoAvailable: boolean;
  /** The same answer for every address and every slug (members get a link by email). */
  requestLink(slug: string, form: FormData, language?: Language): Promise<FormOutcome>;
  /** The link's page before its button is pressed; null when the link is not valid. */
  readLink(slug: string, token: string): Promise<{ email: string; audienceName: string } | null>;
  useLink(slug: string, token: string): Promise<FormOutcome>;
  signOut(slug: string): Promise<string>;
}

/**
 * Sign-in link requests taken per client address: 20 per 10 minutes, as /subscribe. Made once
 * per process (the pages' services are made per request) and handed to createReaderAuth.
 */
export const readerLinkLimiter = () => new RateLimiter(20, 10 * 60_000);

/** Sign-in for readers of audience pages: emailed one-time links, and sign-out. */
export function createReaderAuth(
  deps: Deps,
  visitor: Visitor,
  client: { address: string; limiter: RateLimiter },
  setCookie: (v: string) => void,
  host: string | undefined,
): ReaderAuthServices {
  return {
    ssoAvailable: deps.config.oidc !== null,
    async requestLink(slug, form, language) {
      const values = formValues(form);
      return runForm(values, async () => {
        // Every request counts, member or not, any slug: the per-inbox limit in the domain
        // stops one inbox being flooded, this stops one client mailing every made-up address
        // at a member domain; counting them all keeps the limit from telling who belongs.
        client.limiter.hit(client.address, deps.clock.now());
        // Asked on the audience's own host name: the link leads back there.
        const onHost = host && audienceForHost(deps.config, host) === slug;
        await requestReaderSignIn(deps, {
          slug,
          email: str(values, 'email'),
          ...(language ? { language } : {}),
          ...(onHost ? { linkHost: host.toLowerCase() } : {}),
        });
        return `/a/${slug}/sign-in?sent=1`;
      });
    },
    async readLink(slug, token) {
      try {
        return await readReaderSignInLink(deps, { slug, token });
      } catch (e) {
        if (e instanceof DomainError) return null;
        throw e;
      }
    },
    async useLink(slug, token) {
      return runForm({}, async () => {
        const s = await useReaderSignInLink(deps, { slug, token });
        setCookie(
          serializeCookie(deps.config, READER_COOKIE, s.token, READER_SESSION_MAX_MS / 1000),
        );
        return `/a/${slug}`;
      });
    },
    async signOut(slug) {
      await endReaderSession(deps, visitor.readerToken);
      setCookie(serializeCookie(deps.config, READER_COOKIE, '', 0));
      return `/a/${slug}/sign-in?signed_out=1`;
    },
  };
}
