import * as oidc from 'openid-client';
import type { OidcConfig } from '../config.ts';
import type { VerifiedIdentity } from '../domain/users/oidc-sign-in.ts';

/** Where the provider sends the browser back; register it at the provider. */
export const OIDC_CALLBACK_PATH = '/sso/callback';

export interface OidcChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * The company's OpenID Connect provider through openid-client: discovery, the authorization
 * code flow with PKCE, state and nonce, and the ID token's signature checked against the
 * provider's published keys (non-repudiation checks), never by hand.
 */
export function createOidcClient(settings: OidcConfig, publicUrl: string) {
  const redirectUri = `${publicUrl}${OIDC_CALLBACK_PATH}`;
  let discovered: Promise<oidc.Configuration> | null = null;
  const configuration = () => {
    if (!discovered) {
      const issuer = new URL(settings.issuerUrl);
      discovered = oidc
        .discovery(issuer, settings.clientId, settings.clientSecret, undefined, {
          execute: [
            oidc.enableNonRepudiationChecks,
            // The configuration only lets http through for a provider on loopback.
            ...(issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : []),
          ],
        })
        .catch((e: unknown) => {
          // A provider that was down at the first sign-in is asked again at the next.
          discovered = null;
          throw e;
        });
    }
    return discovered;
  };

  return {
    redirectUri,
    /** Fresh checks for one sign-in and the provider's URL to send the browser to. */
    async start(): Promise<{ url: URL; checks: OidcChecks }> {
      const config = await configuration();
      const checks: OidcChecks = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes,
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url, checks };
    },

    /**
     * The provider's answer at the callback: the code is exchanged and the ID token verified
     * (signature, issuer, audience, expiry, nonce); throws on any mismatch. Claims missing from
     * the ID token are read from userinfo for the same subject.
     */
    async finish(callbackUrl: URL, checks: OidcChecks): Promise<VerifiedIdentity> {
      const config = await configuration();
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('The provider sent no ID token.');
      let claims: Record<string, unknown> = { ...idClaims };
      if (claims.email === undefined || claims[settings.roleClaim] === undefined) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...claims };
        for (const k of ['email', 'email_verified', settings.roleClaim])
          if (claims[k] === undefined && info[k] !== undefined) claims[k] = info[k];
      }
      const raw = claims[settings.roleClaim];
      const claimValues = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
        (v): v is string => typeof v === 'string',
      );
      return {
        subject: idClaims.sub,
        email: typeof claims.email === 'string' ? claims.email : null,
        // An address the provider does not vouch for could be anyone's (a user-editable field).
        emailVerified: claims.email_verified === true,
        claimValues,
      };
    },
  };
}
export type OidcClient = ReturnType<typeof createOidcClient>;
