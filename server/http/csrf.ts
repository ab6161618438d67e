import type { Config } from '../config.ts';

/**
 * Second CSRF line after the form token: a state-changing browser request must come from
 * Herald's own origin. Browsers send Origin on every cross-site POST; when it is missing
 * (old browsers, non-browser clients) Referer is checked, and when both are missing the
 * request is let through to the token check.
 */
export function originAllowed(
  config: Pick<Config, 'publicUrl'>,
  headers: { origin?: string | null; referer?: string | null; host?: string | null },
): boolean {
  const claimed = headers.origin && headers.origin !== 'null' ? headers.origin : headers.referer;
  if (headers.origin === 'null') return false;
  if (!claimed) return true;
  let origin: URL;
  try {
    origin = new URL(claimed);
  } catch {
    return false;
  }
  if (origin.origin === new URL(config.publicUrl).origin) return true;
  // Reached under another name than PUBLIC_URL (localhost, a LAN address): same host is fine.
  return !!headers.host && origin.host === headers.host;
}
