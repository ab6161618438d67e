import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Opaque public id: 12 lowercase base-36 characters, as Statuspage uses. */
export function newId(): string {
  const bytes = randomBytes(12);
  let id = '';
  // 256 % 36 != 0 gives a tiny bias; ids need to be unguessable-ish and unique, not uniform.
  for (const b of bytes) id += alphabet[b % 36];
  return id;
}

/** Long random secret for links and tokens (base64url, 256 bits). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
