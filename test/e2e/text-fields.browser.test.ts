import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';

// One look for every text field (herald.css), on the public pages and the admin's, where
// admin.css only sizes them.
describe('text fields in chromium', () => {
  let w: BrowserSite;
  beforeAll(async () => {
    w = await startBrowserSite();
  });
  afterAll(() => w?.close());

  const fieldStyles = async (path: string, selectors: string[]) => {
    const page = await w.browser.newPage();
    try {
      await page.goto(w.site.base + path);
      return await page.evaluate(
        (sels) =>
          sels.map((sel) => {
            const el = document.querySelector(sel)!;
            const s = getComputedStyle(el);
            const column = el.closest('form')!.getBoundingClientRect().width;
            return {
              border: `${s.borderTopWidth} ${s.borderTopStyle}`,
              radius: s.borderTopLeftRadius,
              font: s.fontFamily,
              padding: `${s.paddingTop} ${s.paddingLeft}`,
              fillsColumn: Math.abs(el.getBoundingClientRect().width - column) < 1,
            };
          }),
        selectors,
      );
    } finally {
      await page.close();
    }
  };

  it('the sign-in form’s fields look like the public form’s, a little tighter, the password filling the column', async () => {
    const [email, password] = await fieldStyles('/login', ['#f-email', '#f-password']);
    const [subscribe] = await fieldStyles('/subscribe', ['#email']);
    // An address field stays address-wide (22rem) everywhere; the others fill the column.
    expect(password).toEqual({ ...email, fillsColumn: true });
    expect(email).toMatchObject({ border: '1px solid', radius: '5.6px', fillsColumn: false });
    // The admin's fields are a little tighter than the public page's.
    expect(email!.padding).toBe('7.2px 8.8px');
    expect(subscribe).toMatchObject({ border: '1px solid', radius: '5.6px', font: email!.font });
    expect(subscribe!.padding).toBe('7.2px 9.6px');
  });
});
