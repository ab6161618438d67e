import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
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
    /**
     * For a reader who started on an audience's own host name: that host (with its port). The
     * provider answers on the public host, where this browser's cookie is not, so the answer is
     * found by its state and the sign-in handed back to this host (reader_handoffs).
     */
    returnHost: text('return_host'),
    state: text('state').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('oidc_sign_ins_browser_hash_idx').on(t.browserHash),
    index('oidc_sign_ins_state_idx').on(t.state),
  ],
);
