import { readFile } from 'node:fs/promises';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import {
  fileReportAsUser,
  fileReportWithLink,
  readReportLink,
} from '../../domain/reports/file-report.ts';
import { MAX_ATTACHMENT_BYTES, type ReportAnswersRaw } from '../../domain/reports/inputs.ts';
import {
  OutsideCompanyError,
  REPORT_LIMIT_MESSAGE,
  REPORT_LINKS_PER_ADDRESS_PER_HOUR,
  requestReportLink,
} from '../../domain/reports/request-report-link.ts';
import { mailboxKey } from '../../domain/shared/mailbox.ts';
import {
  readAdminReport,
  readOpenIncidents,
  readP1Budget,
  readReportAttachment,
  readReportByStatusToken,
  readReportQueue,
  readReportRow,
  readSomeoneOnDuty,
} from '../../domain/reports/report-views.ts';
import { declareDefaults, declareFromReport } from '../../domain/reports/decide-report.ts';
import { readOnDutyUserIds } from '../../domain/reports/update-triage-settings.ts';
import { reportOps } from '../../routes/reports.ts';
import { runOperation } from '../../routes/operation.ts';
import { canEscalate, escalateReport } from '../../domain/reports/escalate-report.ts';
import { declareIncidentInput } from '../../domain/incidents/inputs.ts';
import { getSettings } from '../../domain/settings/get-settings.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import { declareFields } from './incidents.ts';
import { closeReasonLabels, kindLabels } from '../../domain/reports/triage-rules.ts';
import { attachmentDownloadName } from '../../domain/reports/attachment-rules.ts';
import { DomainError, type Said, ValidationError } from '../../domain/shared/errors.ts';
import { readComponentChoices } from '../../domain/subscribers/subscriber-reads.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import { statusOf } from '../../http/errors.ts';
import {
  FieldErrors,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  optional,
  runForm,
  runFormAction,
  str,
} from './form.ts';
import { priorityChoices } from './templates.ts';
import type { Language } from '../../i18n/languages.ts';
import type { StagedUpload } from '../report-upload.ts';

/**
 * runForm for the reporter's own forms: the one answer every report limit gives is said from
 * the catalogue too, so a reader hears it in their language.
 */
async function reportForm(values: FormValues, action: () => Promise<string>) {
  const r = await runForm(values, action);
  if (!r.ok && !r.says && r.message === REPORT_LIMIT_MESSAGE) r.says = { key: 'report.tooMany' };
  // Every problem with the priority is the same one: none of P0-P3 was picked.
  if (!r.ok && r.fieldSays?.priority) r.fieldSays.priority = { key: 'valid.pickPriority' };
  return r;
}

/** The whole multipart body: five answers and a 5 MB attachment, with room for the encoding. */
export const MAX_REPORT_BODY_BYTES = MAX_ATTACHMENT_BYTES + 256 * 1024;

const tooLarge = () =>
  new ValidationError(
    'The form is too large: the attachment may be at most 5 MB. Attach a smaller screenshot or paste a link instead.',
    { attachment: 'at most 5 MB' },
  );

/**
 * A form's fields as the report verbs take them: strings converted explicitly, never coerced.
 * The attachment comes from the staged upload (read from disk only now, after the form token,
 * the link and the budget were checked), or from the form itself when it was sent in-process.
 */
export async function reportAnswers(
  form: FormData,
  upload?: StagedUpload,
): Promise<ReportAnswersRaw> {
  const values = formValues(form);
  const priority = str(values, 'priority');
  if (upload?.tooLarge) {
    // Only the first 5 MB were taken off the socket (and dropped), so the size is "more than".
    const message = `The attachment is over the 5 MB limit (more than ${MAX_ATTACHMENT_BYTES.toLocaleString('en')} bytes). Attach a smaller screenshot or paste a link instead.`;
    throw new ValidationError(message, { attachment: message });
  }
  const file = form.get('attachment');
  const staged = upload?.attachment;
  const attachment = staged
    ? {
        fileName: staged.fileName || 'attachment',
        contentType: staged.contentType,
        bytes: new Uint8Array(await readFile(staged.path)),
      }
    : file instanceof File && file.size > 0
      ? {
          fileName: file.name || 'attachment',
          contentType: file.type,
          bytes: new Uint8Array(await file.arrayBuffer()),
        }
      : null;
  return {
    kind: str(values, 'kind'),
    priority: /^[0-3]$/.test(priority) ? Number(priority) : undefined,
    whatHappened: str(values, 'whatHappened'),
    expected: str(values, 'expected'),
    reproduce: str(values, 'reproduce'),
    affected: str(values, 'affected'),
    startedWhen: str(values, 'startedWhen'),
    componentIds: list(values, 'componentIds'),
    attachment,
  };
}

/**
 * The report pages (`/report`, the emailed link's page, the reporter's status page), handed to
 * Astro through `locals`. Every POST carries the visitor's CSRF token (the site middleware
 * checks it); requests are limited per client here and per address in the domain, and every
 * limit answers with the same words.
 */
