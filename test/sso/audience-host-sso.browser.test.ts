import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { testActor } from '../helpers/deps.ts';
import { freePort } from '../edge/edge-harness.ts';
import { type Accounts, signInAtProvider, startHerald, startProvider } from './oidc-harness.ts';

// A reader signing in through the company's provider (a real oidc-provider on loopback) from
// the sign-in page on an audience's own host name, in chromium. The provider only knows the
// public callback, so the sign-in comes back on the public host and is handed to the
// audience's host. `status.acme-corp.test` (AUDIENCE_HOSTS) resolves to the loopback by
// chromium's host rules.

const ACME_HOST = 'status.acme-corp.test';
const accounts: Accounts = {
  carol: { email: 'carol@acme.com', groups: [] },
};

describe("single sign-on on an audience's own host name", () => {
  let browser: Browser;
  let herald: Awaited<ReturnType<typeof startHerald>>;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    provider = await startProvider(`http://127.0.0.1:${port}/sso/callback`, accounts);
    herald = await startHerald(port, provider.issuer, {
      AUDIENCE_HOSTS: `${ACME_HOST}=acme-corp`,
      COMPANY_DOMAINS: 'corp.example',
    });
    browser = await launchBrowser([`--host-resolver-rules=MAP ${ACME_HOST} 127.0.0.1`]);
    await createAudience(
      herald.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
  });
  afterAll(async () => {
    await browser?.close();
    await herald?.stop();
    await provider?.close();
  });

  it("signs a member in through the provider from the sign-in page on the audience's own host name", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const onHost = `http://${ACME_HOST}:${port}`;
    expect((await page.goto(`${onHost}/`))!.status()).toBe(404);
    await page.goto(`${onHost}/a/acme-corp/sign-in`);
    let answered = 0;
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.url().includes('/sso/callback'))
        answered = r.status();
    });
    await page.click('text=Sign in with your company account');
    await signInAtProvider(page, provider.issuer, 'carol');
    await page.waitForLoadState();
    const h1 = await page.textContent('h1');
    // Where the browser ends up: signed in, on Acme's page (its host's `/`, or /a/acme-corp).
    const shown = await page.goto(`${onHost}/`);
    expect(
      { callback: answered, status: shown!.status() },
      `after the provider the reader saw "${h1}"`,
    ).toEqual({ callback: 303, status: 200 });
    expect(await page.textContent('body')).toContain('Acme Corp');
    await context.close();
  });
});
