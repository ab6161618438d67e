import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lists, subscribers } from '../../db/schema/index.ts';
import { testWorker } from '../helpers/outbox.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';

describe('one sign-up, one confirmation', () => {
  const w = useCompanySite();

  it('a company address gets the internal list ticked (never the drill list), one mail that names every list chosen, and one press confirms them all', async () => {
    const { t, smtp, site, browser } = w;
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.base}/subscribe`);
    await page.getByLabel('Email address').fill('sales@acme.com');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('group', { name: 'Which lists?' }).waitFor();
    const box = (name: RegExp) => page.getByRole('checkbox', { name });
    expect(await box(/^Stakeholders/).isChecked()).toBe(true);
    expect(await box(/^Drills/).isChecked()).toBe(false);
    expect(await box(/^Customers/).isChecked()).toBe(false);
    await box(/^Customers/).check();
    await page.getByRole('button', { name: 'Subscribe to the ticked lists' }).click();
    await page.getByText('a confirmation link is on its way').waitFor();

    await testWorker(t).drain();
    const mails = smtp.to('sales@acme.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.parsed.text).toMatch(
      /(Stakeholders and Customers|Customers and Stakeholders) lists /,
    );
    const link = /http:\/\/127\.0\.0\.1\S*(\/confirm\/[A-Za-z0-9_-]+)/.exec(
      mails[0]!.parsed.text!,
    )![1]!;
    smtp.clear();

    await page.goto(`${site.base}${link}`);
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await page.waitForLoadState();
    const rows = await t.deps.db
      .select({ list: lists.slug, state: subscribers.state })
      .from(subscribers)
      .innerJoin(lists, eq(lists.id, subscribers.listId))
      .where(eq(subscribers.email, 'sales@acme.com'));
    expect(rows.sort((a, b) => a.list.localeCompare(b.list))).toEqual([
      { list: 'customers', state: 'confirmed' },
      { list: 'stakeholders', state: 'confirmed' },
    ]);
    await testWorker(t).drain();
    const welcome = smtp.to('sales@acme.com');
    expect(welcome).toHaveLength(1);
    expect(welcome[0]!.parsed.text).toMatch(
      /(Stakeholders and Customers|Customers and Stakeholders) lists/,
    );
    await page.context().close();
  });
});
