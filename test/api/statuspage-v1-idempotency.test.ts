import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuedWrites, writeWait } from '../../db/client.ts';
import { components, incidents, submissionKeys } from '../../db/schema/index.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';

// A Statuspage client that retries a write after a timeout sends its Idempotency-Key again: the
// management API answers the first result instead of doing the write twice, with the admin
// API's rules, in the /v1 error shape (`{"error": "..."}`).

/** Calls /v1 as a Statuspage client does, with `Authorization: OAuth <key>` and a JSON body. */
function v1(t: TestContext, secret: string) {
  return async (method: string, path: string, body?: unknown, key?: string) => {
    const headers: Record<string, string> = { authorization: `OAuth ${secret}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== undefined) headers['idempotency-key'] = key;
    const res = await t.app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, res };
  };
}

const declared = (t: TestContext, title: string) =>
  t.deps.db.select().from(incidents).where(eq(incidents.title, title));

describe('Idempotency-Key on the management API (/v1)', () => {
  let t: TestContext;
  let sp: ReturnType<typeof v1>;
  let base: string;
  beforeAll(async () => {
    t = await createTestContext();
    sp = v1(t, (await makeToken(t, 'admin')).secret);
    base = `/v1/pages/${(await t.deps.reader.page()).id}`;
  });
  afterAll(() => t.close());

  const incident = (name: string, body = 'Card payments are declined.') => ({
    incident: { name, status: 'investigating', impact_override: 'major', body },
  });

  it('the same POST with the same key declares one incident; the repeat answers the first again', async () => {
    const first = await sp('POST', `${base}/incidents`, incident('Payments failing'), 'pay-1');
    expect(first.status).toBe(201);
    expect(first.res.headers.get('idempotent-replayed')).toBeNull();
    const again = await sp('POST', `${base}/incidents`, incident('Payments failing'), 'pay-1');
    expect(again.status).toBe(201);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(await declared(t, 'Payments failing')).toHaveLength(1);
  });

  it('replays a PUT and a DELETE too: the retried delete answers 204 again, not 404', async () => {
    const { id } = await makeComponent(t.deps, { name: 'Search' });
    const path = `${base}/components/${id}`;
    const change = { component: { status: 'major_outage' } };
    const put = await sp('PUT', path, change, 'search-down');
    expect(put.status).toBe(200);
    const putAgain = await sp('PUT', path, change, 'search-down');
    expect(putAgain.res.headers.get('idempotent-replayed')).toBe('true');
    expect(putAgain.json).toEqual(put.json);
    const del = await sp('DELETE', path, undefined, 'search-gone');
    expect(del.status).toBe(204);
    const delAgain = await sp('DELETE', path, undefined, 'search-gone');
    expect(delAgain.status).toBe(204);
    expect(delAgain.res.headers.get('idempotent-replayed')).toBe('true');
    expect(await t.deps.db.select().from(components).where(eq(components.id, id))).toEqual([]);
  });

  it('the same key with another body is a 422 in the /v1 error shape, creating nothing', async () => {
    expect((await sp('POST', `${base}/incidents`, incident('Search down'), 'search')).status).toBe(
      201,
    );
    const other = await sp('POST', `${base}/incidents`, incident('Search slow'), 'search');
    expect(other.status).toBe(422);
    expect(other.json).toEqual({ error: expect.stringMatching(/already used for a different/) });
    expect(await declared(t, 'Search slow')).toHaveLength(0);
  });

  it("a caller's keys are its own: another token's same key runs for that token", async () => {
    const theirs = v1(t, (await makeToken(t, 'responder', 'other-bot')).secret);
    const body = incident('Two callers');
    const mine = await sp('POST', `${base}/incidents`, body, 'shared');
    expect(mine.status).toBe(201);
    const r = await theirs('POST', `${base}/incidents`, body, 'shared');
    expect(r.status).toBe(201);
    expect(r.res.headers.get('idempotent-replayed')).toBeNull();
    expect(r.json.id).not.toBe(mine.json.id);
    // Each one's retry answers its own first result.
    expect((await sp('POST', `${base}/incidents`, body, 'shared')).json.id).toBe(mine.json.id);
    expect((await theirs('POST', `${base}/incidents`, body, 'shared')).json.id).toBe(r.json.id);
    expect(await declared(t, 'Two callers')).toHaveLength(2);
  });

  it('a refused request gives its key back: the corrected one with the same key runs', async () => {
    const refused = await sp('POST', `${base}/incidents`, { incident: { status: 'nope' } }, 'fix');
    expect(refused.status).toBe(422);
    expect(typeof refused.json.error).toBe('string');
    const corrected = await sp('POST', `${base}/incidents`, incident('Corrected'), 'fix');
    expect(corrected.status).toBe(201);
    expect(corrected.res.headers.get('idempotent-replayed')).toBeNull();
    // The key now belongs to the corrected request: its retry is answered, not run again.
    const retried = await sp('POST', `${base}/incidents`, incident('Corrected'), 'fix');
    expect(retried.res.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.json).toEqual(corrected.json);
    expect(await declared(t, 'Corrected')).toHaveLength(1);
  });

  it('refuses a key that is not visible ASCII (400 in the /v1 shape), changing nothing', async () => {
    const r = await sp('POST', `${base}/incidents`, incident('Bad key'), 'has space');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/Idempotency-Key must be 1 to 255/) });
    expect(await declared(t, 'Bad key')).toHaveLength(0);
  });
});

describe('Idempotency-Key on /v1 while the first request still runs', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('a second POST with the key is a 409 with Retry-After; one incident is declared', async () => {
    const sp = v1(t, (await makeToken(t, 'responder')).secret);
    const base = `/v1/pages/${(await t.deps.reader.page()).id}`;
    // Once, so that neither request below stops to note when the token was last used.
    expect((await sp('GET', `${base}/incidents`)).status).toBe(200);
    const body = {
      incident: { name: 'Checkout errors', status: 'investigating', body: 'Errors.' },
    };
    // Another process holds the write lock: the first request's claim of the key waits at the
    // head of this process's queue of writes, the second's claim behind it, and the first's
    // incident behind both. So the second finds the first still running, whatever the timing.
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    let first!: ReturnType<typeof sp>;
    let second!: ReturnType<typeof sp>;
    try {
      first = sp('POST', `${base}/incidents`, body, 'checkout-once');
      await expect.poll(() => writeWait(t.deps.db)?.fault, { interval: 5 }).toBe('busy');
      second = sp('POST', `${base}/incidents`, body, 'checkout-once');
      // Its claim of the key queued behind the first's: both wait for the lock.
      await expect.poll(() => queuedWrites(t.deps.db), { interval: 5 }).toBe(2);
    } finally {
      lock.release();
      await lock.released;
    }
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(409);
    expect(b.json).toEqual({ error: expect.stringMatching(/still running/) });
    expect(b.res.headers.get('retry-after')).toBe('1');
    expect(await declared(t, 'Checkout errors')).toHaveLength(1);
    const later = await sp('POST', `${base}/incidents`, body, 'checkout-once');
    expect(later.status).toBe(201);
    expect(later.res.headers.get('idempotent-replayed')).toBe('true');
    expect(later.json).toEqual(a.json);
    expect(await t.deps.db.select().from(submissionKeys)).toHaveLength(1);
  });
});
