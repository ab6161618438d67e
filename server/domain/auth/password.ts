import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

// scrypt with N=2^15, r=8, p=1 (OWASP's minimum is 2^17 for r=8/p=1 only when memory allows;
// 2^15 keeps a login under ~100 ms on a small VM). Parameters are stored with the hash, so they
// can be raised later without invalidating old hashes.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;

export const passwordInput = z
  .string({ error: 'is required' })
  .min(10, 'must be at least 10 characters')
  .max(200, 'must be at most 200 characters');

function derive(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
  keylen: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      keylen,
      { N: n, r, p, maxmem: 256 * n * r },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url), self-describing so parameters can change later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEYLEN);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) {
    // Spend the same time as a real check so unknown accounts cannot be told apart by timing.
    await derive(password, Buffer.alloc(16), N, R, P, KEYLEN);
    return false;
  }
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}
