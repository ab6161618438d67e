import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { reports } from '../../db/schema/index.ts';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { testActor, type TestContext } from '../helpers/deps.ts';

/** A fresh intake token's bearer secret. */
export async function intakeToken(t: TestContext, name = 'prometheus') {
  return (await createApiToken(t.deps, { name, role: 'intake' }, testActor)).secret;
}

/** POSTs a payload to /api/intake/<source> in-process, as the monitoring system would. */
export async function postAlert(
  t: TestContext,
  source: string,
  secret: string | null,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await t.app.request(`/api/intake/${source}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...headers,
    },
    body: text,
  });
  const json = (await res.json()) as any;
  return { status: res.status, json, headers: res.headers };
}

export function pagerdutySignature(secret: string, body: string) {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function alertReports(t: TestContext) {
  return t.deps.db.select().from(reports).where(eq(reports.kind, 'bug'));
}

/**
 * Waits for a state (a row, a count) by looking again every 50 ms; the deadline is only there
 * to fail with a message instead of hanging, never a guess at how long the work takes.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  deadlineMs = 60_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
