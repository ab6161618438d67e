import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';
import { createApp } from '../../server/app.ts';
import { createHttpServer, stopListening } from '../../server/http/server.ts';
import { mountSite } from '../../server/web/mount-site.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { freePort } from '../edge/edge-harness.ts';

/** People the test provider knows: its login name -> the claims it vouches for. */
export type Accounts = Record<string, { email: string; groups: string[]; emailVerified?: boolean }>;

const keys = new Map<'real' | 'impostor', ReturnType<typeof newSigningKey>>();

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // One kid for every test provider: a token signed by another key under the same name is a
  // bad signature, not an unknown key.
  return { ...privateKey.export({ format: 'jwk' }), kid: 'signing', use: 'sig', alg: 'RS256' };
}

/**
 * The real providers' key and the impostor's, each made once per process: an RSA key pair
 * takes a noticeable while to make, and two are all the tests tell apart.
 */
function signingKey(which: 'real' | 'impostor') {
  let key = keys.get(which);
  if (!key) keys.set(which, (key = newSigningKey()));
  return key;
}

function provider(
  issuer: string,
  redirectUri: string,
  accounts: Accounts,
  which: 'real' | 'impostor',
) {
  return new Provider(issuer, {
    clients: [
      {
        client_id: 'herald',
        client_secret: 'herald-test-secret',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signingKey(which)] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    // Herald is a first-party application at the company's provider: the provider grants it
    // what it asks without a consent screen (oidc-provider's recipe for skipping consent), as
    // company providers commonly do for their own applications; one screen less per sign-in.
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client!.clientId;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId,
        accountId: ctx.oidc.session!.accountId,
      });
      grant.addOIDCScope('openid email groups');
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, id) {
      const a = accounts[id];
      if (!a) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          email: a.email,
          email_verified: a.emailVerified ?? true,
          groups: a.groups,
        }),
      };
    },
  });
}

/**
 * A real OpenID Connect provider (oidc-provider) on loopback with its development login and
 * consent screens. `tamperKeys()` makes its JWKS endpoint publish another key under the same
 * kid, so every ID token it signs carries a signature that does not verify.
 */
export async function startProvider(redirectUri: string, accounts: Accounts) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const real = provider(issuer, redirectUri, accounts, 'real');
  const impostor = provider(issuer, redirectUri, accounts, 'impostor');
  let tampered = false;
  const realHandler = real.callback();
  const impostorHandler = impostor.callback();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (tampered && req.url?.startsWith('/jwks')) return impostorHandler(req, res);
    return realHandler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    issuer,
    tamperKeys() {
      tampered = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Herald with single sign-on against `issuer`, serving pages on a port chosen beforehand. */
export async function startHerald(
  port: number,
  issuer: string,
  env: Record<string, string> = {},
): Promise<TestContext & { url: string; stop(): Promise<void> }> {
  const url = `http://127.0.0.1:${port}`;
  const t = await createTestContext({
    env: {
      PUBLIC_URL: url,
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: 'herald',
      OIDC_CLIENT_SECRET: 'herald-test-secret',
      OIDC_SCOPES: 'openid email groups',
      OIDC_ROLE_MAP: 'herald-admins=admin,sre=responder',
      ...env,
    },
  });
  const app = createApp(t.deps);
  await mountSite(app, t.deps);
  const server = createHttpServer(app, t.deps);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    ...t,
    url,
    async stop() {
      await stopListening(server, 0);
      await t.close();
    },
  };
}

/**
 * Signs in on the provider's development login screen as `login` (and its consent screen, if
 * a provider shows one).
 */
export async function signInAtProvider(page: Page, issuer: string, login: string) {
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  // The consent screen comes next on a first sign-in; then the provider sends the browser back.
  if (page.url().startsWith(issuer)) {
    await Promise.all([
      page.waitForURL((u) => !u.href.startsWith(issuer)),
      page.click('button[type="submit"]'),
    ]);
  }
}
