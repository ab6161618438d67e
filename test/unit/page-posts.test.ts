import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminPagePosts } from '../../server/web/forms/page-posts.ts';

const pagesDir = path.resolve('site/src/pages');

/** Every admin page file, with its route as Astro names it (`/admin/incidents/[id]`). */
function adminPages(dir = path.join(pagesDir, 'admin')): { route: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return adminPages(full);
    if (!e.name.endsWith('.astro')) return [];
    const route = `/${path.relative(pagesDir, full)}`
      .replace(/\.astro$/, '')
      .replace(/\/index$/, '');
    return [{ route, text: readFileSync(full, 'utf8') }];
  });
}

describe('admin page posts are declared in one table', () => {
  it('every admin page with a form has its POST in the table, and no page reads its own', () => {
    const pages = adminPages();
    expect(pages.length).toBeGreaterThan(30);
    for (const page of pages) {
      expect(page.text, `${page.route} reads its own POST`).not.toContain('request.formData()');
      expect(page.text, `${page.route} redirects by itself`).not.toContain('Astro.redirect(result');
      if (/method="post"/i.test(page.text))
        expect(Object.keys(adminPagePosts), page.route).toContain(page.route);
    }
  });

  it('every route in the table is a real page, which renders what the POST left', () => {
    for (const route of Object.keys(adminPagePosts)) {
      const file = [`${route}.astro`, `${route}/index.astro`]
        .map((f) => path.join(pagesDir, f))
        .find((f) => existsSync(f));
      expect(file, route).toBeDefined();
      expect(readFileSync(file!, 'utf8'), route).toContain('Astro.locals.herald.posted');
    }
  });
});
