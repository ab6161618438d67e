import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import lighthouse from 'lighthouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { LANGUAGE_TAGS } from '../../server/i18n/languages.ts';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

// Every language on a phone-sized screen in Debian's chromium: axe finds nothing serious, the
// right-to-left page has no horizontal scroll, and Lighthouse's accessibility and SEO stay at
// 100 in German and Japanese. Screenshots go to the temp folder printed below, to be looked at.

// The minified build: the same rules, and about half the script to send and parse per page.
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const shots = path.join(os.tmpdir(), `herald-languages-${process.pid}`);

describe('pages in every language, in a browser', () => {
  let w: BrowserSite;
  let s: BrowserSite['t'];
  let browser: BrowserSite['browser'];

  beforeAll(async () => {
    // The public address of a deployed page, as the SEO audit reads it in the canonical link.
    w = await startBrowserSite({ env: { PUBLIC_URL: 'https://status.example.com' } });
    ({ t: s, browser } = w);
    s.clock.set('2026-11-21T14:00:00.000Z');
    const pay = await makeComponent(s.deps, { name: 'Payments', isGroup: true });
    const cards = await makeComponent(s.deps, { name: 'Card processing', groupId: pay.id });
    await makeComponent(s.deps, { name: 'Website' });
    await makeComponent(s.deps, { name: 'Public API' });
    await makeIncident(s.deps, {
      title: 'Some card payments are declined',
      priority: 1,
      body: 'A share of card payments is declined by the processor. We are working with them.',
      components: [{ componentId: cards.id, status: 'partial_outage' }],
    });
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Database upgrade',
        description: 'The API is read-only during the upgrade.',
        scheduledFor: new Date('2026-11-28T02:00:00.000Z'),
        scheduledUntil: new Date('2026-11-28T03:00:00.000Z'),
      },
      testActor,
    );
    mkdirSync(shots, { recursive: true });
  });
  afterAll(() => w?.close());

  /**
   * A phone-sized page, read in one language after another: `?lang=` chooses each page's
   * language whatever came before, so one page serves every language (a new one each would
   * cost a renderer process each).
   */
  async function phonePage() {
    // axe is injected as a script, which the page's own CSP (script-src 'self') would refuse.
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      bypassCSP: true,
      javaScriptEnabled: true,
    });
    const page = await context.newPage();
    return { page, context, open: (lang: string) => page.goto(`${s.url}/?lang=${lang}`) };
  }

  it('axe finds no serious or critical violation on / in any language', async () => {
    const { page, context, open } = await phonePage();
    // Given once, run in every page the context loads: the 0.5 MB of script crosses to the
    // browser once, not once per language.
    await context.addInitScript({ content: axeSource });
    for (const lang of LANGUAGE_TAGS) {
      await open(lang);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(lang);
      const violations = await page.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: {
              run(options: object): Promise<{ violations: { id: string; impact: string }[] }>;
            };
          }
        ).axe;
        // Every rule runs; only the violations are collected in full (the passes are not read).
        const r = await axe.run({ resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact }));
      });
      expect(
        violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
        lang,
      ).toEqual([]);
    }
    await context.close();
  }, 120_000);

  it('renders Arabic right to left with no horizontal scroll at 390 px, and German and Japanese too', async () => {
    const { page, context, open } = await phonePage();
    for (const lang of ['ar', 'de', 'ja']) {
      await open(lang);
      const layout = await page.evaluate(() => ({
        dir: getComputedStyle(document.body).direction,
        scroll: document.documentElement.scrollWidth,
        width: window.innerWidth,
        lang: document.documentElement.lang,
      }));
      expect(layout.lang).toBe(lang);
      expect(layout.dir).toBe(lang === 'ar' ? 'rtl' : 'ltr');
      expect(layout.scroll, `${lang} scrolls sideways`).toBeLessThanOrEqual(layout.width);
      await page.screenshot({ path: path.join(shots, `${lang}.png`), fullPage: true });
      // The language menu opens without JavaScript's help (a <details>) and lists every language.
      await page.locator('.lang-menu summary').click();
      await page.screenshot({ path: path.join(shots, `${lang}-menu.png`) });
      expect(await page.locator('.lang-menu a').count()).toBe(LANGUAGE_TAGS.length);
      // The open menu lies wholly on the screen (overflow on the start side would not scroll,
      // it would just be cut off).
      const box = (await page.locator('.lang-menu ul').boundingBox())!;
      expect(box.x, `${lang} menu starts off screen`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${lang} menu ends off screen`).toBeLessThanOrEqual(layout.width);
      // Times stay as the server wrote them in the reader's words (the visitor's-zone script
      // only knows the English forms).
      const next = await page.locator('.next-update time').first().textContent();
      expect(next, lang).not.toMatch(/^(Nov|Dec) /);
    }
    await context.close();
    console.log(`language screenshots: ${shots}`);
  }, 60_000);

  it('keeps Lighthouse accessibility and SEO at 100 in German and Japanese', async () => {
    const port = await browser.debugPort();
    for (const lang of ['de', 'ja']) {
      const result = await lighthouse(`${s.url}/?lang=${lang}`, {
        port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['accessibility', 'seo'],
        // Accessibility and SEO read the page as it is once loaded: no screenshot for a report
        // nobody opens, no blank page first and no emptied cache (both are for load timings),
        // and short quiet windows instead of the one-second ones that let performance metrics
        // settle (which are measured by `npm run bench:lighthouse`).
        disableFullPageScreenshot: true,
        skipAboutBlank: true,
        disableStorageReset: true,
        pauseAfterFcpMs: 100,
        pauseAfterLoadMs: 100,
        networkQuietThresholdMs: 100,
        cpuQuietThresholdMs: 100,
      });
      const lhr = result!.lhr;
      expect(lhr.runtimeError, lhr.runtimeError?.message).toBeUndefined();
      const failing = Object.values(lhr.audits)
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
        .map((a) => a.id);
      expect(lhr.categories.accessibility!.score, `${lang}: ${failing.join(', ')}`).toBe(1);
      expect(lhr.categories.seo!.score, `${lang}: ${failing.join(', ')}`).toBe(1);
    }
  }, 180_000);
});
