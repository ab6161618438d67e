import type { Page } from 'playwright-core';
import type { Actor } from '../../server/domain/shared/actor.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { TEST_PASSWORD } from '../helpers/site.ts';

export const asActor = (u: { id: string; email: string; role: Actor['role'] }): Actor => ({
  type: 'user',
  id: u.id,
  label: u.email,
  role: u.role,
});

/** A signed-in admin page in chromium, at a given viewport width. */
export async function signIn(
  browser: TestBrowser,
  base: string,
  email: string,
  width = 1280,
  height = 800,
): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await Promise.all([
    page.waitForURL((u) => u.pathname.startsWith('/admin')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  return page;
}
