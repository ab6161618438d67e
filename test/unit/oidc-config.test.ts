import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { mappedRole } from '../../server/domain/users/oidc-sign-in.ts';

const sso = {
  OIDC_ISSUER_URL: 'https://login.example.com/realms/acme',
  OIDC_CLIENT_ID: 'herald',
  OIDC_CLIENT_SECRET: 'a-secret',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('single sign-on settings', () => {
  it('are off without OIDC_ISSUER_URL', () => {
    expect(loadConfig({}).oidc).toBeNull();
  });

  it('read the role map, the claim and the scopes', () => {
    const c = loadConfig({ ...sso, OIDC_ROLE_MAP: 'herald-admins=admin, sre = responder' });
    expect(c.oidc).toEqual({
      issuerUrl: sso.OIDC_ISSUER_URL,
      clientId: 'herald',
      clientSecret: 'a-secret',
      scopes: 'openid email profile',
      roleClaim: 'groups',
      roleMap: { 'herald-admins': 'admin', sre: 'responder' },
    });
  });

  it('refuse half a configuration, naming all three variables', () => {
    expect(problems({ OIDC_ISSUER_URL: sso.OIDC_ISSUER_URL }).join('\n')).toContain(
      'OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three',
    );
  });

  it('refuse a plain-http provider that is not on loopback, and keep the secret out of the message', () => {
    expect(problems({ ...sso, OIDC_ISSUER_URL: 'http://login.example.com' }).join('\n')).toContain(
      'must be https://',
    );
    expect(loadConfig({ ...sso, OIDC_ISSUER_URL: 'http://127.0.0.1:4000' }).oidc).not.toBeNull();
    const shown = problems({ ...sso, OIDC_CLIENT_SECRET: ' ', OIDC_ROLE_MAP: 'x=owner' }).join(
      '\n',
    );
    expect(shown).toContain('OIDC_ROLE_MAP');
    expect(shown).not.toContain('a-secret');
  });

  it('refuse a role map naming a role Herald does not have, and scopes without openid', () => {
    expect(problems({ ...sso, OIDC_ROLE_MAP: 'herald-admins=owner' })[0]).toMatch(
      /^OIDC_ROLE_MAP=/,
    );
    expect(problems({ ...sso, OIDC_SCOPES: 'email profile' })[0]).toMatch(/^OIDC_SCOPES=/);
  });

  it('give the strongest role any claim value maps to, and none for no match', () => {
    const roleMap = { 'herald-admins': 'admin', sre: 'responder' } as const;
    expect(mappedRole({ roleMap }, ['sre', 'herald-admins'])).toBe('admin');
    expect(mappedRole({ roleMap }, ['sre'])).toBe('responder');
    expect(mappedRole({ roleMap }, ['marketing'])).toBeNull();
    expect(mappedRole({ roleMap }, [])).toBeNull();
    // A claim value that happens to be an Object.prototype name maps to nothing.
    expect(mappedRole({ roleMap }, ['constructor', 'toString'])).toBeNull();
  });
});
