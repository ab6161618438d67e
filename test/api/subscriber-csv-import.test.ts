import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { listBySlug } from '../helpers/subscribers.ts';

// CSV files as mail tools and spreadsheets export them: the address in a column named
// "Email Address" somewhere in the row, quoted fields that hold commas and line breaks.

/** A fresh database, an admin's API client and the seeded "customers" list to import into. */
async function adminOnCustomersList() {
  const t = await createTestContext();
  const admin = api(t, (await makeToken(t, 'admin')).secret);
  return { t, admin, listId: (await listBySlug(t.deps, 'customers')).id };
}

describe('POST /api/admin/subscribers/import reads exported CSV files', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let listId: string;
  beforeAll(async () => {
    ({ t, admin, listId } = await adminOnCustomersList());
  });
  afterAll(() => t.close());

  it('finds the address in an "Email Address" column that is not the first', async () => {
    const r = await admin.post('/api/admin/subscribers/import', {
      listId,
      csv: 'First Name,Last Name,Email Address\nAnn,Lee,ann@example.org\nBo,Ek,bo@example.org\n',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ imported: 2, alreadySubscribed: 0, rejected: [] });
  });

  it('keeps a quoted field with a line break in its row', async () => {
    const r = await admin.post('/api/admin/subscribers/import', {
      listId,
      csv: 'email,note\ncy@example.org,"met at the fair,\nwants news"\nbroken,x\ndee@example.org,x\n',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      imported: 2,
      alreadySubscribed: 0,
      rejected: [{ line: 4, value: 'broken', reason: 'not an email address' }],
    });
  });

  it('costs one row for a quote that is never closed, not the rest of the file', async () => {
    const r = await admin.post('/api/admin/subscribers/import', {
      listId,
      csv: 'email,note\n"eve@example.org,x\nfay@example.org,y\ngus@example.org,z\n',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      imported: 2,
      alreadySubscribed: 0,
      rejected: [{ line: 2, value: 'eve@example.org,x', reason: 'not an email address' }],
    });
  });
});

describe('POST /api/admin/subscribers/import refuses a file with nothing to import', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let listId: string;
  beforeAll(async () => {
    ({ t, admin, listId } = await adminOnCustomersList());
  });
  afterAll(() => t.close());

  it('answers 422 for an empty file and says what the file needs', async () => {
    const r = await admin.post('/api/admin/subscribers/import', { listId, csv: '\n\n' });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('validation_failed');
    expect(r.json.error.message).toMatch(/file is empty/);
    expect(r.json.error.message).toMatch(/one address per row/);
  });

  it('answers 422 for a header with no rows under it', async () => {
    const r = await admin.post('/api/admin/subscribers/import', {
      listId,
      csv: 'First Name,Email Address\n',
    });
    expect(r.status).toBe(422);
    expect(r.json.error.message).toMatch(/only a header/);
  });

  it('answers 422 for a file with no column of addresses, naming the headers it found', async () => {
    const r = await admin.post('/api/admin/subscribers/import', {
      listId,
      csv: 'name,phone\nAnn,123\nBo,456\n',
    });
    expect(r.status).toBe(422);
    expect(r.json.error.message).toMatch(/no column of email addresses/);
    expect(r.json.error.message).toContain('"name", "phone"');
    const later = await admin.get(`/api/admin/lists/${listId}/imports`);
    expect(later.json.imports).toEqual([]);
  });
});

describe('the admin import form reads the encoding a spreadsheet saved the file in', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let admin: FormClient;
  let listId: string;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    await makeUser(t, 'admin', 'ada@example.com');
    admin = new FormClient(site.base);
    await admin.login('ada@example.com');
    listId = (await listBySlug(t.deps, 'customers')).id;
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  const upload = async (bytes: Uint8Array<ArrayBuffer>) => {
    await admin.get('/admin/subscribers');
    return admin.postMultipart('/admin/subscribers', {
      _action: 'import',
      listId,
      file: new Blob([bytes], { type: 'text/csv' }),
    });
  };
  const importedEmails = async () =>
    (await t.deps.db.select().from(subscribers).where(eq(subscribers.source, 'import')))
      .map((s) => s.email)
      .sort();
  /** Text as UTF-16 code units with the byte-order mark first, as Excel's "Unicode text". */
  const utf16 = (text: string, order: 'le' | 'be') => {
    const out = new Uint8Array(2 + text.length * 2);
    out.set(order === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const [a, b] = order === 'le' ? [c & 0xff, c >> 8] : [c >> 8, c & 0xff];
      out[2 + 2 * i] = a;
      out[3 + 2 * i] = b;
    }
    return out;
  };
  const importPage = async (res: Response) => {
    expect(res.status).toBe(303);
    const page = res.headers.get('location')!;
    let html = '';
    await expect
      .poll(async () => (html = (await admin.get(page)).html), { timeout: 10_000 })
      .toMatch(/Imported \d/);
    return html;
  };

  it('imports Excel\'s "Unicode text" (UTF-16 LE, tab-separated) as the addresses it holds', async () => {
    const { res } = await upload(
      utf16('Name\tEmail Address\r\nZoë\tzoe@example.org\r\nAn\tan@example.org\r\n', 'le'),
    );
    const html = await importPage(res);
    expect(html).toContain('Imported 2');
    expect(await importedEmails()).toEqual(['an@example.org', 'zoe@example.org']);
  });

  it('imports a UTF-16 BE file with its byte-order mark', async () => {
    const { res } = await upload(utf16('email\nbe@example.org\n', 'be'));
    expect(await importPage(res)).toContain('Imported 1');
    expect(await importedEmails()).toContain('be@example.org');
  });

  it('imports a UTF-8 file that starts with a byte-order mark', async () => {
    const { res } = await upload(
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('email\nbom@example.org\n')]),
    );
    expect(await importPage(res)).toContain('Imported 1');
  });

  it('shows the form again saying the file has only a header, and starts nothing', async () => {
    const { res, html } = await upload(new TextEncoder().encode('email\n'));
    expect(res.status).toBe(422);
    expect(html).toContain('The file has only a header and no rows of addresses under it.');
    expect((await admin.get(`/admin/lists/${listId}/imports`)).html).not.toMatch(
      /\/imports\/[a-z0-9]{8,}/,
    );
  });

  it('refuses UTF-16 without a byte-order mark, naming the encoding problem', async () => {
    const { res, html } = await upload(utf16('email\nnobom@example.org\n', 'le').slice(2));
    expect(res.status).toBe(422);
    expect(html).toContain('looks like UTF-16 text without a byte-order mark');
    expect(await importedEmails()).not.toContain('nobom@example.org');
  });

  it('refuses a file in an older encoding, saying how to save it as UTF-8, and starts nothing', async () => {
    // "Zoë" in Windows-1252: 0xEB is not UTF-8.
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode('name,email\nZo'),
      0xeb,
      ...new TextEncoder().encode(',latin@example.org\n'),
    ]);
    const { res, html } = await upload(latin1);
    expect(res.status).toBe(422);
    expect(html).toContain('is not UTF-8 text');
    expect(html).toContain('&quot;CSV UTF-8 (Comma delimited)&quot;');
    expect(await importedEmails()).not.toContain('latin@example.org');
  });
});
