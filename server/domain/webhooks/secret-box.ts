import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Herald must sign every delivery with the subscriber's secret, so the secret cannot be stored
// as a one-way hash like API tokens. It is kept sealed with AES-256-GCM under a key derived
// (HKDF-SHA256) from SECRET_KEY, or from the database's own link secret when SECRET_KEY is not
// set: a copy of the database alone then lets nobody forge deliveries only when SECRET_KEY is
// set, which docs/operating.md says.

function key(master: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, 'herald', 'webhook signing secrets', 32));
}

export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export function sealSecret(master: string, secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key(master), iv);
  const body = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return ['v1', iv, c.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function openSecret(master: string, sealed: string): string {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || !body) throw new Error('unreadable webhook secret');
  const d = createDecipheriv('aes-256-gcm', key(master), Buffer.from(iv, 'base64url'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
}
