import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWait } from '../../db/client.ts';
import { subscriberImports, subscribers } from '../../db/schema/index.ts';
import { ManualClock, systemClock } from '../../server/domain/shared/clock.ts';
import { readSubscriberImport } from '../../server/domain/subscribers/import-jobs.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { heraldNode, registerChild } from '../helpers/children.ts';
import { startApiProcess } from '../helpers/lock-holder.ts';
import { openSecondDeps } from '../helpers/second-process.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { listBySlug } from '../helpers/subscribers.ts';

// A big CSV import runs in the background and shows how far it is, to the API and the list
// page of every Herald process on the database; while another process holds the write lock
// it says so, and the other process's admin writes keep answering.

const csvOf = (prefix: string, n: number) =>
  ['email', ...Array.from({ length: n }, (_, i) => `${prefix}${i}@example.org`)].join('\n');

/**
 * A process on the database, started ahead, that takes the write lock the moment `take()` cues
 * it (test/broadcasts/cued-write-lock.ts): the lock lands mid-import, not a process start later,
 * when a busy machine may have let the import finish.
 */
async function cuedWriteLock(dbUrl: string) {
  const script = fileURLToPath(new URL('./cued-write-lock.ts', import.meta.url));
  const child = spawn(heraldNode, [script, dbUrl.replace(/^file:/, '')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  registerChild(child);
  const released = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const heard = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!out.includes(`${line}\n`)) return false;
        child.stdout!.off('data', check);
        resolve();
        return true;
      };
      if (check()) return;
      child.stdout!.on('data', check);
      child.once('exit', (code) =>
        reject(new Error(`lock holder exited ${code} before "${line}"`)),
      );
    });
  await heard('ready');
  return {
    released,
    /** Takes the lock now; resolves once it is held. */
    take: async () => {
      child.stdin!.write('lock\n');
      await heard('locked');
    },
    /** Lets go. */
    release: () => void child.stdin!.end(),
  };
}

async function importCount(t: TestContext) {
  const [row] = await t.deps.db.select({ n: count() }).from(subscriberImports);
  return row!.n;
}

describe('CSV import progress, in one process', () => {
  let t: TestContext;
  let secret: string;
  let listId: string;
  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
    secret = (await makeToken(t, 'admin')).secret;
    listId = (await listBySlug(t.deps, 'customers')).id;
  });
  afterAll(() => t.close());

  it('POST /api/admin/lists/{id}/imports answers 202 and the import then reports its rows and rejections', async () => {
    const csv = [csvOf('api', 3), 'not-an-address', 'api0@example.org'].join('\n');
    const started = await api(t, secret).post(`/api/admin/lists/${listId}/imports`, { csv });
    expect(started.status).toBe(202);
    const job = started.json.import;
    expect(started.res.headers.get('location')).toBe(
      `/api/admin/lists/${listId}/imports/${job.id}`,
    );
    expect(job).toMatchObject({ state: 'running', rowsTotal: 5, listId });
    let view: any;
    await expect
      .poll(
        async () =>
          (view = (await api(t, secret).get(`/api/admin/lists/${listId}/imports/${job.id}`)).json
            .import).state,
      )
      .toBe('done');
    expect(view).toMatchObject({
      rowsDone: 5,
      rowsTotal: 5,
      imported: 3,
      alreadySubscribed: 0,
      errorCount: 2,
      errors: [
        { line: 5, value: 'not-an-address', reason: 'not an email address' },
        { line: 6, value: 'api0@example.org', reason: 'appears twice in the file' },
      ],
      waiting: null,
      error: null,
    });
    expect(Date.parse(view.finishedAt)).toBeGreaterThanOrEqual(Date.parse(view.startedAt));
    const listed = await api(t, secret).get(`/api/admin/lists/${listId}/imports`);
    expect(listed.json.imports.map((i: { id: string }) => i.id)).toContain(job.id);
  });

  it('refuses a file it cannot import at once, with a 4xx, and starts nothing', async () => {
    const before = await importCount(t);
    const tooMany = await api(t, secret).post(`/api/admin/lists/${listId}/imports`, {
      csv: csvOf('many', 50_001),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.error.message).toMatch(/At most 50,000 rows per import/);
    const noList = await api(t, secret).post('/api/admin/lists/nope/imports', { csv: 'a@b.org' });
    expect(noList.status).toBe(404);
    const notText = await api(t, secret).post(`/api/admin/lists/${listId}/imports`, { csv: 42 });
    expect(notText.status).toBe(422);
    const unknown = await api(t, secret).get(`/api/admin/lists/${listId}/imports/nope`);
    expect(unknown.status).toBe(404);
    expect(await importCount(t)).toBe(before);
  });
});

