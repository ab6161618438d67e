import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { freePort } from '../edge/edge-harness.ts';
import { type Accounts, signInAtProvider, startHerald, startProvider } from './oidc-harness.ts';

// Readers signing in to an audience page through the company's provider (a real oidc-provider
// on loopback), in chromium, with COMPANY_DOMAINS=corp.example.

const accounts: Accounts = {
  dana: { email: 'dana@corp.example', groups: [] },
  olga: { email: 'olga@other.example', groups: [] },
  // Someone the provider vouches for who is not the company's: with Google as the provider
  // (docs/operating.md's example) every Google account signs in; here a verified address
  // outside COMPANY_DOMAINS whose groups give no role.
  stranger: { email: 'stranger@gmail.example', groups: [] },
};

describe('readers and single sign-on', () => {
  let browser: Browser;
  let herald: Awaited<ReturnType<typeof startHerald>>;
  let provider: Awaited<ReturnType<typeof startProvider>>;

  beforeAll(async () => {
    const port = await freePort();
    provider = await startProvider(`http://127.0.0.1:${port}/sso/callback`, accounts);
    herald = await startHerald(port, provider.issuer, {
      COMPANY_DOMAINS: 'corp.example',
    });
    browser = await launchBrowser();
    await createAudience(
      herald.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
    await createAudience(
      herald.deps,
      { name: 'Staff', slug: 'staff', everyoneSignedIn: true, seesInternal: true },
      testActor,
    );
    await makeIncident(herald.deps, {
      title: 'Checkout errors',
      priority: 1,
      body: 'Some payments fail.',
      internalNote: 'INTERNAL-r5 the EU shard is full; do not tell customers yet',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await herald?.stop();
    await provider?.close();
  });

  it("answers a German reader whom the provider signs in but who does not belong in the reader's language", async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${herald.url}/a/acme-corp/sign-in`);
    // The sign-in page itself speaks German...
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.click('a[href^="/sso/start"]');
    await signInAtProvider(page, provider.issuer, 'olga');
    await page.waitForLoadState();
    // ...and so should the answer Herald gives when the provider sends the reader back.
    expect(new URL(page.url()).pathname).toBe('/sso/callback');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await context.close();
  });

  it("keeps the staff audience's internal notes from someone the provider vouches for who is not the company's", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${herald.url}/a/staff/sign-in`);
    await page.click('text=Sign in with your company account');
    await signInAtProvider(page, provider.issuer, 'stranger');
    await page.waitForLoadState();
    const shown = await page.goto(`${herald.url}/a/staff`);
    const body = (await page.textContent('body')) ?? '';
    expect(
      { status: shown!.status(), sawInternalNote: body.includes('INTERNAL-r5') },
      'stranger@gmail.example is outside COMPANY_DOMAINS and maps to no role',
    ).toEqual({ status: 404, sawInternalNote: false });
    await context.close();
  });

  it("shows the staff audience's internal notes to someone at a company domain", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${herald.url}/a/staff/sign-in`);
    await page.click('text=Sign in with your company account');
    await signInAtProvider(page, provider.issuer, 'dana');
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/a/staff');
    expect(await page.textContent('body')).toContain('INTERNAL-r5');
    await context.close();
  });

  it("keeps a ?lang= link's language through the provider and back to the page", async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${herald.url}/a/staff/sign-in?lang=de`);
    await page.click('a[href^="/sso/start"]');
    await signInAtProvider(page, provider.issuer, 'dana');
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/a/staff');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await context.close();
  });
});