export function createReportPages(deps: Deps) {
  // 20 link requests or reports per client address per 10 minutes.
  const perClient = new RateLimiter(20, 10 * 60_000);
  // Link requests per inbox, for every address alike (the domain counts company addresses
  // again in the database, across processes): a refusal must not tell which domains file.
  const perMailbox = new RateLimiter(REPORT_LINKS_PER_ADDRESS_PER_HOUR, 3600_000);
  const hit = (client: string) => perClient.hit(client, deps.clock.now(), REPORT_LIMIT_MESSAGE);
  const checkSize = (request: Request) => {
    const n = Number(request.headers.get('content-length') ?? '0');
    if (n > MAX_REPORT_BODY_BYTES) throw tooLarge();
  };
  /**
   * Filing a report from the form, by link or signed in: the size and the client's budget are
   * checked before the answers are read, then the reporter lands on the report's status page.
   */
  const fileFromForm = (
    request: Request,
    form: FormData,
    client: string,
    file: () => Promise<{ statusToken: string }>,
  ): Promise<FormOutcome> =>
    reportForm(formValues(form), async () => {
      checkSize(request);
      hit(client);
      const r = await file();
      return `/report/status/${r.statusToken}?done=filed`;
    });

  return {
    kinds: Object.entries(kindLabels).map(([value, label]) => ({ value, label })),
    priorities: priorityChoices,
    closeReasonLabels,
    components: () => readComponentChoices(deps.db),

    /** Throws the limit's RateLimitedError when the client has no report left (counts none). */
    checkBudget: (client: string) =>
      perClient.check(client, deps.clock.now(), REPORT_LIMIT_MESSAGE),
    /** True while a report link can still file a report: only then is a large body read. */
    async linkValid(token: string): Promise<boolean> {
      try {
        await readReportLink(deps, token);
        return true;
      } catch (err) {
        if (err instanceof DomainError) return false;
        throw err;
      }
    },

    /**
     * Not signed in: an address asks for the one-time link. Every well-formed address gets the
     * same answer and the same limits, so the form tells nobody which domains Herald takes
     * reports from; the link goes out only to an address that may file (the company domains
     * in the settings, or an internal list's). The answer page names no address: it shows
     * nothing from the query string.
     */
    async requestLink(
      form: FormData,
      client: string,
      language: Language | null = null,
    ): Promise<FormOutcome> {
      const values = formValues(form);
      return reportForm(values, async () => {
        hit(client);
        const email = str(values, 'email');
        const key = mailboxKey(email);
        perMailbox.check(key, deps.clock.now(), REPORT_LIMIT_MESSAGE);
        try {
          await requestReportLink(deps, { email }, language);
        } catch (err) {
          if (!(err instanceof OutsideCompanyError)) throw err;
        }
        perMailbox.hit(key, deps.clock.now(), REPORT_LIMIT_MESSAGE);
        return '/report?sent=1';
      });
    },
    readLink: (token: string) => readReportLink(deps, token),
    async fileWithLink(
      request: Request,
      token: string,
      form: FormData,
      client: string,
      upload?: StagedUpload,
      language: Language | null = null,
    ): Promise<FormOutcome> {
      return fileFromForm(request, form, client, async () =>
        fileReportWithLink(deps, { ...(await reportAnswers(form, upload)), token }, language),
      );
    },
    async fileAsUser(
      request: Request,
      session: ActiveSession,
      form: FormData,
      client: string,
      upload?: StagedUpload,
      language: Language | null = null,
    ): Promise<FormOutcome> {
      return fileFromForm(request, form, client, async () =>
        fileReportAsUser(deps, await reportAnswers(form, upload), session.actor, language),
      );
    },
    async readStatus(token: string) {
      const found = await readReportByStatusToken(deps.db, token);
      return found && { ...found, canEscalate: canEscalate(found.report, found.events) };
    },
    /** The reporter disagrees with a re-rating: once, to the final authority. */
    async escalate(token: string, form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        await escalateReport(deps, { token, reason: str(values, 'reason') });
        return `/report/status/${token}?done=escalated`;
      });
    },
    /** A domain error as a page shows it; null for anything unexpected (the 500 page). */
    describeError(err: unknown): { status: number; message: string; says?: Said } | null {
      if (!(err instanceof DomainError)) return null;
      return {
        status: statusOf(err),
        message: err.message,
        ...(err.says ? { says: err.says } : {}),
      };
    },
  };
}

export type ReportPages = ReturnType<typeof createReportPages>;

/**
 * Triage for signed-in staff (`Astro.locals.herald.admin.reports`): the queue, one report with
 * its decision forms, the P1 budget and the triage settings. Every write is a domain verb with
 * the session's actor, which checks the role and writes the audit log.
 */
