import { afterAll, beforeAll } from 'vitest';
import { type MailBrowserSite, startBrowserSite } from './browser.ts';
import { testWorker } from './outbox.ts';
import type { ReceivedMail } from './smtp.ts';

export interface CompanySite extends MailBrowserSite {
  /** Sends what the outbox has due, then returns every mail the sink holds for `address`. */
  mailTo(address: string): Promise<ReceivedMail[]>;
}

/**
 * A browser suite's Herald as a company runs it: a fresh database, the full site mailing a
 * real SMTP sink, acme.com as the company's domain, and the worker's chromium. It starts before
 * the suite's tests, then `seed` adds what every test of the suite assumes (lists, users,
 * webhooks); it closes after them. Read `w.t`, `w.smtp`, `w.site` and `w.browser` inside tests.
 */
export function useCompanySite(seed?: (w: CompanySite) => Promise<void>): CompanySite {
  const w = {
    async mailTo(address: string) {
      await testWorker(w.t).drain();
      return w.smtp.to(address);
    },
  } as CompanySite;
  beforeAll(async () => {
    Object.assign(w, await startBrowserSite({ mail: true, env: { COMPANY_DOMAINS: 'acme.com' } }));
    await seed?.(w);
  });
  afterAll(() => w.close?.());
  return w;
}
