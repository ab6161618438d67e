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