export function createReportAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  const now = () => deps.clock.now();
  return {
    closeReasons: Object.entries(closeReasonLabels).map(([value, label]) => ({ value, label })),
    priorities: priorityChoices,
    queue: () => readReportQueue(deps.db, now()),
    budget: () => readP1Budget(deps.db, now()),
    someoneOnDuty: () => readSomeoneOnDuty(deps.db),
    openIncidents: () => readOpenIncidents(deps.db),
    async report(id: string) {
      const found = await readAdminReport(deps.db, id, now());
      if (!found) return null;
      const comps = await readComponentChoices(deps.db);
      const names = new Map(comps.map((c) => [c.id, c.name]));
      return {
        ...found,
        componentNames: (found.report.componentIds ?? []).map((c) => names.get(c) ?? c),
      };
    },
    /** The stored file with the name it downloads under (from its checked type). */
    async attachment(id: string) {
      const file = await readReportAttachment(deps.db, id);
      return (
        file && { ...file, downloadName: attachmentDownloadName(file.reportId, file.contentType) }
      );
    },

    /** The decision forms on a report's page, told apart by `action`. */
    decide: (reportId: string, form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        actor,
        formAction(
          reportOps.decide,
          (values) => {
            const priority = str(values, 'priority');
            return {
              reportId,
              action: str(values, 'action'),
              ...(/^[0-3]$/.test(priority) ? { priority: Number(priority) } : {}),
              ...(optional(values, 'reason') ? { reason: optional(values, 'reason') } : {}),
              ...(optional(values, 'incidentId')
                ? { incidentId: optional(values, 'incidentId') }
                : {}),
              ...(optional(values, 'closeReason')
                ? { closeReason: optional(values, 'closeReason') }
                : {}),
            };
          },
          (r) =>
            r.action === 'declare' && 'incidentId' in r
              ? `/admin/incidents/${r.incidentId}?done=declared`
              : `/admin/reports/${reportId}?done=${r.action}`,
        ),
        formValues(form),
      ),

    /** The declare form's starting values when it opens from a report (`?report=`). */
    async declareValues(reportId: string): Promise<FormValues | null> {
      const found = await readReportRow(deps.db, reportId);
      if (!found || !['open', 'accepted'].includes(found.state)) return null;
      const d = declareDefaults(found, (await deps.reader.page()).url ?? deps.config.publicUrl);
      const values: FormValues = {
        reportId,
        title: '',
        reportText: found.whatHappened,
        priority: String(d.priority),
        status: 'investigating',
        nextIn: '30',
        ownerId: session.user.id,
        body: d.body,
        internalNote: d.internalNote,
      };
      for (const c of d.components) values[`component.${c.componentId}`] = c.status;
      return values;
    },

    /**
     * The declare form sent with a `reportId`: the incident is declared with what the PM typed
     * and the report is marked declared and linked. Templates and previews are the declare
     * form's own and change nothing.
     */
    async declare(form: FormData, incidents: AdminIncidents): Promise<FormOutcome> {
      const values = formValues(form);
      const intent = str(values, 'intent');
      if (str(values, 'template') || intent === 'preview' || intent === 'test')
        return incidents.declare(form);
      return runForm(values, async () => {
        const fe = new FieldErrors();
        const input = declareFields(values, fe, (await deps.reader.page()).time_zone);
        const r = await declareFromReport(
          deps,
          {
            reportId: str(values, 'reportId'),
            // The form's strings are parsed by the declare verb's own schema, as on the declare page.
            incident: fe.parse(declareIncidentInput, input),
          },
          actor,
        );
        return `/admin/incidents/${r.incidentId}?done=declared`;
      });
    },

    async settings() {
      const s = await getSettings(deps.db);
      return {
        triageMinutesP0: s.triageMinutesP0,
        triageMinutesP1: s.triageMinutesP1,
        p1BudgetPerWeek: s.p1BudgetPerWeek,
        finalAuthorityUserId: s.finalAuthorityUserId,
        onDuty: await readOnDutyUserIds(deps),
        users: await listActiveUsers(deps),
      };
    },
    saveSettings: (form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        actor,
        formAction(
          reportOps.triageSettings,
          (values) => {
            const whole = (k: string) => {
              const raw = str(values, k).trim();
              return /^\d{1,6}$/.test(raw) ? Number(raw) : raw === '' ? undefined : Number.NaN;
            };
            return {
              triageMinutesP0: whole('triageMinutesP0'),
              triageMinutesP1: whole('triageMinutesP1'),
              p1BudgetPerWeek: whole('p1BudgetPerWeek'),
              finalAuthorityUserId: optional(values, 'finalAuthorityUserId') ?? null,
            };
          },
          async (_s, values) => {
            const onDuty = new Set(list(values, 'onDuty'));
            // Compared with what the page showed, so the first admin's default turn (shown
            // ticked) ends when someone else is ticked, whichever order the users come in.
            const before = await readOnDutyUserIds(deps);
            for (const u of await listActiveUsers(deps)) {
              const was = before.includes(u.id);
              if (was !== onDuty.has(u.id))
                await runOperation(
                  deps,
                  reportOps.onDuty,
                  { userId: u.id, onDuty: onDuty.has(u.id) },
                  actor,
                );
            }
            return '/admin/reports/settings?done=saved';
          },
        ),
        formValues(form),
      ),
  };
}

type AdminIncidents = { declare(form: FormData): Promise<FormOutcome> };
export type ReportAdmin = ReturnType<typeof createReportAdmin>;
