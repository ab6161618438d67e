import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { loadIncident } from '../../domain/incidents/load-incident.ts';
import {
  actionItemKinds,
  actionItemPhases,
  actionItemStates,
  factQuestions,
  factQuestionText,
  remediationStates,
} from '../../domain/record/inputs.ts';
import {
  readActionItems,
  readIncidentRecord,
  readReviewsRequestedFrom,
} from '../../domain/record/record-views.ts';
import { readFollowUp, readFollowUpBoard } from '../../domain/record/follow-up-views.ts';
import {
  type LookBackFigures,
  lookBackLines,
  readLookBackFigures,
} from '../../domain/record/look-back-figures.ts';
import { readLookBacks } from '../../domain/record/send-look-back.ts';
import { hasRole } from '../../domain/shared/actor.ts';
import {
  readPostmortemDraft,
  readPostmortemPublication,
  readTemplateData,
} from '../../domain/postmortems/postmortem-views.ts';
import { buildPostmortemTemplate } from '../../domain/postmortems/template.ts';
import { renderMarkdown } from '../../domain/shared/render-markdown.ts';
import { NotFoundError, ValidationError } from '../../domain/shared/errors.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import { followUpOps, postmortemOps, recordOps } from '../../routes/record.ts';
import {
  checkbox,
  choice,
  dateField,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  intField,
  optional,
  runFormActions,
  str,
  pageZone,
} from './form.ts';
import { toZonedLocal } from '../../domain/shared/zoned-time.ts';

// The messages the verbs' schemas give, so a field reads the same whichever side catches it.
const priorityMessage = 'must be 0, 1, 2 or 3';

const countMessage = 'must be a whole number, like 1240 or 1,240';

/**
 * A count as people type it: "1240", "1,240", "1 240" (a space, no-break or thin space). Digit
 * groups after a separator are exactly three long, so "1,24" (a decimal comma, or a typo) is
 * refused rather than read as 124 or 1.24.
 */
export function countField(values: FormValues, key: string): number | undefined {
  const v = str(values, key).trim();
  if (v === '') return undefined;
  const grouped = /^\d{1,3}(?:([, \u00a0\u202f\u2009])\d{3}(?:\1\d{3})*)?$/.test(v);
  const plain = /^\d{1,12}$/.test(v);
  const n = Number(v.replace(/\D/g, ''));
  if ((!grouped && !plain) || !Number.isSafeInteger(n))
    throw new ValidationError(`${key}: ${countMessage}`, { [key]: countMessage });
  return n;
}

export const recordActions = [
  'facts',
  'decision',
  'decision-retract',
  'change',
  'change-review',
  'action-item',
  'action-item-state',
  'remediation',
  'remediation-update',
] as const;

/** The record of one incident with what its forms need; null when there is no incident. */
async function readRecordPage(deps: Deps, incidentId: string) {
  const incident = await loadIncident(deps.db, incidentId).catch((e) =>
    e instanceof NotFoundError ? null : Promise.reject(e),
  );
  if (!incident) return null;
  const now = deps.clock.now();
  return {
    incident,
    tz: await pageZone(deps),
    now,
    users: await listActiveUsers(deps),
    record: await readIncidentRecord(deps.db, incidentId, now),
    followUp: await readFollowUp(deps.db, incidentId),
  };
}

/** The look back (admins only; null for others): the last period live, and past reviews. */
async function readLookBackPage(deps: Deps, session: ActiveSession) {
  if (!hasRole(session.actor, 'admin')) return null;
  const now = deps.clock.now();
  const days = deps.config.lookBackDays || 60;
  const from = new Date(now.getTime() - days * 24 * 60 * 60_000);
  return {
    tz: await pageZone(deps),
    days,
    emailed: deps.config.lookBackDays > 0,
    from,
    to: now,
    lines: lookBackLines(await readLookBackFigures(deps.db, from, now)),
    past: (await readLookBacks(deps)).map((p) => ({
      periodStart: p.periodStart,
      periodEnd: p.periodEnd,
      lines: lookBackLines(p.figures as LookBackFigures),
    })),
  };
}

/**
 * Dashboard lines: overdue action items by owner, follow-ups due, sent and skipped, and the
 * changes waiting for the signed-in user's review.
 */
