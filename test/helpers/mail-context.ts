import { afterAll, beforeAll } from 'vitest';
import { createTestContext, type TestContext } from './deps.ts';
import { type SmtpSink, startSmtpSink } from './smtp.ts';

/**
 * A suite's database and real in-process SMTP server, started before its tests and closed
 * after them. Read `t` and `smtp` inside tests (they exist once beforeAll has run).
 */
export function useMailContext(env: Record<string, string> = {}) {
  const ctx = {} as { t: TestContext; smtp: SmtpSink };
  beforeAll(async () => {
    ctx.smtp = await startSmtpSink();
    ctx.t = await createTestContext({ env: { SMTP_URL: ctx.smtp.url, ...env } });
  });
  afterAll(async () => {
    await ctx.t.close();
    await ctx.smtp.close();
  });
  return ctx;
}
