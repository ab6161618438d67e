import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

// CSV files as mail tools and spreadsheets export them: the address in a column named
// "Email Address" somewhere in the row, quoted fields that hold commas and line breaks.

describe('POST /api/admin/subscribers/import reads exported CSV files', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let listId: string;
  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
    const lists = (await admin.get('/api/admin/lists')).json.lists as {
      id: string;
      slug: string;
    }[];
    listId = lists.find((l) => l.slug === 'customers')!.id;
  });
  afterAll(async () => {
    await t.close();
  });

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
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
    const lists = (await admin.get('/api/admin/lists')).json.lists as {
      id: string;
      slug: string;
    }[];
    listId = lists.find((l) => l.slug === 'customers')!.id;
  });
  afterAll(async () => {
    await t.close();
  });

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
