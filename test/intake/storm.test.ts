import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportAlerts, reports } from '../../db/schema/index.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { alertmanagerPayload } from './fixtures.ts';
import { intakeToken } from './helpers.ts';
import { listenApi } from './herald-server.ts';

// An alert storm over real HTTP: 1,000 notifications, many at once, over 100 fingerprints.

describe('an alert storm', () => {
  let t: TestContext;
  let herald: Awaited<ReturnType<typeof listenApi>>;
  let token: string;
  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
    herald = await listenApi(t);
    token = await intakeToken(t);
  });
  afterAll(async () => {
    await herald.close();
    await t.close();
  });

  it('1,000 alerts over 100 keys file at most one report per key and answer no 5xx', async () => {
    const bodies: { source: string; body: unknown }[] = [];
    for (let i = 0; i < 1000; i++) {
      const n = i % 100;
      if (n < 50) {
        bodies.push({
          source: 'generic',
          body: {
            key: `storm-${n}`,
            status: i % 7 === 0 ? 'resolved' : 'firing',
            title: `Storm ${n}`,
            severity: 'critical',
          },
        });
      } else {
        const base = alertmanagerPayload();
        bodies.push({
          source: 'alertmanager',
          body: {
            ...base,
            groupKey: `{}:{alertname="Storm${n}"}`,
            alerts: [
              { ...base.alerts[0], fingerprint: `fp-${n}`, labels: { alertname: `Storm${n}` } },
            ],
          },
        });
      }
    }
    const statuses: number[] = [];
    // 50 in flight at a time: a storm from several Alertmanagers and scripts at once.
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < bodies.length) {
          const { source, body } = bodies[next++]!;
          const res = await fetch(`${herald.url}/api/intake/${source}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(body),
          });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
      }),
    );
    expect(statuses).toHaveLength(1000);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([202]));
    const rows = await t.deps.db.select().from(reports);
    const perKey = new Map<string, number>();
    for (const r of rows) perKey.set(r.alertKey!, (perKey.get(r.alertKey!) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBe(1);
    expect(perKey.size).toBe(100);
    // Every notification was counted on its report: nothing lost.
    expect(rows.reduce((sum, r) => sum + r.alertNotices, 0)).toBeGreaterThanOrEqual(
      1000 - rows.length,
    );
    const fp = await t.deps.db
      .select()
      .from(reportAlerts)
      .where(eq(reportAlerts.fingerprint, 'fp-77'));
    expect(fp).toHaveLength(1);
  }, 120_000);
});
