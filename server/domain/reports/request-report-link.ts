import { reportLinks } from '../../../db/schema/index.ts';
import { type Language } from '../../i18n/languages.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ForbiddenError, RateLimitedError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { hashToken, linkKey } from '../subscribers/tokens.ts';
import { requestReportLinkInput } from './inputs.ts';
import { isCompanyAddress, recentReportActivity } from './reporter-access.ts';
import { reportLinkToken } from './report-tokens.ts';

/** A link works for a day: long enough to find it in the inbox, short for a forwarded mail. */
export const REPORT_LINK_TTL_MS = 24 * 3600_000;
/** Links one address can be sent per hour, whoever asks. */
export const REPORT_LINKS_PER_ADDRESS_PER_HOUR = 5;
/** The answer to every limit, so a limit never tells whether an address was used. */
export const REPORT_LIMIT_MESSAGE =
  'Too many reports were asked for just now. Wait a few minutes and try again; if it is urgent, call the person on duty.';

export class OutsideCompanyError extends ForbiddenError {}

/**
 * Someone who is not signed in asks to file a report: a company address gets a one-time link
 * by email; anyone else is refused, since reports carry internal detail.
 */
export async function requestReportLink(
  deps: DomainDeps,
  raw: { email: string },
  language: Language | null = null,
) {
  const { email } = parseInput(requestReportLinkInput, raw);
  const now = deps.clock.now();
  if (!(await isCompanyAddress(deps.db, deps.config, email))) {
    throw new OutsideCompanyError(
      `Only people at the company can file reports, and ${email} is not a company address. Customers can follow the status page or subscribe to updates.`,
    );
  }
  const key = await linkKey(deps.db, deps.config);
  await deps.db.transaction(async (tx) => {
    const recent = await recentReportActivity(tx, email, new Date(now.getTime() - 3600_000));
    if (recent.links >= REPORT_LINKS_PER_ADDRESS_PER_HOUR)
      throw new RateLimitedError(REPORT_LIMIT_MESSAGE, 600);
    const id = newId();
    const expiresAt = new Date(now.getTime() + REPORT_LINK_TTL_MS);
    await tx.insert(reportLinks).values({
      id,
      email,
      tokenHash: hashToken(reportLinkToken(key, id, expiresAt)),
      expiresAt,
      createdAt: now,
      language,
    });
    await enqueueMessage(
      tx,
      deps.config,
      { kind: 'report_link', to: email, payload: { reportLinkId: id } },
      now,
    );
  });
  return { email };
}
