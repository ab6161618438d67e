import { asc } from 'drizzle-orm';
import { expect } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import type { TestContext } from './deps.ts';
import type { SmtpSink } from './smtp.ts';
import { makeConfirmedSubscriber } from './subscribers.ts';

/**
 * Readers on the customers list (ann and bob unless named), in the order a broadcast queues
 * their copies (subscriber order): what the per-address order tests hold the relay on.
 */
export async function readersInQueueOrder(
  t: TestContext,
  names: string[] = ['ann', 'bob'],
): Promise<string[]> {
  for (const who of names) await makeConfirmedSubscriber(t.deps, `${who}@example.org`, 'customers');
  return (await t.deps.db.select().from(subscribers).orderBy(asc(subscribers.id))).map(
    (s) => s.email,
  );
}

/** Two readers on the customers list as [first, other] (`readersInQueueOrder`). */
export async function twoReaders(t: TestContext): Promise<[string, string]> {
  return (await readersInQueueOrder(t)) as [string, string];
}

/** Each reader got the update (ORDER-1 in its text) and then the all-clear (ORDER-2), once each. */
export function expectUpdateThenAllClear(smtp: SmtpSink, readers: string[]) {
  for (const who of readers) {
    const texts = smtp.to(who).map((m) => m.parsed.text ?? '');
    expect(
      texts.map((x) => /ORDER-\d/.exec(x)?.[0]),
      who,
    ).toEqual(['ORDER-1', 'ORDER-2']);
  }
}
