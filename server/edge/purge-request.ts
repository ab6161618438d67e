import type { Config, PurgeTarget } from '../config.ts';

export interface PurgeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

// Cloudflare takes at most 30 tags per purge call on most plans; Fastly 256 keys.
const MAX_KEYS: Record<PurgeTarget['kind'], number> = { varnish: 100, fastly: 256, cloudflare: 30 };

/**
 * The HTTP requests that purge `keys` from one edge: Varnish `PURGE` with `xkey-purge` (see
 * deploy/varnish/herald.vcl), Fastly's purge-by-surrogate-key (`POST /service/ID/purge` with a
 * Surrogate-Key header), Cloudflare's purge-by-tag (`POST …/purge_cache` with `{"tags": …}`).
 * Keys are ids and fixed words, never visitor text, so they are safe in a header as they are.
 */
export function purgeRequests(
  target: PurgeTarget,
  keys: string[],
  config: Pick<Config, 'fastlyApiToken' | 'cloudflareApiToken'>,
): PurgeRequest[] {
  const out: PurgeRequest[] = [];
  const max = MAX_KEYS[target.kind];
  for (let i = 0; i < keys.length; i += max) {
    const chunk = keys.slice(i, i + max);
    if (target.kind === 'varnish') {
      out.push({ method: 'PURGE', url: target.url, headers: { 'xkey-purge': chunk.join(' ') } });
    } else if (target.kind === 'fastly') {
      out.push({
        method: 'POST',
        url: target.url,
        headers: {
          'fastly-key': config.fastlyApiToken ?? '',
          'surrogate-key': chunk.join(' '),
          accept: 'application/json',
        },
      });
    } else {
      out.push({
        method: 'POST',
        url: target.url,
        headers: {
          authorization: `Bearer ${config.cloudflareApiToken ?? ''}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ tags: chunk }),
      });
    }
  }
  return out;
}

/** A target URL as the admin and the log show it: never a token (tokens are not in URLs). */
export function targetLabel(target: PurgeTarget): string {
  return `${target.kind} ${target.url}`;
}