async function readRecordDashboard(deps: Deps, session: ActiveSession) {
  const now = deps.clock.now();
  const overdue = await readActionItems(deps.db, { overdueAt: now }, now);
  const byOwner = new Map<string, typeof overdue>();
  for (const i of overdue) byOwner.set(i.ownerName, [...(byOwner.get(i.ownerName) ?? []), i]);
  return {
    tz: await pageZone(deps),
    overdueByOwner: [...byOwner].map(([owner, items]) => ({ owner, items })),
    overdueCount: overdue.length,
    followUps: await readFollowUpBoard(deps.db, now),
    reviewsForMe: await readReviewsRequestedFrom(deps.db, session.actor.id ?? ''),
  };
}

/**
 * The post-mortem page: both parts as written (or pre-filled when none is), or, with
 * `fromTemplate`, the template filled from the timeline as it is now (not saved until Save).
 * With `review`, the publication preview: exactly what will go public and to whom.
 */
async function readPostmortemPage(
  deps: Deps,
  incidentId: string,
  opts: { fromTemplate?: boolean; review?: boolean },
) {
  const incident = await loadIncident(deps.db, incidentId).catch((e) =>
    e instanceof NotFoundError ? null : Promise.reject(e),
  );
  if (!incident) return null;
  const now = deps.clock.now();
  const draft = await readPostmortemDraft(deps.db, incidentId, now);
  const parts = opts.fromTemplate
    ? buildPostmortemTemplate(
        await readTemplateData(deps.db, incidentId, now),
        await pageZone(deps),
      )
    : draft;
  const publication =
    opts.review && !draft.prefilled
      ? await readPostmortemPublication(deps.db, incidentId, deps.config.publicUrl)
      : null;
  return {
    incident,
    tz: await pageZone(deps),
    draft,
    publicBody: parts.publicBody,
    internalBody: parts.internalBody,
    publicPreview: renderMarkdown(parts.publicBody),
    internalPreview: renderMarkdown(parts.internalBody),
    publication,
    reviewedVersion: draft.updatedAt?.toISOString() ?? '',
  };
}

function postPostmortem(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const back = (done: string) => () => `/admin/incidents/${incidentId}/postmortem?done=${done}`;
  const save = formAction(
    postmortemOps.save,
    (values) => ({
      incidentId,
      publicBody: str(values, 'publicBody'),
      internalBody: str(values, 'internalBody'),
    }),
    back('saved'),
  );
  return runFormActions(
    deps,
    session.actor,
    {
      save,
      // Nothing is published from the editor: publishing is a second step, from the preview.
      'save-review': {
        ...save,
        done: () => `/admin/incidents/${incidentId}/postmortem?review=1#h-review`,
      },
      publish: formAction(
        postmortemOps.publish,
        (values) => ({
          incidentId,
          notify: checkbox(values, 'notify'),
          reviewedVersion: optional(values, 'reviewedVersion'),
        }),
        back('published'),
      ),
      unpublish: formAction(
        postmortemOps.unpublish,
        () => ({ id: incidentId }),
        back('unpublished'),
      ),
    },
    formValues(form),
  );
}

/**
 * The record's forms by their `_action`, for one incident, dates read in the page's time zone;
 * each answers with `?done=<its action>`.
 */
