import type { Config } from '../config.ts';

export const SESSION_COOKIE = 'herald_session';
/** Double-submit CSRF cookie for forms shown before sign-in (login, setup, subscribe). */
export const FORM_COOKIE = 'herald_form';
/** A reader's session on audience pages: an address, never a Herald account. */
export const READER_COOKIE = 'herald_reader';
/** A browser that signed in with an account's password (domain/auth/known-device.ts). */
export const DEVICE_COOKIE = 'herald_device';
/** Binds an OpenID Connect sign-in under way to the browser that started it. */
export const OIDC_COOKIE = 'herald_oidc';

/** Reads one cookie from a Cookie header without a dependency. */
export function readCookie(header: string | undefined | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      try {
        return decodeURIComponent(v);
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure when Herald is served over https.
 * Values are base64url secrets, so nothing needs escaping; names are constants.
 */
export function serializeCookie(
  config: Pick<Config, 'publicUrl'>,
  name: string,
  value: string,
  maxAgeSeconds: number | null,
): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (config.publicUrl.startsWith('https:')) parts.push('Secure');
  if (maxAgeSeconds !== null) parts.push(`Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`);
  return parts.join('; ');
}
