import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { createTestContext, testActor } from '../helpers/deps.ts';
import { startSite } from '../helpers/site.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

/** Reads Server-Sent Events from a fetch body, one `{event, data}` at a time. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  return {
    async next(): Promise<{ event: string; data: string }> {
      for (;;) {
        const end = buf.indexOf('\n\n');
        if (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (block.startsWith(':')) continue;
          const field = (k: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${k}:`))
              ?.slice(k.length + 1)
              .trim() ?? '';
          return { event: field('event'), data: field('data') };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('a page that stays current', () => {
  let w: BrowserSite;
  let s: BrowserSite['t'];
  let browser: BrowserSite['browser'];
  let componentId = '';
  beforeAll(async () => {
    w = await startBrowserSite();
    ({ t: s, browser } = w);
    componentId = (await makeComponent(s.deps, { name: 'API' })).id;
  });
  afterAll(() => w?.close());

  it('GET /api/changes announces the change counter, then each change after a write', async () => {
    const res = await fetch(`${s.url}/api/changes`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = sseReader(res.body!);
    const first = await events.next();
    expect(first.event).toBe('change');
    const before = Number(first.data);
    expect(before).toBeGreaterThan(0);
    await setComponentStatus(s.deps, { componentId, status: 'major_outage' }, testActor);
    const second = await events.next();
    expect(second).toEqual({ event: 'change', data: String(before + 1) });
    await setComponentStatus(s.deps, { componentId, status: 'operational' }, testActor);
    expect(await events.next()).toEqual({ event: 'change', data: String(before + 2) });
    await events.cancel();
  });

  it('shows "Last updated" without JavaScript, and an open page updates itself after a write', async () => {
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).toMatch(/<p class="muted last-updated">Last updated <time datetime="[^"]+">/);
    expect(html).toMatch(/<meta name="herald-changes" content="\d+">/);

    const page = await browser.newPage();
    await page.goto(`${s.url}/`);
    expect(await page.locator('h1').first().textContent()).toBe('All Systems Operational');
    await makeIncident(s.deps, {
      title: 'Logins fail',
      priority: 1,
      body: 'Some logins fail.',
      components: [{ componentId, status: 'partial_outage' }],
    });
    await page.locator('text=Logins fail').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('h1').first().textContent()).toBe('Partial System Outage');
  });
});

describe('a server that stops while a page follows it', () => {
  it('cuts the change stream instead of waiting for it to end', async () => {
    const t = await createTestContext();
    const site = await startSite(t);
    try {
      const res = await fetch(`${site.base}/api/changes`);
      const events = sseReader(res.body!);
      expect((await events.next()).event).toBe('change');
      // The stream would run for 15 minutes; the stop ends it and then resolves.
      await site.close();
      await expect(events.next()).rejects.toThrow();
    } finally {
      await t.close();
    }
  });
});
