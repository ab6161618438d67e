import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import {
  type EdgeKinds,
  notFoundCacheHeaders,
  pathOfKey,
  publicCacheHeaders,
} from './cache-policy.ts';

export type ContentCoding = 'br' | 'gzip' | 'identity';

/** One stored representation of a cached body, with the headers it is written with. */
export interface Variant {
  body: Buffer;
  etag: string;
  /** Full response headers (etag, length, coding), built once per variant. */
  headers: Record<string, string | number>;
  /** The same without the body's headers, for a 304. */
  notModified: Record<string, string | number>;
}

export interface CachedResponse {
  status: number;
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
  /** Variants made so far: each coding is compressed once per change, on first ask. */
  variants?: Partial<Record<ContentCoding, Variant | null>>;
}

export interface ResponseCacheOptions {
  maxEntries?: number;
  /** The edges Herald purges: which cache headers and surrogate keys a body carries. */
  edges?: EdgeKinds;
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
  private readonly edges: EdgeKinds;

  constructor(options: ResponseCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 2000;
    this.edges = options.edges ?? new Set();
  }

  get(counter: number, key: string): CachedResponse | undefined {
    if (counter !== this.generation) return undefined;
    return this.entries.get(key);
  }

  /** Stores a public body; it gets the edge caching headers and surrogate keys of its path. */
  set(
    counter: number,
    key: string,
    value: Omit<CachedResponse, 'etag' | 'variants'>,
  ): CachedResponse {
    const entry: CachedResponse = {
      ...value,
      headers: { ...value.headers, ...publicCacheHeaders(pathOfKey(key), this.edges) },
      etag: etagFor(counter, value.body),
    };
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

  /** Headers of a public 404 at this key (not stored: any path can be asked for). */
  notFoundHeaders(key: string): Record<string, string> {
    return notFoundCacheHeaders(pathOfKey(key), this.edges);
  }

  clear(): void {
    this.entries.clear();
    this.generation = -1;
  }
}

// Below this a compressed body saves less than its headers cost.
const MIN_COMPRESS_BYTES = 512;

function compress(coding: 'br' | 'gzip', body: Buffer): Buffer {
  if (coding === 'gzip') return gzipSync(body, { level: 6 });
  // Quality 9 is within a few percent of 11 in size at a fraction of the time: the first
  // request after a change waits for it.
  return brotliCompressSync(body, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: 9,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

function makeVariant(
  entry: CachedResponse,
  body: Buffer,
  etag: string,
  coding: ContentCoding,
): Variant {
  const headers: Record<string, string | number> = { ...entry.headers, etag };
  if (coding !== 'identity') headers['content-encoding'] = coding;
  const { 'content-type': _t, ...notModified } = headers;
  headers['content-length'] = body.length;
  return { body, etag, headers, notModified };
}

/**
 * The representation of an entry in a content coding: compressed the first time it is asked
 * for and kept beside the plain body until the next change. Each coding has its own ETag
 * (RFC 9110: a different representation), derived from the plain one.
 */
export function variantOf(entry: CachedResponse, coding: ContentCoding): Variant {
  const variants = (entry.variants ??= {});
  let v = variants[coding];
  if (v === undefined) {
    if (coding === 'identity') {
      v = makeVariant(entry, entry.body, entry.etag, 'identity');
    } else if (entry.body.length < MIN_COMPRESS_BYTES) {
      v = null;
    } else {
      const suffix = coding === 'br' ? '.br' : '.gz';
      v = makeVariant(
        entry,
        compress(coding, entry.body),
        entry.etag.replace(/"$/, `${suffix}"`),
        coding,
      );
    }
    variants[coding] = v;
  }
  return v ?? variantOf(entry, 'identity');
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
