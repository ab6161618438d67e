import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIncidentRecord } from '../../server/domain/record/record-views.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

describe('the record on the admin incident page (no JavaScript)', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  let ritaId: string;
  let otherId: string;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    ritaId = (await makeUser(t, 'responder', 'rita@example.com')).id;
    otherId = (await makeUser(t, 'responder', 'omar@example.com')).id;
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('writes facts, a decision, an unreviewed change and an action item, shows them with author and time, and keeps them off the public page', async () => {
    const { incident } = await makeIncident(t.deps, {
      title: 'Checkout errors',
      body: 'Public text.',
    });
    const path = `/admin/incidents/${incident.id}/record`;
    await rita.get(`/admin/incidents/${incident.id}`);
    const posts: Record<string, string>[] = [
      { _action: 'facts', 'fact.cause': 'SECRET-CAUSE deploy 4711', 'fact.ongoing': 'Yes' },
      {
        _action: 'decision',
        decision: 'Roll back deploy 4711',
        why: 'checkout errors began with it',
      },
      {
        _action: 'change',
        what: 'kubectl rollout undo deploy/checkout',
        target: 'prod cluster',
        ranById: ritaId,
        reviewerId: '',
        recordsTouched: '0',
      },
      {
        _action: 'action-item',
        title: 'roll back deploy 4711',
        ownerId: otherId,
        dueAt: '2026-11-21T14:20',
        kind: 'mitigate',
        phase: 'during',
      },
      {
        _action: 'remediation',
        what: 'Resend confirmations',
        affected: '40 customers',
        priority: '1',
        ownerId: '',
      },
    ];
    for (const fields of posts) {
      const { res, html } = await rita.post(path, fields);
      expect(res.status, `${fields._action}: ${html.slice(0, 2000)}`).toBe(303);
      expect(res.headers.get('location')).toContain(`/admin/incidents/${incident.id}?done=`);
    }
    const { html } = await rita.get(`/admin/incidents/${incident.id}`);
    expect(html).toContain('SECRET-CAUSE deploy 4711');
    expect(html).toContain('rita@example.com, <time');
    expect(html).toContain('Roll back deploy 4711 (why: checkout errors began with it)');
    expect(html).toContain('NOT REVIEWED: no second person looked at it');
    expect(html).toContain('backup NOT taken');
    expect(html).toMatch(/omar@example\.com: roll back deploy 4711, by <time[^>]*>14:20 UTC/);
    // The all-clear form lists what is still open.
    expect(html).toContain('1 action item is still open');
    expect(html).toContain('priority not confirmed by support or sales yet');

    const pub = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(pub).toContain('Public text.');
    for (const secret of [
      'SECRET-CAUSE',
      'Roll back deploy 4711',
      'rollout undo',
      'Resend confirmations',
    ])
      expect(pub, secret).not.toContain(secret);
  });

  it('shows the form again with what was typed when the due date is missing', async () => {
    const { incident } = await makeIncident(t.deps);
    await rita.get(`/admin/incidents/${incident.id}`);
    const { res, html } = await rita.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'action-item',
      title: 'Page the DBA',
      ownerId: ritaId,
      dueAt: '',
      kind: 'process',
      phase: 'during',
    });
    expect(res.status).toBe(422);
    expect(html).toContain('value="Page the DBA"');
    expect(html).toContain('pick a date and time');
    expect(html).toMatch(/<a href="#f-dueAt">Due<\/a>/);
  });

  it('names a bad kind, priority, date or count on the form, keeps what was typed and stores nothing', async () => {
    const { incident } = await makeIncident(t.deps);
    const path = `/admin/incidents/${incident.id}/record`;
    await rita.get(`/admin/incidents/${incident.id}`);
    const cases: {
      fields: Record<string, string>;
      field: string;
      label: string;
      says: string;
      kept: string;
    }[] = [
      {
        fields: {
          _action: 'action-item',
          title: 'Page the DBA',
          ownerId: ritaId,
          dueAt: '2026-11-28T10:00',
          kind: 'urgent',
          phase: 'during',
        },
        field: 'kind',
        label: 'Kind',
        says: 'must be prevent, mitigate, detect or process',
        kept: 'value="Page the DBA"',
      },
      {
        fields: {
          _action: 'action-item',
          title: 'Add a canary',
          ownerId: ritaId,
          dueAt: '2026-11-28T10:00',
          kind: 'detect',
          phase: 'later',
        },
        field: 'phase',
        label: 'Phase',
        says: 'must be during or after',
        kept: 'value="Add a canary"',
      },
      {
        fields: {
          _action: 'remediation',
          what: 'Refund the double charges',
          affected: '12 customers',
          priority: 'high',
          ownerId: '',
        },
        field: 'priority',
        label: 'Priority',
        says: 'must be 0, 1, 2 or 3',
        kept: 'Refund the double charges',
      },
      {
        fields: {
          _action: 'remediation',
          what: 'Resend receipts',
          affected: '3 customers',
          priority: '7',
          ownerId: '',
        },
        field: 'priority',
        label: 'Priority',
        says: 'must be 0, 1, 2 or 3',
        kept: 'Resend receipts',
      },
      {
        fields: {
          _action: 'change',
          what: 'psql -c "update orders"',
          target: 'prod db',
          ranById: ritaId,
          ranAt: 'yesterday',
          recordsTouched: '4',
        },
        field: 'ranAt',
        label: 'When',
        says: 'pick a date and time',
        kept: 'value="prod db"',
      },
      {
        fields: {
          _action: 'change',
          what: 'psql -c "delete from carts"',
          target: 'prod replica',
          ranById: ritaId,
          recordsTouched: 'lots',
        },
        field: 'recordsTouched',
        label: 'Records touched',
        says: 'must be a whole number',
        kept: 'value="lots"',
      },
    ];
    for (const c of cases) {
      const { res, html } = await rita.post(path, c.fields);
      expect(res.status, `${c.field}: ${html.slice(0, 500)}`).toBe(422);
      expect(html).toContain(`<a href="#f-${c.field}">${c.label}</a>: ${c.says}`);
      expect(html).toContain(c.kept);
    }
    const record = await readIncidentRecord(t.deps.db, incident.id, t.deps.clock.now());
    expect(record.changes).toEqual([]);
    expect(record.actionItems).toEqual([]);
    expect(record.remediation).toEqual([]);
  });

  it('names a state that is not one on the close form and leaves the item open', async () => {
    const { incident } = await makeIncident(t.deps);
    const path = `/admin/incidents/${incident.id}/record`;
    await rita.get(`/admin/incidents/${incident.id}`);
    await rita.post(path, {
      _action: 'action-item',
      title: 'Rotate the key',
      ownerId: ritaId,
      dueAt: '2026-11-28T10:00',
      kind: 'prevent',
      phase: 'after',
    });
    const [item] = (await readIncidentRecord(t.deps.db, incident.id, t.deps.clock.now()))
      .actionItems;
    const bad = await rita.post(path, {
      _action: 'action-item-state',
      itemId: item!.id,
      state: 'finished',
      reason: '',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('must be open, done or wont_do');
    const after = await readIncidentRecord(t.deps.db, incident.id, t.deps.clock.now());
    expect(after.actionItems.map((i) => i.state)).toEqual(['open']);
  });

  it('closes an action item as won’t do only with a reason', async () => {
    const { incident } = await makeIncident(t.deps);
    await rita.get(`/admin/incidents/${incident.id}`);
    await rita.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'action-item',
      title: 'Add a canary',
      ownerId: ritaId,
      dueAt: '2026-11-28T10:00',
      kind: 'detect',
      phase: 'after',
    });
    const page = await rita.get(`/admin/incidents/${incident.id}`);
    const itemId = /name="itemId" value="([a-z0-9]+)"/.exec(page.html)![1]!;
    const bad = await rita.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'action-item-state',
      itemId,
      state: 'wont_do',
      reason: '',
    });
    expect(bad.res.status).toBe(422);
    const ok = await rita.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'action-item-state',
      itemId,
      state: 'wont_do',
      reason: 'The new SLO alert covers it',
    });
    expect(ok.res.status).toBe(303);
    const after = await rita.get(`/admin/incidents/${incident.id}`);
    expect(after.html).toMatch(/class="tag">won(&#39;|')t do</);
    expect(after.html).toContain('(The new SLO alert covers it)');
  });
});
