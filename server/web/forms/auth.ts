import { createFirstAdmin } from '../../domain/users/create-first-admin.ts';
import { login, logout, openSession, SESSION_MAX_MS } from '../../domain/auth/sessions.ts';
import { countUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import { SESSION_COOKIE, serializeCookie } from '../../http/cookies.ts';
import type { Visitor } from '../../http/auth.ts';
import { type FormOutcome, formValues, runForm, safeNext, str } from './form.ts';

export interface AuthServices {
  login(form: FormData): Promise<FormOutcome>;
  logout(): Promise<string>;
  /** True while no user exists (the login page then points at the setup link). */
  needsSetup(): Promise<boolean>;
  setupLinkValid(token: string | null): boolean;
  setup(form: FormData): Promise<FormOutcome>;
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
        });
        setCookie(sessionCookie(s.token));
        return safeNext(str(values, 'next'), '/admin', deps.config.publicUrl);
      });
    },
    async logout() {
      await logout(deps, visitor.sessionToken);
      setCookie(serializeCookie(deps.config, SESSION_COOKIE, '', 0));
      return '/login?signed_out=1';
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
