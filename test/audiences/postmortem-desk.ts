import { expect } from 'vitest';
import { createTestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink } from '../helpers/smtp.ts';

/**
 * Post-mortems written and published as a responder does it, through the admin forms: the
 * site, with acme.com as the company's domain and its mail going to an SMTP sink, and
 * `author`, a responder signed in as `email`.
 */
export async function startPostmortemDesk(email: string) {
  const smtp = await startSmtpSink();
  const t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
  const site = await startSite(t);
  await makeUser(t, 'responder', email);
  const author = new FormClient(site.base);
  await author.login(email);
  return {
    t,
    smtp,
    site,
    author,
    async close() {
      await site.close();
      await t.close();
      await smtp.close();
    },
  };
}

/** The admin page of an incident's post-mortem. */
export const postmortemPath = (incidentId: string) => `/admin/incidents/${incidentId}/postmortem`;

/**
 * "Save and review publication": saves both parts, then opens the review page. `version` is
 * the reviewed version the page offers to publish, or null when it offers none.
 */
export async function saveForReview(
  author: FormClient,
  incidentId: string,
  parts: { publicBody: string; internalBody: string },
) {
  const path = postmortemPath(incidentId);
  await author.get(path);
  const saved = await author.post(path, { _action: 'save-review', ...parts });
  expect(saved.res.status).toBe(303);
  const review = await author.get(`${path}?review=1`);
  const version = /name="reviewedVersion" value="([^"]+)"/.exec(review.html)?.[1] ?? null;
  return { review, version };
}

/** "Publish and email" the version the review showed. */
export function publishReviewed(author: FormClient, incidentId: string, version: string) {
  return author.post(postmortemPath(incidentId), {
    _action: 'publish',
    notify: 'on',
    reviewedVersion: version,
  });
}
