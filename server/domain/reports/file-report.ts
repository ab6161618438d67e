import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { reportAttachments, reportEvents, reportLinks, reports } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import {
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  LinkNotValidError,
} from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { NO_PUBLIC_CHANGE, bumpChanges, recordAudit } from '../shared/writes.ts';
import { publicActor } from '../subscribers/public-actor.ts';
import { checkComponentIds } from '../subscribers/subscriber-reads.ts';
import { hashToken, linkKey } from '../subscribers/tokens.ts';
import { alertTeam } from './alert-team.ts';
import { checkAttachment } from './attachment-rules.ts';
import { fileReportWithLinkInput, type ReportAnswersRaw, reportAnswersInput } from './inputs.ts';
import { recentReportActivity } from './reporter-access.ts';
import { type Language, parseLanguage } from '../../i18n/languages.ts';
import { REPORT_LIMIT_MESSAGE } from './request-report-link.ts';
import { reportStatusToken } from './report-tokens.ts';
import { readOnDutyAddresses } from './report-views.ts';
import { timeboxMinutes } from './triage-rules.ts';
import { getSettings } from '../settings/get-settings.ts';

/** Reports one address can file per hour. */
export const REPORTS_PER_ADDRESS_PER_HOUR = 10;

export class ReportLinkUsedError extends LinkNotValidError {}

const linkProblem = {
  missing:
    'This report link is not valid. Ask for a new one on the report page: links are sent by email to company addresses.',
  used: 'This report link was already used to file a report; each link files one. Ask for a new one on the report page.',
  expired:
    'This report link has expired (links work for 24 hours). Ask for a new one on the report page.',
};

/** What the link's page needs before the form is sent (nothing changes on GET). */
export async function readReportLink(deps: DomainDeps, token: string) {
  const row = await findLink(deps.db, token);
  checkLink(row, deps.clock.now());
  return { email: row!.email };
}

async function findLink(db: DbOrTx, token: string) {
  const [row] = await db
    .select()
    .from(reportLinks)
    .where(eq(reportLinks.tokenHash, hashToken(token)));
  return row;
}

function checkLink(row: typeof reportLinks.$inferSelect | undefined, now: Date) {
  if (!row) throw new LinkNotValidError(linkProblem.missing).saying('report.linkMissing');
  if (row.usedAt) throw new ReportLinkUsedError(linkProblem.used).saying('report.linkUsed');
  if (row.expiresAt.getTime() <= now.getTime())
    throw new LinkNotValidError(linkProblem.expired).saying('report.linkExpired');
}

/** Filing through the one-time link emailed to a company address. */
export async function fileReportWithLink(
  deps: DomainDeps,
  raw: ReportAnswersRaw & { token: string },
  language: Language | null = null,
) {
  const input = parseInput(fileReportWithLinkInput, raw);
  const type = input.attachment ? checkAttachment(input.attachment) : null;
  const componentIds = await checkComponentIds(deps.db, input.componentIds);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const link = await findLink(tx, input.token);
    checkLink(link, now);
    const email = link!.email;
    // The language they asked for the link in; the page they file on for links from before it
    // was recorded.
    const lang = parseLanguage(link!.language) ?? language;
    const filed = await insertReport(
      tx,
      deps,
      { ...input, componentIds, type },
      email,
      null,
      now,
      lang,
    );
    // Conditional: of two submits racing on one link, only the first files.
    const used = await tx
      .update(reportLinks)
      .set({ usedAt: now, reportId: filed.id })
      .where(eq(reportLinks.id, link!.id))
      .returning({ id: reportLinks.id });
    if (used.length !== 1)
      throw new ReportLinkUsedError(linkProblem.used).saying('report.linkUsed');
    return filed;
  });
}

/** Filing as a signed-in user (any role, viewers included). */
export async function fileReportAsUser(
  deps: DomainDeps,
  raw: ReportAnswersRaw,
  actor: Actor,
  language: Language | null = null,
) {
  if (actor.type !== 'user' || !actor.id)
    throw new ForbiddenError('Reports are filed by people: sign in, or use a link sent by email.');
  const input = parseInput(reportAnswersInput, raw);
  const type = input.attachment ? checkAttachment(input.attachment) : null;
  const componentIds = await checkComponentIds(deps.db, input.componentIds);
  const now = deps.clock.now();
  return deps.db.transaction((tx) =>
    insertReport(tx, deps, { ...input, componentIds, type }, actor.label, actor, now, language),
  );
}

type Parsed = Omit<ReturnType<typeof reportAnswersInput.parse>, 'componentIds'> & {
  componentIds: string[] | null;
  type: ReturnType<typeof checkAttachment> | null;
};

async function insertReport(
  tx: DbOrTx,
  deps: DomainDeps,
  input: Parsed,
  email: string,
  actor: Actor | null,
  now: Date,
  language: Language | null,
) {
  const recent = await recentReportActivity(tx, email, new Date(now.getTime() - 3600_000));
  if (recent.reports >= REPORTS_PER_ADDRESS_PER_HOUR)
    throw new RateLimitedError(REPORT_LIMIT_MESSAGE, 600);
  const id = newId();
  const key = await linkKey(tx, deps.config);
  const row = {
    id,
    kind: input.kind,
    state: 'open' as const,
    reporterEmail: email,
    reporterUserId: actor?.id ?? null,
    whatHappened: input.whatHappened,
    expected: input.expected,
    reproduce: input.reproduce,
    affected: input.affected,
    startedWhen: input.startedWhen,
    componentIds: input.componentIds,
    reportedPriority: input.priority,
    priority: input.priority,
    statusTokenHash: hashToken(reportStatusToken(key, id)),
    language,
    createdAt: now,
    updatedAt: now,
  };
  await tx.insert(reports).values(row);
  if (input.attachment && input.type) {
    await tx.insert(reportAttachments).values({
      id: newId(),
      reportId: id,
      fileName: input.attachment.fileName.replace(/[^\w .()-]/g, '_'),
      contentType: input.type,
      size: input.attachment.bytes.length,
      data: Buffer.from(input.attachment.bytes),
      createdAt: now,
    });
  }
  await tx.insert(reportEvents).values({
    id: newId(),
    reportId: id,
    action: 'filed',
    priority: input.priority,
    reason: null,
    actorLabel: email,
    at: now,
  });
  await enqueueMessage(
    tx,
    deps.config,
    { kind: 'report_receipt', to: email, payload: { reportId: id } },
    now,
  );
  if (timeboxMinutes(row, await getSettings(tx)) !== null) {
    // A P0/P1 report is news for the team now, not at half time.
    await alertTeam(tx, deps.config, now, id, 'alert', 'filed', await readOnDutyAddresses(tx));
  }
  const { statusTokenHash: _h, ...audited } = row;
  await recordAudit(tx, actor ?? { ...publicActor, label: email }, now, {
    action: 'report.file',
    objectType: 'report',
    objectId: id,
    after: { ...audited, attachment: input.type },
  });
  await bumpChanges(tx, now, NO_PUBLIC_CHANGE);
  return {
    id,
    email,
    priority: input.priority,
    kind: input.kind,
    statusToken: reportStatusToken(key, id),
  };
}
