import Database from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { fingerprintWatch } from '../helpers/fingerprint-watch.ts';
import { storeFingerprint } from '../helpers/store-fingerprint.ts';

// The fuzzers compare the store through fingerprintWatch, which hashes only after a commit: it
// must never hand back an old fingerprint once anything was written, by Herald or by another
// connection.

describe('fingerprintWatch', () => {
  let t: TestContext;
  let watch: ReturnType<typeof fingerprintWatch>;
  beforeAll(async () => {
    t = await createTestContext();
    watch = fingerprintWatch(t);
  });
  afterAll(async () => {
    watch.close();
    await t.close();
  });

  it('answers the last fingerprint while nothing was committed, and hashes again after a write', async () => {
    const first = await watch.take();
    expect(first).toEqual(await storeFingerprint(t));
    const hashed = watch.counts.hashed;
    expect(await watch.take()).toBe(first);
    expect(watch.counts.hashed).toBe(hashed);

    await makeComponent(t.deps, { name: 'Written through Herald' });
    const second = await watch.take();
    expect(watch.counts.hashed).toBe(hashed + 1);
    expect(second).not.toEqual(first);
    expect(second).toEqual(await storeFingerprint(t));
  });

  it('sees a commit made on another connection to the file', async () => {
    const before = await watch.take();
    const other = new Database(t.dbUrl.replace(/^file:/, ''));
    try {
      other.exec(`update components set description = 'changed elsewhere'`);
    } finally {
      other.close();
    }
    const after = await watch.take();
    expect(after).not.toEqual(before);
    expect(after).toEqual(await storeFingerprint(t));
  });
});
