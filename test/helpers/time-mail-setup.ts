import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import type { DeclareIncidentInput } from '../../server/domain/incidents/inputs.ts';
import type { TestContext } from './deps.ts';
import { makeUserActor } from './factories.ts';
import { testWorker } from './outbox.ts';
import type { SmtpSink } from './smtp.ts';

/**
 * An incident declared at `at` by a new user who owns it, its first broadcast already sent and
 * the sink emptied: a test of what time brings (reminders, due updates) then sees only that.
 */
export async function declareOwnedIncident(
  ctx: { t: TestContext; smtp: SmtpSink },
  at: string,
  ownerEmail: string,
  input: DeclareIncidentInput,
) {
  ctx.t.clock.set(at);
  const owner = await makeUserActor(ctx.t.deps, ownerEmail);
  const { incident } = await declareIncident(ctx.t.deps, input, owner);
  await testWorker(ctx.t).drain();
  ctx.smtp.clear();
  return { owner, incident };
}
