import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../server/domain/shared/errors.ts';
import { mailboxKey } from '../../server/domain/shared/mailbox.ts';
import { publicActor } from '../../server/domain/subscribers/public-actor.ts';
import {
  CONFIRMATIONS_PER_ADDRESS_PER_HOUR,
  CONFIRMATIONS_PER_DOMAIN_PER_HOUR,
} from '../../server/domain/subscribers/request-budget.ts';
import { requestSubscription } from '../../server/domain/subscribers/request-subscription.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

describe('confirmation budgets count the inbox, not the literal address', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  const ask = (email: string) => requestSubscription(t.deps, { email }, publicActor);
  /** How many of `emails` were taken before the budget refused the rest. */
  async function taken(emails: string[]) {
    let n = 0;
    for (const email of emails) {
      try {
        await ask(email);
        n++;
      } catch (err) {
        if (!(err instanceof RateLimitedError)) throw err;
      }
    }
    return n;
  }

  it('names one inbox for plus-tags, case and (at Gmail) dots', () => {
    expect(mailboxKey('Victim+1@Example.ORG')).toBe('victim@example.org');
    expect(mailboxKey('victim+a+b@example.org')).toBe('victim@example.org');
    expect(mailboxKey('v.i.c.t.i.m+x@gmail.com')).toBe('victim@gmail.com');
    expect(mailboxKey('Victim@googlemail.com')).toBe('victim@gmail.com');
    // Elsewhere a dot is part of the name: two colleagues may differ only by one.
    expect(mailboxKey('ann.lee@example.org')).not.toBe(mailboxKey('annlee@example.org'));
    expect(mailboxKey('+tag@example.org')).toBe('+tag@example.org');
  });

  it('plus-addresses of one inbox share its hourly budget: victim+1@, victim+2@ ... stop after the same count as victim@', async () => {
    const tagged = Array.from({ length: 30 }, (_, i) => `victim+${i}@example.org`);
    expect(await taken(tagged)).toBe(CONFIRMATIONS_PER_ADDRESS_PER_HOUR);
    expect(await taken(['VICTIM@example.org', 'victim+x@EXAMPLE.org'])).toBe(0);
    const dotted = ['a.b.c@gmail.com', 'abc@googlemail.com', 'A.BC+1@gmail.com', 'ab.c@gmail.com'];
    expect(await taken([...dotted, ...dotted])).toBe(CONFIRMATIONS_PER_ADDRESS_PER_HOUR);
    // Positive control: another inbox at the same domain still has its own budget.
    expect(await taken(['colleague@example.org'])).toBe(1);
    // After the hour the inbox may ask again.
    t.clock.advance(3600_000 + 1000);
    expect(await taken(['victim+31@example.org'])).toBe(1);
  });

  it('all inboxes at one domain share a domain budget', async () => {
    t.clock.advance(3600_000 + 1000);
    const many = Array.from(
      { length: CONFIRMATIONS_PER_DOMAIN_PER_HOUR + 10 },
      (_, i) => `person${i}@small-company.example`,
    );
    expect(await taken(many)).toBe(CONFIRMATIONS_PER_DOMAIN_PER_HOUR);
    // Another domain is not affected.
    expect(await taken(['someone@other.example'])).toBe(1);
  }, 60_000);
});
