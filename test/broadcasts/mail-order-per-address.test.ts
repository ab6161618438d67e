import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { expectUpdateThenAllClear, twoReaders } from '../helpers/reader-order.ts';

// Emails that wait to go out together (the relay was down while the team posted an update and
// then the all-clear) are sent side by side over the pool's connections; each reader still gets
// theirs in the order they were published.
describe('mail queued together for one reader', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let first: string;
  let other: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    // Two connections: while one is held, the other takes the queued emails strictly one by one.
    t = await createTestContext({ env: { SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '2' } });
    [first, other] = await twoReaders(t);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('reaches each reader in publish order, even when the relay is slow with the first', async () => {
    // Published while nothing sends: the declare and the all-clear wait together.
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Checkout errors',
      body: 'ORDER-1 We are investigating.',
    });
    await resolveIncident(
      t.deps,
      { incidentId: incident.id, body: 'ORDER-2 All clear.' },
      testActor,
    );
    // Each broadcast's copies are queued in subscriber order: the first reader's declare goes
    // first, on one connection, and the relay holds its answer until the other reader has both.
    // The other connection takes the rest in queue order: the other's declare, then (were it
    // not held back) the first reader's all-clear, then the other's all-clear.
    smtp.holdFirst(first);
    const sending = testWorker(t).drain();
    await smtp.until((mail) => mail.filter((m) => m.to.includes(other)).length === 2);
    // Meanwhile the relay was not offered the first reader's all-clear.
    expect(smtp.rcpts().filter((a) => a === first)).toHaveLength(1);
    smtp.releaseFirst();
    await sending;
    expectUpdateThenAllClear(smtp, [first, other]);
  });
});
