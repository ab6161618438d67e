import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import {
  fileReportAsUser,
  fileReportWithLink,
  readReportLink,
} from '../../domain/reports/file-report.ts';
import { MAX_ATTACHMENT_BYTES, type ReportAnswersRaw } from '../../domain/reports/inputs.ts';
import {
  REPORT_LIMIT_MESSAGE,
  requestReportLink,
} from '../../domain/reports/request-report-link.ts';
import { readReportByStatusToken } from '../../domain/reports/report-views.ts';
import { closeReasonLabels, kindLabels } from '../../domain/reports/triage-rules.ts';
import { DomainError, ValidationError } from '../../domain/shared/errors.ts';
import { readComponentChoices } from '../../domain/subscribers/subscriber-reads.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import { statusOf } from '../../http/errors.ts';
import { type FormOutcome, formValues, list, runForm, str } from './form.ts';
import { priorityChoices } from './templates.ts';

/** The whole multipart body: five answers and a 5 MB attachment, with room for the encoding. */
export const MAX_REPORT_BODY_BYTES = MAX_ATTACHMENT_BYTES + 256 * 1024;

const tooLarge = () =>
  new ValidationError(
    'The form is too large: the attachment may be at most 5 MB. Attach a smaller screenshot or paste a link instead.',
    { attachment: 'at most 5 MB' },
  );

/** A form's fields as the report verbs take them: strings converted explicitly, never coerced. */
export async function reportAnswers(form: FormData): Promise<ReportAnswersRaw> {
  const values = formValues(form);
  const priority = str(values, 'priority');
  const file = form.get('attachment');
  const attachment =
    file instanceof File && file.size > 0
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

const fieldLabels: Record<string, string> = {
  kind: 'Broken, or something new?',
  priority: 'Priority',
  whatHappened: 'What happened',
  expected: 'What did you expect',
  reproduce: 'How to reproduce it',
  affected: 'Who is affected',
  startedWhen: 'When did it start',
  attachment: 'Screenshot',
  componentIds: 'Which part',
  email: 'Your work email',
  token: 'Link',
};

/**
 * The report pages (`/report`, the emailed link's page, the reporter's status page), handed to
 * Astro through `locals`. Every POST carries the visitor's CSRF token (the site middleware
 * checks it); requests are limited per client here and per address in the domain, and every
 * limit answers with the same words.
 */
export function createReportPages(deps: Deps) {
  // 20 link requests or reports per client address per 10 minutes.
  const perClient = new RateLimiter(20, 10 * 60_000);
  const hit = (client: string) => perClient.hit(client, deps.clock.now(), REPORT_LIMIT_MESSAGE);
  const checkSize = (request: Request) => {
    const n = Number(request.headers.get('content-length') ?? '0');
    if (n > MAX_REPORT_BODY_BYTES) throw tooLarge();
  };

  return {
    fieldLabels,
    kinds: Object.entries(kindLabels).map(([value, label]) => ({ value, label })),
    priorities: priorityChoices,
    closeReasonLabels,
    components: () => readComponentChoices(deps.db),

    /** Not signed in: a company address asks for the one-time link. */
    async requestLink(form: FormData, client: string): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        hit(client);
        const { email } = await requestReportLink(deps, { email: str(values, 'email') });
        return `/report?sent=${encodeURIComponent(email)}`;
      });
    },
    readLink: (token: string) => readReportLink(deps, token),
    async fileWithLink(
      request: Request,
      token: string,
      form: FormData,
      client: string,
    ): Promise<FormOutcome> {
      return runForm(formValues(form), async () => {
        checkSize(request);
        hit(client);
        const r = await fileReportWithLink(deps, { ...(await reportAnswers(form)), token });
        return `/report/status/${r.statusToken}?done=filed`;
      });
    },
    async fileAsUser(
      request: Request,
      session: ActiveSession,
      form: FormData,
      client: string,
    ): Promise<FormOutcome> {
      return runForm(formValues(form), async () => {
        checkSize(request);
        hit(client);
        const r = await fileReportAsUser(deps, await reportAnswers(form), session.actor);
        return `/report/status/${r.statusToken}?done=filed`;
      });
    },
    readStatus: (token: string) => readReportByStatusToken(deps.db, token),
    /** A domain error as a page shows it; null for anything unexpected (the 500 page). */
    describeError(err: unknown): { status: number; message: string } | null {
      if (!(err instanceof DomainError)) return null;
      return { status: statusOf(err), message: err.message };
    },
  };
}

export type ReportPages = ReturnType<typeof createReportPages>;