describe('a 50,000-row import in another Herald process', { timeout: 120_000 }, () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let other: Awaited<ReturnType<typeof startApiProcess>>;
  let secret: string;
  let admin: FormClient;
  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
    secret = (await makeToken(t, 'admin')).secret;
    site = await startSite(t);
    await makeUser(t, 'admin', 'ada@example.com');
    admin = new FormClient(site.base);
    await admin.login('ada@example.com');
    other = await startApiProcess(t.dbUrl);
  });
  afterAll(async () => {
    await other?.stop();
    await site?.close();
    await t?.close();
  });

  const otherApi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(other.base + path, {
      method,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as any };
  };

  it('shows its progress everywhere, says why it waits while the lock is held, and never blocks admin writes here', async () => {
    const list = await listBySlug(t.deps, 'customers');
    const lock = await cuedWriteLock(t.dbUrl);
    const started = await otherApi('POST', `/api/admin/lists/${list.id}/imports`, {
      csv: csvOf('bulk', 50_000),
    });
    expect(started.status).toBe(202);
    const path = `/api/admin/lists/${list.id}/imports/${started.json.import.id}`;
    // The progress line an admin reads on the list page here, as a number of rows.
    const progressLine = async () => {
      const line = /Importing: ([\d,]+) of 50,000 rows/.exec(
        (await admin.get(`/admin/lists/${list.id}`)).html,
      );
      return line ? Number(line[1]!.replaceAll(',', '')) : null;
    };
    const adminWrite = (name: string) =>
      api(t, secret)
        .post('/api/admin/components', { name })
        .then((r) => r.status);

    // An admin write here while the import runs there answers as always.
    expect(await adminWrite('During the import')).toBe(201);

    // Mid-way, with rows written by the other process, a third process takes the write lock
    // until the test lets go.
    await expect
      .poll(async () => (await otherApi('GET', path)).json.import.rowsDone, {
        timeout: 10_000,
        interval: 20,
      })
      .toBeGreaterThan(0);
    await lock.take();
    let whileLocked: Promise<number> | undefined;
    let stalled: any;
    try {
      await expect
        .poll(async () => (stalled = (await otherApi('GET', path)).json.import).waiting, {
          timeout: 10_000,
        })
        .toMatch(/^waiting for the database, held by another writer, \d+ s$/);
      expect(stalled.state).toBe('running');
      expect(stalled.rowsDone).toBeLessThan(50_000);
      // This process reads the same progress from the database while the lock is held.
      const here = await api(t, secret).get(path);
      expect(here.json.import).toMatchObject({ state: 'running', rowsTotal: 50_000 });
      expect(here.json.import.rowsDone).toBe(stalled.rowsDone);
      const importing = `Importing: ${stalled.rowsDone.toLocaleString('en-US')} of 50,000 rows`;
      const page = await admin.get(`/admin/lists/${list.id}`);
      expect(page.html).toContain(importing);
      // The import's own page refreshes itself while it runs: no JavaScript needed.
      const own = await admin.get(`/admin/lists/${list.id}/imports/${started.json.import.id}`);
      expect(own.html).toContain(importing);
      expect(own.html).toMatch(/<meta http-equiv="refresh" content="2"/);
      // An admin write here meets the held lock and waits for it (this process says so) ...
      whileLocked = adminWrite('While the lock is held');
      await expect
        .poll(() => writeWait(t.deps.db)?.fault, { timeout: 10_000, interval: 5 })
        .toBe('busy');
    } finally {
      lock.release();
      await lock.released;
    }
    // ... and answers once the lock is let go, as the import moves on: the page says so.
    expect(await whileLocked).toBe(201);
    // Past where it stalled (read while the lock was held: by now it may even have finished, and
    // the page's line is then gone).
    await expect
      .poll(async () => (await progressLine()) ?? 50_000, { timeout: 60_000, interval: 50 })
      .toBeGreaterThan(stalled.rowsDone);

    await expect
      .poll(async () => (await api(t, secret).get(path)).json.import.state, {
        timeout: 60_000,
        interval: 50,
      })
      .toBe('done');
    expect(await adminWrite('After the import')).toBe(201);

    const done = (await api(t, secret).get(path)).json.import;
    expect(done).toMatchObject({
      rowsDone: 50_000,
      rowsTotal: 50_000,
      imported: 50_000,
      errorCount: 0,
      waiting: null,
    });
    const [n] = await t.deps.db
      .select({ n: count() })
      .from(subscribers)
      .where(and(eq(subscribers.listId, list.id), eq(subscribers.source, 'import')));
    expect(n!.n).toBe(50_000);
    const page = await admin.get(`/admin/lists/${list.id}`);
    expect(page.html).toContain('Imported 50,000');
  });

  it('a graceful stop mid-import marks it interrupted and says what to do', async () => {
    const list = await listBySlug(t.deps, 'stakeholders');
    await api(t, secret).patch(`/api/admin/lists/${list.id}`, { allowedDomains: 'example.org' });
    const started = await otherApi('POST', `/api/admin/lists/${list.id}/imports`, {
      csv: csvOf('stop', 50_000),
    });
    expect(started.status).toBe(202);
    const path = `/api/admin/lists/${list.id}/imports/${started.json.import.id}`;
    await expect
      .poll(async () => (await otherApi('GET', path)).json.import.rowsDone, {
        timeout: 10_000,
        interval: 20,
      })
      .toBeGreaterThan(0);
    await other.stop();
    const job = (await api(t, secret).get(path)).json.import;
    expect(job.state).toBe('interrupted');
    expect(job.rowsDone).toBeLessThan(50_000);
    expect(job.error).toMatch(
      /^Herald was stopped during the import, after [\d,]+ of 50,000 rows\. Import the file again/,
    );
    const [n] = await t.deps.db
      .select({ n: count() })
      .from(subscribers)
      .where(eq(subscribers.listId, list.id));
    expect(n!.n).toBe(job.imported);
    other = await startApiProcess(t.dbUrl);
  });

  it('an import whose process died is reported as making no progress, with what to do', async () => {
    const list = await listBySlug(t.deps, 'drills');
    await api(t, secret).patch(`/api/admin/lists/${list.id}`, { allowedDomains: 'example.org' });
    const started = await otherApi('POST', `/api/admin/lists/${list.id}/imports`, {
      csv: csvOf('dead', 50_000),
    });
    const path = `/api/admin/lists/${list.id}/imports/${started.json.import.id}`;
    await expect
      .poll(async () => (await otherApi('GET', path)).json.import.rowsDone, {
        timeout: 10_000,
        interval: 20,
      })
      .toBeGreaterThan(0);
    await other.crash();
    const fresh = (await api(t, secret).get(path)).json.import;
    expect(fresh).toMatchObject({ state: 'running', waiting: null });
    // Twenty seconds on, as another process sees it.
    const later = new ManualClock(new Date(Date.now() + 20_000));
    const reader = await openSecondDeps(t, later);
    try {
      const job = await readSubscriberImport(reader, list.id, started.json.import.id);
      expect(job.state).toBe('running');
      expect(job.waiting).toMatch(
        /^no progress for 2\d s: another process holds the database, or the Herald process running the import stopped\. If it does not move on, import the file again/,
      );
    } finally {
      await reader.close();
    }
  });
});
