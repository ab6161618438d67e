import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

/** A product's own page on another origin, under a strict CSP that allows Herald's script. */
async function startHostPage(herald: string) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src ${herald}; connect-src ${herald}; img-src ${herald}; style-src 'self'`,
    });
    res.end(`<!doctype html><html><head><title>Product</title>
      <script src="${herald}/embed.js" async></script></head>
      <body><h1>Our product</h1><img id="badge" alt="status" src="${herald}/badge.svg"></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('the embed script and badge on a product page with a strict CSP', () => {
  let w: BrowserSite;
  let t: BrowserSite['t'];
  let site: BrowserSite['site'];
  let host: Awaited<ReturnType<typeof startHostPage>>;
  let browser: BrowserSite['browser'];
  beforeAll(async () => {
    // The public address is another origin than the loopback one the pages are read from.
    w = await startBrowserSite({ env: { PUBLIC_URL: 'https://status.example.com' } });
    ({ t, site, browser } = w);
    host = await startHostPage(site.base);
  });
  afterAll(async () => {
    await host?.close();
    await w?.close();
  });

  it('shows nothing while all is well, a dismissible banner during an incident', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => m.type() === 'error' && violations.push(m.text()));
    await page.goto(host.url);
    await page.waitForLoadState('networkidle');
    expect(await page.locator('[data-herald-embed]').count()).toBe(0);
    expect(
      await page.locator('#badge').evaluate((img: HTMLImageElement) => img.naturalWidth),
    ).toBeGreaterThan(50);

    const api = await makeComponent(t.deps, { name: 'API' });
    const { incident } = await makeIncident(t.deps, {
      title: 'Checkout <img src=x onerror=alert(1)> is slow',
      priority: 1,
      body: 'Looking into it.',
      components: [{ componentId: api.id, status: 'degraded_performance' }],
    });
    await page.reload();
    const banner = page.locator('[data-herald-embed] [role=status]');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(
      'Checkout <img src=x onerror=alert(1)> is slow · Investigating',
    );
    expect(await page.locator('[data-herald-embed] img').count()).toBe(0);
    expect(await page.locator('[data-herald-embed] a').getAttribute('href')).toBe(
      `${t.deps.config.publicUrl.replace(/\/$/, '')}/incidents/${incident.id}`,
    );
    // The host's CSS does not reach into the shadow root, and the banner's own sheet applies.
    expect(await banner.evaluate((el) => getComputedStyle(el).position)).toBe('fixed');

    await page.locator('[data-herald-embed] button').click();
    expect(await page.locator('[data-herald-embed]').count()).toBe(0);
    await page.reload();
    await page.waitForLoadState('networkidle');
    expect(await page.locator('[data-herald-embed]').count()).toBe(0);
    expect(violations.filter((v) => /Content Security Policy/i.test(v))).toEqual([]);

    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    const fresh = await browser.newPage();
    await fresh.goto(host.url);
    await fresh.waitForLoadState('networkidle');
    expect(await fresh.locator('[data-herald-embed]').count()).toBe(0);
  });
});
