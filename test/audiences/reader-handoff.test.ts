import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  handOffReaderSession,
  READER_HANDOFF_TTL_MS,
  takeReaderHandoff,
} from '../../server/domain/auth/reader-handoff.ts';
import {
  openReaderSession,
  resolveReaderSession,
} from '../../server/domain/auth/reader-sessions.ts';
import { sha256 } from '../../server/domain/auth/secrets.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

// A sign-in through the company's provider answers on the public host; for a reader who started
// on an audience's own host name it is handed to that host with a one-time token. The token is
// worth nothing without the browser that started there (its cookie) and on another host.

describe("handing a reader's sign-in to the audience's own host name", () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A reader session opened on the public host and handed off for `browser`. */
  async function handedOff(browser: string, audienceSlug = 'acme-corp') {
    const session = await openReaderSession(t.deps.db, 'carol@acme.com', 'oidc', t.clock.now());
    const token = await handOffReaderSession(t.deps, {
      sessionToken: session.token,
      browserHash: sha256(browser),
      audienceSlug,
    });
    return { token, session };
  }

  it("signs the browser that started the sign-in in, once, and the public host's token opens nothing", async () => {
    const { token, session } = await handedOff('browser-a');
    const taken = await takeReaderHandoff(t.deps, {
      token,
      browser: 'browser-a',
      audienceSlug: 'acme-corp',
    });
    expect(taken).not.toBeNull();
    expect((await resolveReaderSession(t.deps, taken!.token))?.email).toBe('carol@acme.com');
    expect(await resolveReaderSession(t.deps, session.token)).toBeNull();
    expect(
      await takeReaderHandoff(t.deps, { token, browser: 'browser-a', audienceSlug: 'acme-corp' }),
    ).toBeNull();
  });

  it('refuses another browser and uses the handoff up, so the token is worth one try', async () => {
    const { token, session } = await handedOff('browser-a');
    expect(
      await takeReaderHandoff(t.deps, { token, browser: 'browser-b', audienceSlug: 'acme-corp' }),
    ).toBeNull();
    expect(
      await takeReaderHandoff(t.deps, { token, browser: null, audienceSlug: 'acme-corp' }),
    ).toBeNull();
    expect(
      await takeReaderHandoff(t.deps, { token, browser: 'browser-a', audienceSlug: 'acme-corp' }),
    ).toBeNull();
    expect(await resolveReaderSession(t.deps, session.token)).not.toBeNull();
  });

  it("refuses another audience's host name and a handoff taken too late", async () => {
    const other = await handedOff('browser-a', 'acme-corp');
    expect(
      await takeReaderHandoff(t.deps, {
        token: other.token,
        browser: 'browser-a',
        audienceSlug: 'globex',
      }),
    ).toBeNull();
    const late = await handedOff('browser-a');
    t.clock.advance(READER_HANDOFF_TTL_MS + 1);
    expect(
      await takeReaderHandoff(t.deps, {
        token: late.token,
        browser: 'browser-a',
        audienceSlug: 'acme-corp',
      }),
    ).toBeNull();
  });
});
