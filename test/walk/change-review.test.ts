import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, incidentChanges } from '../../db/schema/index.ts';
import { logChange } from '../../server/domain/record/log-change.ts';
import { reviewChange } from '../../server/domain/record/review-change.ts';
import { ConflictError, ForbiddenError } from '../../server/domain/shared/errors.ts';
import { api, makeToken } from '../helpers/api.ts';
import {
  type BrowserSite,
  type MailBrowserSite,
  startBrowserSite,
  type TestBrowser,
} from '../helpers/browser.ts';
import type { TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import type { SmtpSink } from '../helpers/smtp.ts';
import { asActor, signIn } from './helpers.ts';

describe('a logged change names its reviewer, who is asked and confirms or objects', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: BrowserSite['site'];
  let w: MailBrowserSite;
  let browser: TestBrowser;
  let pm: Awaited<ReturnType<typeof makeUser>>;
  let dba: Awaited<ReturnType<typeof makeUser>>;
  let other: Awaited<ReturnType<typeof makeUser>>;
  beforeAll(async () => {
    w = await startBrowserSite({ mail: true });
    ({ t, smtp, site, browser } = w);
    pm = await makeUser(t, 'admin', 'pm@example.com');
    dba = await makeUser(t, 'responder', 'dba@example.com');
    other = await makeUser(t, 'responder', 'other@example.com');
  });
  afterAll(() => w?.close());
  afterEach(() => {
    smtp.reject(null);
    smtp.clear();
  });

  const changeRow = async (id: string) =>
    (await t.deps.db.select().from(incidentChanges).where(eq(incidentChanges.id, id)))[0]!;

  it('in chromium: the PM logs "1,240" records with a reviewer; the reviewer is mailed, sees "Review requested" on the dashboard, and confirms on the incident page', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Orders stuck', priority: 0 });
    const page = await signIn(browser, site.base, 'pm@example.com');
    await page.goto(`${site.base}/admin/incidents/${incident.id}`);
    await page.locator('.record-details > summary').click();
    await page
      .getByLabel('Script or command run against production')
      .fill('UPDATE orders SET state = 2');
    await page.getByLabel('Where').fill('orders-db primary');
    await page.getByLabel('Who should review it').selectOption({ label: 'dba@example.com' });
    await page.getByLabel('Records touched').fill('1,240');
    await page.getByLabel('A backup was taken first').check();
    await Promise.all([
      page.waitForURL(/done=change/),
      page.getByRole('button', { name: 'Log change' }).click(),
    ]);
    const entry = page.locator('li.change').first();
    await expect.poll(() => entry.textContent()).toContain('review requested from dba@example.com');
    expect(await entry.textContent()).not.toContain('reviewed by');
    expect(await entry.textContent()).toContain('1,240 records touched');
    // The one who logged it is not offered as its reviewer.
    const options = await page
      .getByLabel('Who should review it')
      .locator('option')
      .allTextContents();
    expect(options).not.toContain('pm@example.com');
    await page.context().close();

    await testWorker(t).drain();
    const asked = smtp.to('dba@example.com');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.parsed.subject).toBe(
      'REVIEW REQUESTED: CHANGE ON ORDERS-DB PRIMARY (P0: Orders stuck)',
    );
    expect(asked[0]!.parsed.text).toContain('UPDATE orders SET state = 2');
    expect(asked[0]!.parsed.text).toContain(`/admin/incidents/${incident.id}#change-`);

    const reviewer = await signIn(browser, site.base, 'dba@example.com');
    await reviewer.goto(`${site.base}/admin`);
    const line = reviewer.locator('.review-requests li');
    expect(await line.textContent()).toContain('Review requested:');
    expect(await line.textContent()).toContain('Orders stuck');
    await Promise.all([
      reviewer.waitForURL((u) => u.pathname === `/admin/incidents/${incident.id}`),
      line.getByRole('link').click(),
    ]);
    await Promise.all([
      reviewer.waitForURL(/done=change-review/),
      reviewer.getByRole('button', { name: 'Confirm: I reviewed it' }).click(),
    ]);
    expect(await reviewer.locator('li.change').first().textContent()).toContain(
      'reviewed by dba@example.com',
    );
    await reviewer.goto(`${site.base}/admin`);
    expect(await reviewer.locator('.review-requests').count()).toBe(0);
    await reviewer.context().close();
  });

  it('until the reviewer confirms, the record and the internal post-mortem say "review requested", never "reviewed by"', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Pending review', priority: 1 });
    const call = api(t, (await makeToken(t, 'admin')).secret);
    const logged = await call.post(`/api/admin/incidents/${incident.id}/changes`, {
      what: 'DELETE FROM carts WHERE stale',
      target: 'carts-db',
      ranById: pm.id,
      reviewerId: dba.id,
      backupTaken: true,
      triedOnSample: true,
    });
    expect(logged.status).toBe(201);
    const rec = await call.get(`/api/admin/incidents/${incident.id}/record`);
    expect(rec.json.changes[0].review).toBe('review requested from dba@example.com');
    await call.post(`/api/admin/incidents/${incident.id}/resolve`, { body: 'Fixed.' });
    const pmDraft = await call.get(`/api/admin/incidents/${incident.id}/postmortem`);
    expect(pmDraft.json.postmortem.internalBody).toContain('review requested from dba@example.com');
    expect(pmDraft.json.postmortem.internalBody).not.toContain('reviewed by');
  });

  it('only the named reviewer can confirm: someone else gets 403 and nothing changes, and whoever logs a change cannot be its reviewer', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Wrong reviewer', priority: 1 });
    const change = await logChange(
      t.deps,
      {
        incidentId: incident.id,
        what: 'ALTER TABLE x',
        target: 'db',
        ranById: pm.id,
        reviewerId: dba.id,
        backupTaken: false,
        triedOnSample: false,
      },
      asActor(pm),
    );
    const reviews = async () =>
      (await t.deps.db.select().from(auditLog)).filter((a) => a.action === 'incident.review_change')
        .length;
    const audits = await reviews();

    // Another responder, through the form as a browser posts it.
    const form = new FormClient(site.base);
    await form.login('other@example.com');
    await form.get(`/admin/incidents/${incident.id}`);
    const refused = await form.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'change-review',
      changeId: change.id,
      verdict: 'confirm',
    });
    expect(refused.res.status).toBe(403);
    expect(refused.html).toContain('Only the reviewer this change names can review it.');
    // Nor can the PM who logged it, nor a command-line token: a review is a named person's.
    await expect(
      reviewChange(t.deps, { changeId: change.id, verdict: 'confirm' }, asActor(pm)),
    ).rejects.toThrow(ForbiddenError);
    const call = api(t, (await makeToken(t, 'admin')).secret);
    const byToken = await call.post(`/api/admin/changes/${change.id}/review`, {
      verdict: 'confirm',
    });
    expect(byToken.status).toBe(403);
    expect((await changeRow(change.id)).reviewState).toBe('requested');
    expect(await reviews()).toBe(audits);

    // Whoever logs a change cannot name themselves its reviewer; the form says so, keeping
    // what was typed.
    const pmForm = new FormClient(site.base);
    await pmForm.login('pm@example.com');
    await pmForm.get(`/admin/incidents/${incident.id}`);
    const self = await pmForm.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'change',
      what: 'DROP INDEX slow_idx',
      target: 'orders-db',
      ranById: dba.id,
      reviewerId: pm.id,
      recordsTouched: '',
    });
    expect(self.res.status).toBe(422);
    expect(self.html).toContain('must be someone other than you, who logs it');
    expect(self.html).toContain('DROP INDEX slow_idx');
  });

  it('an objection needs a reason, keeps what was typed when refused, and shows in the record with the reason', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Objection', priority: 1 });
    const change = await logChange(
      t.deps,
      {
        incidentId: incident.id,
        what: 'TRUNCATE sessions',
        target: 'sessions-db',
        ranById: pm.id,
        reviewerId: other.id,
        backupTaken: false,
        triedOnSample: false,
      },
      asActor(pm),
    );
    const form = new FormClient(site.base);
    await form.login('other@example.com');
    await form.get(`/admin/incidents/${incident.id}`);
    const noReason = await form.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'change-review',
      changeId: change.id,
      verdict: 'object',
      reason: '',
    });
    expect(noReason.res.status).toBe(422);
    expect(noReason.html).toContain('say what is wrong with it');
    expect((await changeRow(change.id)).reviewState).toBe('requested');
    const ok = await form.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'change-review',
      changeId: change.id,
      verdict: 'object',
      reason: 'no backup of sessions',
    });
    expect(ok.res.status).toBe(303);
    const row = await changeRow(change.id);
    expect([row.reviewState, row.reviewReason]).toEqual(['objected', 'no backup of sessions']);
    const page = await form.get(`/admin/incidents/${incident.id}`);
    expect(page.html).toContain('other@example.com objected: no backup of sessions');
    // A verdict is given once.
    await expect(
      reviewChange(t.deps, { changeId: change.id, verdict: 'confirm' }, asActor(other)),
    ).rejects.toThrow(ConflictError);
  });

  it('two confirmations racing record one verdict and one audit entry', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Race', priority: 1 });
    const change = await logChange(
      t.deps,
      {
        incidentId: incident.id,
        what: 'x',
        target: 'y',
        ranById: pm.id,
        reviewerId: dba.id,
        backupTaken: true,
        triedOnSample: true,
      },
      asActor(pm),
    );
    const results = await Promise.allSettled([
      reviewChange(t.deps, { changeId: change.id, verdict: 'confirm' }, asActor(dba)),
      reviewChange(t.deps, { changeId: change.id, verdict: 'object', reason: 'r' }, asActor(dba)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
    const audits = (await t.deps.db.select().from(auditLog)).filter(
      (a) => a.action === 'incident.review_change' && a.objectId === incident.id,
    );
    expect(audits).toHaveLength(1);
    await expect(
      reviewChange(t.deps, { changeId: change.id, verdict: 'confirm' }, asActor(other)),
    ).rejects.toThrow(ForbiddenError);
  });

  it('a relay that refuses the request at first still delivers it once on the retry, and a request for a change reviewed meanwhile is not sent', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Relay down', priority: 1 });
    smtp.reject(() => ({ code: 451, message: 'try again later' }));
    const first = await logChange(
      t.deps,
      {
        incidentId: incident.id,
        what: 'reindex',
        target: 'search',
        ranById: pm.id,
        reviewerId: dba.id,
        backupTaken: true,
        triedOnSample: true,
      },
      asActor(pm),
    );
    const second = await logChange(
      t.deps,
      {
        incidentId: incident.id,
        what: 'vacuum',
        target: 'search',
        ranById: pm.id,
        reviewerId: other.id,
        backupTaken: true,
        triedOnSample: true,
      },
      asActor(pm),
    );
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);
    // The second reviewer confirms before the relay is back: there is nothing left to ask.
    await reviewChange(t.deps, { changeId: second.id, verdict: 'confirm' }, asActor(other));
    smtp.reject(null);
    t.clock.advance(60 * 60_000);
    await testWorker(t).drain();
    t.clock.advance(60 * 60_000);
    await testWorker(t).drain();
    const about = (to: string) =>
      smtp.to(to).filter((m) => m.parsed.subject?.includes('CHANGE ON SEARCH'));
    expect(about('dba@example.com')).toHaveLength(1);
    expect(about('other@example.com')).toHaveLength(0);
    expect((await changeRow(first.id)).reviewState).toBe('requested');
  });
});
