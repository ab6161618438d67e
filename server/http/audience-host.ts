import type { Config } from '../config.ts';

/**
 * The audience whose page this request's Host serves, or null. Only the Host header is read
 * (never X-Forwarded-Host, Forwarded or the like, which any client can send) and only an exact
 * match with a name in AUDIENCE_HOSTS counts; an absent, odd or unknown Host is the public site.
 */
export function audienceForHost(
  config: Pick<Config, 'audienceHosts'>,
  host: string | string[] | null | undefined,
): string | null {
  if (config.audienceHosts.size === 0 || typeof host !== 'string') return null;
  // A name with an optional port; anything else (a user part, a path, spaces) matches nothing.
  const m = /^([A-Za-z0-9.-]{1,253}?)\.?(?::\d{1,5})?$/.exec(host);
  if (!m) return null;
  return config.audienceHosts.get(m[1]!.toLowerCase()) ?? null;
}
