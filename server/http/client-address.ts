import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Config } from '../config.ts';

/**
 * The client's address for login throttling: the socket peer, or with TRUST_PROXY the
 * right-most X-Forwarded-For entry (the one the trusted proxy appended; earlier ones are
 * whatever the client claimed).
 */
export function clientAddress(c: Context, config: Pick<Config, 'trustProxy'>): string {
  if (config.trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const last = xff
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .at(-1);
    if (last) return last.slice(0, 100);
  }
  const env = c.env as HttpBindings | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}
