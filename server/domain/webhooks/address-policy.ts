import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { type Said, ValidationError } from '../shared/errors.ts';

// A webhook must not become a way into the internal network: its URL may not point at
// loopback, private, link-local or other non-public ranges unless an admin allows it for that
// webhook. The check runs when the URL is added and again on the address each delivery
// actually connects to (DNS can change between the two).

/**
 * True for every address a webhook may not reach: anything but global unicast. Decided by
 * ipaddr.js's special-purpose ranges (IANA's registries) rather than a list of our own. An IPv6
 * address that carries an IPv4 address (IPv4-mapped and -compatible, SIIT, NAT64, 6to4) is
 * decided on the IPv4 address inside it: `64:ff9b::a9fe:a9fe` is 169.254.169.254 behind a NAT64
 * gateway. Teredo hides its client address, and site-local is deprecated: both are refused.
 */
export function isPrivateAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return true;
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv4') return addr.range() !== 'unicast';
  const v6 = addr as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return embedded.range() !== 'unicast';
  return v6.range() !== 'unicast';
}

/** The IPv4 address an IPv6 address carries by a translation or tunnelling convention. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const last32 = () =>
    ipaddr.IPv4.parse(`${p[6]! >> 8}.${p[6]! & 255}.${p[7]! >> 8}.${p[7]! & 255}`);
  const range = v6.range();
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT, RFC 6145), 64:ff9b::a.b.c.d (NAT64).
  if (range === 'ipv4Mapped' || range === 'rfc6145') return last32();
  if (range === 'rfc6052' && p[2] === 0) return last32();
  // ::a.b.c.d (IPv4-compatible, deprecated); :: and ::1 are decided as IPv6 themselves.
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return last32();
  // 2002:AABB:CCDD::/48 (6to4) carries a.b.c.d in its second and third groups.
  if (range === '6to4')
    return ipaddr.IPv4.parse(`${p[1]! >> 8}.${p[1]! & 255}.${p[2]! >> 8}.${p[2]! & 255}`);
  return null;
}

/** A refused URL: why in English, and the same by catalogue key for visitors' forms. */
export interface UrlRefusal {
  reason: string;
  says: Said;
}

/** Parses a webhook URL: http or https only, no credentials. Returns a reason when refused. */
export function checkUrlShape(raw: string): { url: URL } | UrlRefusal {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: 'is not a URL', says: { key: 'hook.notUrl' } };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { reason: 'must start with http:// or https://', says: { key: 'hook.scheme' } };
  if (url.username || url.password)
    return { reason: 'must not carry a user name or password', says: { key: 'hook.credentials' } };
  if (!url.hostname) return { reason: 'has no host', says: { key: 'hook.noHost' } };
  return { url };
}

/** Resolves the host and refuses private addresses (unless allowed). */
export async function checkUrlAddress(url: URL, allowPrivate: boolean): Promise<UrlRefusal | null> {
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return {
      reason: `host ${host} does not resolve`,
      says: { key: 'hook.noResolve', values: { host } },
    };
  }
  const bad = addresses.find(isPrivateAddress);
  return bad
    ? {
        reason: `points at ${bad}, a loopback or private address`,
        says: { key: 'hook.private', values: { address: bad } },
      }
    : null;
}

/**
 * The one check every way of adding a webhook runs: the URL's shape, then where it resolves.
 * Throws a ValidationError on the `url` field; `hint` follows the reason for a private address.
 */
export async function assertWebhookUrl(
  raw: string,
  allowPrivate: boolean,
  hint = '',
): Promise<URL> {
  const shape = checkUrlShape(raw);
  if ('reason' in shape)
    throw new ValidationError(
      `The URL ${shape.reason}.`,
      { url: shape.reason },
      { url: shape.says },
    );
  const refused = await checkUrlAddress(shape.url, allowPrivate);
  if (refused) {
    const reason = `${refused.reason}${hint}`;
    // The hint speaks to the team (an admin's setting), so visitors get the reason alone.
    throw new ValidationError(`The URL ${reason}.`, { url: reason }, { url: refused.says });
  }
  return shape.url;
}
