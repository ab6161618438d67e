import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.ts';

/**
 * The client every per-client limit counts (sign-in throttling, subscribe and report budgets,
 * live-update streams): the socket peer, or with TRUST_PROXY the right-most X-Forwarded-For
 * entry (the one the trusted proxy appended; earlier ones are whatever the client claimed).
 */
export function clientAddress(c: Context, config: Pick<Config, 'trustProxy'>): string {
  if (config.trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const last = xff
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .at(-1);
    if (last) return clientKey(last.slice(0, 100));
  }
  const env = c.env as HttpBindings | undefined;
  return clientKey(env?.incoming?.socket?.remoteAddress ?? 'unknown');
}

/**
 * One key per client. An IPv6 client is its /64: one host or home is handed a whole /64 and
 * picks any address in it, so counting single addresses would give it 2^64 fresh budgets. An
 * IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) is that IPv4 address.
 * Anything that does not parse is kept as it came, so it is still counted as itself.
 */
export function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const addr = ipaddr.process(address);
  if (addr.kind() === 'ipv4') return addr.toString();
  const prefix = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toString()}/64`;
}
