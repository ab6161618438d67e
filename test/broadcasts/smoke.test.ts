import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeIncident } from '../helpers/factories.ts';
import { requestSubscription } from '../../server/domain/subscribers/request-subscription.ts';
import { createOutboxWorker } from '../../server/jobs/outbox-worker.ts';

let t: TestContext; let smtp: SmtpSink;
beforeAll(async () => { smtp = await startSmtpSink(); t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } }); });
afterAll(async () => { await t.close(); await smtp.close(); });
it('smoke', async () => {
  const r = await requestSubscription(t.deps, { email: 'bob@Example.org' }, testActor);
  console.log(r);
  const w = createOutboxWorker(t.deps);
  console.log(await w.runOnce());
  console.log(smtp.received.map(m => [m.parsed.subject, m.header('list-unsubscribe'), m.header('list-id'), m.header('list-unsubscribe-post'), m.header('message-id')]));
  console.log(smtp.received[0]?.parsed.text);
  const r2 = await requestSubscription(t.deps, { email: 'al@acme.com' }, testActor);
  console.log(r2);
  await makeIncident(t.deps, { priority: 0, title: 'Website\r\nBcc: evil@x.com is <b>down</b>' });
  console.log(await w.runOnce());
});