function recordForms(incidentId: string, zone: string) {
  const done = (_r: unknown, values: FormValues) =>
    `/admin/incidents/${incidentId}?done=${str(values, '_action')}#record`;
  return {
    facts: formAction(
      recordOps.facts,
      (values, fe) => {
        const facts: Record<string, string> = {};
        for (const q of factQuestions)
          if (`fact.${q}` in values) facts[q] = str(values, `fact.${q}`);
        // Present and empty clears the start time; absent leaves it alone.
        const startedAt =
          'startedAt' in values
            ? optional(values, 'startedAt')
              ? fe.take<Date | undefined>(() => dateField(values, 'startedAt', zone), undefined)
              : null
            : undefined;
        return { incidentId, facts, startedAt };
      },
      done,
    ),
    decision: formAction(
      recordOps.decision,
      (values) => ({ incidentId, decision: str(values, 'decision'), why: optional(values, 'why') }),
      done,
    ),
    'decision-retract': formAction(
      recordOps.retractDecision,
      (values) => ({ decisionId: str(values, 'decisionId'), reason: str(values, 'reason') }),
      done,
    ),
    'change-review': formAction(
      recordOps.reviewChange,
      (values, fe) => ({
        changeId: str(values, 'changeId'),
        verdict: fe.take(
          () =>
            choice(values, 'verdict', ['confirm', 'object'] as const, 'must be confirm or object'),
          undefined,
        ),
        reason: optional(values, 'reason'),
      }),
      done,
    ),
    change: formAction(
      recordOps.change,
      (values, fe) => ({
        incidentId,
        what: str(values, 'what'),
        target: str(values, 'target'),
        ranAt: optional(values, 'ranAt')
          ? fe.take<Date | undefined>(() => dateField(values, 'ranAt', zone), undefined)
          : undefined,
        ranById: str(values, 'ranById'),
        reviewerId: optional(values, 'reviewerId') ?? null,
        backupTaken: checkbox(values, 'backupTaken'),
        recordsTouched: fe.take(() => countField(values, 'recordsTouched'), undefined) ?? null,
        triedOnSample: checkbox(values, 'triedOnSample'),
      }),
      done,
    ),
    'action-item': formAction(
      recordOps.addActionItem,
      (values, fe) => ({
        incidentId,
        title: str(values, 'title'),
        kind: fe.take(() => choice(values, 'kind', actionItemKinds), undefined),
        ownerId: str(values, 'ownerId'),
        dueAt: fe.take<Date | undefined>(() => dateField(values, 'dueAt', zone), undefined),
        phase: fe.take(() => choice(values, 'phase', actionItemPhases), undefined),
      }),
      done,
    ),
    'action-item-state': formAction(
      recordOps.updateActionItem,
      (values, fe) => ({
        itemId: str(values, 'itemId'),
        state: fe.take(() => choice(values, 'state', actionItemStates), undefined),
        reason: optional(values, 'reason'),
      }),
      done,
    ),
    remediation: formAction(
      recordOps.addRemediationItem,
      (values, fe) => ({
        incidentId,
        what: str(values, 'what'),
        affected: str(values, 'affected'),
        priority: fe.take(() => intField(values, 'priority', priorityMessage), undefined),
        ownerId: optional(values, 'ownerId') ?? null,
      }),
      done,
    ),
    'remediation-update': formAction(
      recordOps.updateRemediationItem,
      (values, fe) => ({
        itemId: str(values, 'itemId'),
        ...(checkbox(values, 'confirm') ? { confirm: true as const } : {}),
        ...(optional(values, 'state')
          ? {
              state: fe.take(() => choice(values, 'state', remediationStates), undefined),
            }
          : {}),
      }),
      done,
    ),
    'follow-up': formAction(
      followUpOps.schedule,
      (values, fe) => ({
        incidentId,
        scheduledFor: fe.take<Date | undefined>(
          () => dateField(values, 'scheduledFor', zone),
          undefined,
        ),
        body: str(values, 'body'),
        replyTo: optional(values, 'replyTo') ?? null,
      }),
      done,
    ),
    'follow-up-skip': formAction(followUpOps.skip, () => ({ id: incidentId }), done),
  };
}

async function postRecord(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const zone = await pageZone(deps);
  return runFormActions(deps, session.actor, recordForms(incidentId, zone), formValues(form));
}

/**
 * The incident record on the admin pages: the fact sheet, decisions, changes, action items and
 * remediation items. Every form posts to /admin/incidents/:id/record, which shows the record
 * again with what was typed when something is wrong.
 */
export function createRecordAdmin(deps: Deps, session: ActiveSession) {
  return {
    factQuestions: factQuestions.map((q) => ({ question: q, text: factQuestionText[q] })),
    kinds: actionItemKinds,
    phases: actionItemPhases,
    remediationStates,
    toLocal: toZonedLocal,
    doneText: {
      facts: 'Fact sheet saved.',
      decision: 'Decision logged.',
      'decision-retract': 'Decision retracted: struck through here, left out of the post-mortem.',
      change: 'Change logged.',
      'change-review': 'Review recorded.',
      'action-item': 'Action item added.',
      'action-item-state': 'Action item closed.',
      remediation: 'Remediation item added.',
      'remediation-update': 'Remediation item saved.',
      'follow-up': 'Follow-up scheduled.',
      'follow-up-skip': 'Follow-up skipped: none will be sent.',
    } as Record<string, string>,

    forIncident: (incidentId: string) => readRecordPage(deps, incidentId),
    lookBack: () => readLookBackPage(deps, session),
    dashboard: () => readRecordDashboard(deps, session),
    postmortem: (incidentId: string, opts: { fromTemplate?: boolean; review?: boolean } = {}) =>
      readPostmortemPage(deps, incidentId, opts),
    postmortemAct: (incidentId: string, form: FormData) =>
      postPostmortem(deps, session, incidentId, form),
    act: (incidentId: string, form: FormData) => postRecord(deps, session, incidentId, form),
  };
}

export type RecordPageData = NonNullable<
  Awaited<ReturnType<ReturnType<typeof createRecordAdmin>['forIncident']>>
>;
