import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { oidcSignInPurposes } from './enums.ts';

/**
 * An OpenID Connect sign-in under way: the PKCE verifier, state and nonce between the redirect
 * to the provider and its answer, bound to the browser by the hash of a cookie. Used once.
 */
export const oidcSignIns = sqliteTable(
  'oidc_sign_ins',
  {
    id: text('id').primaryKey(),
    browserHash: text('browser_hash').notNull(),
    purpose: text('purpose', { enum: oidcSignInPurposes }).notNull(),
    /** For a reader: the audience page they asked for. */
    audienceSlug: text('audience_slug'),
    next: text('next').notNull(),
    state: text('state').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('oidc_sign_ins_browser_hash_idx').on(t.browserHash)],
);
