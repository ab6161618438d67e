import { createHash } from 'node:crypto';

export interface CachedResponse {
  status: number;
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
}

/**
 * Rendered pages and API bodies, keyed by the database's change counter. Every write bumps
 * the counter in its transaction, so a cached entry is only ever served for the exact state it
 * was rendered from; there is no timer. Entries of older counters are dropped as soon as a
 * newer counter is seen, which also bounds memory to one generation of pages.
 */
export class ResponseCache {
  private generation = -1;
  private entries = new Map<string, CachedResponse>();
  private readonly maxEntries: number;

  constructor(maxEntries = 2000) {
    this.maxEntries = maxEntries;
  }

  get(counter: number, key: string): CachedResponse | undefined {
    if (counter !== this.generation) return undefined;
    return this.entries.get(key);
  }

  set(counter: number, key: string, value: Omit<CachedResponse, 'etag'>): CachedResponse {
    const entry = { ...value, etag: etagFor(counter, value.body) };
    if (counter < this.generation) return entry;
    if (counter > this.generation) {
      this.generation = counter;
      this.entries.clear();
    }
    // Query strings are visitor-controlled: cap the number of keys so they cannot fill memory.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, entry);
    return entry;
  }

  clear(): void {
    this.entries.clear();
    this.generation = -1;
  }
}

export function etagFor(counter: number, body: Buffer | string): string {
  return `"${counter.toString(36)}-${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
}

/** True when an If-None-Match header names the etag (weak comparison, as RFC 9110 asks). */
export function etagMatches(ifNoneMatch: string | undefined | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}
