import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AudienceRow } from './manage-audiences.ts';

// The secret in an audience's feed and v2 URLs: an HMAC of the audience and its token version
// under the server's link key, so nothing secret is stored and bumping the version revokes
// every URL given out before. Compared in constant time.

export function audienceFeedToken(key: string, a: Pick<AudienceRow, 'id' | 'tokenVersion'>) {
  return createHmac('sha256', key)
    .update(`audience-feed:${a.id}:${a.tokenVersion}`)
    .digest('base64url');
}

export function audienceTokenMatches(
  key: string,
  a: Pick<AudienceRow, 'id' | 'tokenVersion'>,
  given: string | undefined,
): boolean {
  if (!given) return false;
  const want = Buffer.from(audienceFeedToken(key, a));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** An audience's page and its token-opened feed and v2 URLs, under `base` (the public URL). */
export function audienceLinks(
  key: string,
  base: string,
  a: Pick<AudienceRow, 'id' | 'slug' | 'tokenVersion'>,
) {
  const token = audienceFeedToken(key, a);
  const page = `${base.replace(/\/+$/, '')}/a/${a.slug}`;
  return {
    token,
    page,
    rss: `${page}/history.rss?token=${token}`,
    atom: `${page}/history.atom?token=${token}`,
    summary: `${page}/api/v2/summary.json?token=${token}`,
    incidents: `${page}/api/v2/incidents.json?token=${token}`,
  };
}
