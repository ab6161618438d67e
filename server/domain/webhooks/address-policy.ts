import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../shared/errors.ts';

// A webhook must not become a way into the internal network: its URL may not point at
// loopback, private, link-local or other non-public ranges unless an admin allows it for that
// webhook. The check runs when the URL is added and again on the address each delivery
// actually connects to (DNS can change between the two).

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** True for loopback, private, link-local, CGNAT, multicast and unspecified addresses. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  return blocked.check(ip, 'ipv6');
}

/** Parses a webhook URL: http or https only, no credentials. Returns a reason when refused. */
export function checkUrlShape(raw: string): { url: URL } | { reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: 'is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { reason: 'must start with http:// or https://' };
  if (url.username || url.password) return { reason: 'must not carry a user name or password' };
  if (!url.hostname) return { reason: 'has no host' };
  return { url };
}

/** Resolves the host and refuses private addresses (unless allowed). */
export async function checkUrlAddress(url: URL, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `host ${host} does not resolve`;
  }
  const bad = addresses.find(isPrivateAddress);
  return bad ? `points at ${bad}, a loopback or private address` : null;
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
    throw new ValidationError(`The URL ${shape.reason}.`, { url: shape.reason });
  const refused = await checkUrlAddress(shape.url, allowPrivate);
  if (refused) {
    const reason = `${refused}${hint}`;
    throw new ValidationError(`The URL ${reason}.`, { url: reason });
  }
  return shape.url;
}
