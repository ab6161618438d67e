import { ForbiddenError } from '../domain/shared/errors.ts';

/**
 * CSRF guard for public forms that carry no per-visitor token (the home page is cached for
 * everyone). Browsers say where a POST comes from: Sec-Fetch-Site, else Origin. A request
 * naming another site is refused; one naming none is not from a browser form, so no CSRF.
 */
export function assertSameOrigin(headers: Headers, allowedOrigins: string[]): void {
  const site = headers.get('sec-fetch-site');
  const origin = headers.get('origin');
  if (site === 'same-origin' || site === 'none') return;
  if (origin !== null && origin !== 'null' && allowedOrigins.includes(origin)) return;
  if (site === null && origin === null) return;
  throw new ForbiddenError('This form can only be sent from the status page itself.').saying(
    'refuse.otherSite',
  );
}

export function originOf(url: string): string {
  return new URL(url).origin;
}
