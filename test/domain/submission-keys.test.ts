import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../server/deps.ts';
import {
  claimSubmissionKey,
  completeSubmissionKey,
  releaseSubmissionKey,
  submissionKeyOf,
} from '../../server/domain/submissions/submission-keys.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { openSecondDeps } from '../helpers/second-process.ts';

describe('one-time submission keys', () => {
  let t: TestContext;
  let other: Deps;
  beforeAll(async () => {
    t = await createTestContext();
    other = await openSecondDeps(t);
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  it('of many claims at once, from two processes, exactly one wins', async () => {
    const key = submissionKeyOf('form:user1', 'token-race');
    const claims = await Promise.all(
      [t.deps, other, t.deps, other, t.deps, other].map((d) =>
        claimSubmissionKey(d, { key, fingerprint: 'same' }),
      ),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    for (const c of claims.filter((c) => !c.claimed))
      expect(c).toMatchObject({ sameRequest: true, running: true });
  });

  it('a given-back key is claimed again; an answered one answers, with other content told apart', async () => {
    const key = submissionKeyOf('api:token:t1', 'key-1');
    expect(await claimSubmissionKey(t.deps, { key, fingerprint: 'a' })).toEqual({ claimed: true });
    await releaseSubmissionKey(t.deps, key);
    expect(await claimSubmissionKey(other, { key, fingerprint: 'b' })).toEqual({ claimed: true });
    await completeSubmissionKey(other, key, { status: 201, answer: '{"ok":true}' });
    expect(await claimSubmissionKey(t.deps, { key, fingerprint: 'b' })).toEqual({
      claimed: false,
      sameRequest: true,
      running: false,
      status: 201,
      location: null,
      answer: '{"ok":true}',
    });
    expect(await claimSubmissionKey(t.deps, { key, fingerprint: 'a' })).toMatchObject({
      claimed: false,
      sameRequest: false,
    });
  });

  it('a key left running by a process that died is free after 10 minutes; an answered one stays a day', async () => {
    const died = submissionKeyOf('form:user1', 'died-mid-request');
    const answered = submissionKeyOf('form:user1', 'answered');
    await claimSubmissionKey(t.deps, { key: died, fingerprint: 'x' });
    await claimSubmissionKey(t.deps, { key: answered, fingerprint: 'x' });
    await completeSubmissionKey(t.deps, answered, { status: 303, location: '/admin' });
    t.clock.advance(9 * 60_000);
    expect(await claimSubmissionKey(t.deps, { key: died, fingerprint: 'x' })).toMatchObject({
      claimed: false,
      running: true,
    });
    t.clock.advance(60_000);
    expect(await claimSubmissionKey(t.deps, { key: died, fingerprint: 'x' })).toEqual({
      claimed: true,
    });
    expect(await claimSubmissionKey(t.deps, { key: answered, fingerprint: 'x' })).toMatchObject({
      claimed: false,
      running: false,
      location: '/admin',
    });
    t.clock.advance(24 * 3_600_000);
    expect(await claimSubmissionKey(t.deps, { key: answered, fingerprint: 'y' })).toEqual({
      claimed: true,
    });
  });
});
