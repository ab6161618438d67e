import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { loadIncident } from '../../domain/incidents/load-incident.ts';
import { addActionItem, addActionItemInput } from '../../domain/record/add-action-item.ts';
import {
  addRemediationItem,
  addRemediationItemInput,
} from '../../domain/record/add-remediation-item.ts';
import {
  actionItemKinds,
  actionItemPhases,
  actionItemStates,
  factQuestions,
  factQuestionText,
  remediationStates,
} from '../../domain/record/inputs.ts';
import { logChange, logChangeInput } from '../../domain/record/log-change.ts';
import { logDecision } from '../../domain/record/log-decision.ts';
import { readActionItems, readIncidentRecord } from '../../domain/record/record-views.ts';
import { readFollowUp, readFollowUpBoard } from '../../domain/record/follow-up-views.ts';
import {
  type LookBackFigures,
  lookBackLines,
  readLookBackFigures,
} from '../../domain/record/look-back-figures.ts';
import { readLookBacks } from '../../domain/record/send-look-back.ts';
import { hasRole } from '../../domain/shared/actor.ts';
import { skipFollowUp } from '../../domain/record/skip-follow-up.ts';
import { scheduleFollowUp, scheduleFollowUpInput } from '../../domain/record/schedule-follow-up.ts';
import {
  readPostmortemDraft,
  readPostmortemPublication,
  readTemplateData,
} from '../../domain/postmortems/postmortem-views.ts';
import { publishPostmortem } from '../../domain/postmortems/publish-postmortem.ts';
import { savePostmortem } from '../../domain/postmortems/save-postmortem.ts';
import { unpublishPostmortem } from '../../domain/postmortems/unpublish-postmortem.ts';
import { buildPostmortemTemplate } from '../../domain/postmortems/template.ts';
import { renderMarkdown } from '../../domain/shared/render-markdown.ts';
import { setIncidentFacts } from '../../domain/record/set-incident-facts.ts';
import { updateActionItem, updateActionItemInput } from '../../domain/record/update-action-item.ts';
import {
  updateRemediationItem,
  updateRemediationItemInput,
} from '../../domain/record/update-remediation-item.ts';
import { NotFoundError, ValidationError } from '../../domain/shared/errors.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import {
  checkbox,
  choice,
  dateField,
  FieldErrors,
  type FormOutcome,
  type FormValues,
  formValues,
  intField,
  optional,
  runForm,
  str,
  pageZone,
} from './form.ts';
import { toZonedLocal } from '../../domain/shared/zoned-time.ts';

// The messages the verbs' schemas give, so a field reads the same whichever side catches it.
const kindMessage = 'must be prevent, mitigate, detect or process';
const priorityMessage = 'must be 0, 1, 2 or 3';
const remediationStateMessage = 'must be open, in_progress, done or wont_do';

export const recordActions = [
  'facts',
  'decision',
  'change',
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

/** Dashboard lines: overdue action items by owner, follow-ups due, sent and skipped. */
async function readRecordDashboard(deps: Deps) {
  const now = deps.clock.now();
  const overdue = await readActionItems(deps.db, { overdueAt: now }, now);
  const byOwner = new Map<string, typeof overdue>();
  for (const i of overdue) byOwner.set(i.ownerName, [...(byOwner.get(i.ownerName) ?? []), i]);
  return {
    tz: await pageZone(deps),
    overdueByOwner: [...byOwner].map(([owner, items]) => ({ owner, items })),
    overdueCount: overdue.length,
    followUps: await readFollowUpBoard(deps.db, now),
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
    opts.review && !draft.prefilled ? await readPostmortemPublication(deps.db, incidentId) : null;
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

async function postPostmortem(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const actor = session.actor;
  const values = formValues(form);
  const back = (done: string) => `/admin/incidents/${incidentId}/postmortem?done=${done}`;
  return runForm(values, async () => {
    const action = str(values, '_action');
    if (action === 'save' || action === 'save-review') {
      await savePostmortem(
        deps,
        {
          incidentId,
          publicBody: str(values, 'publicBody'),
          internalBody: str(values, 'internalBody'),
        },
        actor,
      );
      // Nothing is published from the editor: publishing is a second step, from the preview.
      if (action === 'save-review')
        return `/admin/incidents/${incidentId}/postmortem?review=1#h-review`;
      return back('saved');
    }
    if (action === 'publish') {
      await publishPostmortem(
        deps,
        {
          incidentId,
          notify: checkbox(values, 'notify'),
          reviewedVersion: optional(values, 'reviewedVersion'),
        },
        actor,
      );
      return back('published');
    }
    if (action === 'unpublish') {
      await unpublishPostmortem(deps, { incidentId }, actor);
      return back('unpublished');
    }
    throw new ValidationError('Unknown form.', { _action: 'unknown form' });
  });
}

/** One of the record's forms: what it posted, for the incident, in the page's time zone. */
type RecordForm = {
  deps: Deps;
  actor: ActiveSession['actor'];
  incidentId: string;
  values: FormValues;
  zone: string;
};

async function postFacts({ deps, actor, incidentId, values }: RecordForm): Promise<void> {
  const facts: Record<string, string> = {};
  for (const q of factQuestions) if (`fact.${q}` in values) facts[q] = str(values, `fact.${q}`);
  await setIncidentFacts(deps, { incidentId, facts }, actor);
}

async function postDecision({ deps, actor, incidentId, values }: RecordForm): Promise<void> {
  await logDecision(
    deps,
    { incidentId, decision: str(values, 'decision'), why: optional(values, 'why') },
    actor,
  );
}

async function postChange({ deps, actor, incidentId, values, zone }: RecordForm): Promise<void> {
  const fe = new FieldErrors();
  const input = {
    incidentId,
    what: str(values, 'what'),
    target: str(values, 'target'),
    ranAt: optional(values, 'ranAt')
      ? fe.take<Date | undefined>(() => dateField(values, 'ranAt', zone), undefined)
      : undefined,
    ranById: str(values, 'ranById'),
    reviewedById: optional(values, 'reviewedById') ?? null,
    backupTaken: checkbox(values, 'backupTaken'),
    recordsTouched: fe.take(() => intField(values, 'recordsTouched'), undefined) ?? null,
    triedOnSample: checkbox(values, 'triedOnSample'),
  };
  await logChange(deps, fe.parse(logChangeInput, input), actor);
}

async function postActionItem({
  deps,
  actor,
  incidentId,
  values,
  zone,
}: RecordForm): Promise<void> {
  const fe = new FieldErrors();
  const input = {
    incidentId,
    title: str(values, 'title'),
    kind: fe.take(() => choice(values, 'kind', actionItemKinds, kindMessage), undefined),
    ownerId: str(values, 'ownerId'),
    dueAt: fe.take<Date | undefined>(() => dateField(values, 'dueAt', zone), undefined),
    phase: fe.take(
      () => choice(values, 'phase', actionItemPhases, 'must be during or after'),
      undefined,
    ),
  };
  await addActionItem(deps, fe.parse(addActionItemInput, input), actor);
}

async function postActionItemState({ deps, actor, values }: RecordForm): Promise<void> {
  const fe = new FieldErrors();
  const input = {
    itemId: str(values, 'itemId'),
    state: fe.take(
      () => choice(values, 'state', actionItemStates, 'must be open, done or wont_do'),
      undefined,
    ),
    reason: optional(values, 'reason'),
  };
  await updateActionItem(deps, fe.parse(updateActionItemInput, input), actor);
}

async function postRemediation({ deps, actor, incidentId, values }: RecordForm): Promise<void> {
  const fe = new FieldErrors();
  const input = {
    incidentId,
    what: str(values, 'what'),
    affected: str(values, 'affected'),
    priority: fe.take(() => intField(values, 'priority', priorityMessage), undefined),
    ownerId: optional(values, 'ownerId') ?? null,
  };
  await addRemediationItem(deps, fe.parse(addRemediationItemInput, input), actor);
}

async function postRemediationUpdate({ deps, actor, values }: RecordForm): Promise<void> {
  const fe = new FieldErrors();
  const input = {
    itemId: str(values, 'itemId'),
    ...(checkbox(values, 'confirm') ? { confirm: true as const } : {}),
    ...(optional(values, 'state')
      ? {
          state: fe.take(
            () => choice(values, 'state', remediationStates, remediationStateMessage),
            undefined,
          ),
        }
      : {}),
  };
  await updateRemediationItem(deps, fe.parse(updateRemediationItemInput, input), actor);
}

async function postFollowUp({ deps, actor, incidentId, values, zone }: RecordForm): Promise<void> {
  const fe = new FieldErrors();
  const input = {
    incidentId,
    scheduledFor: fe.take<Date | undefined>(
      () => dateField(values, 'scheduledFor', zone),
      undefined,
    ),
    body: str(values, 'body'),
    replyTo: optional(values, 'replyTo') ?? null,
  };
  await scheduleFollowUp(deps, fe.parse(scheduleFollowUpInput, input), actor);
}

async function postFollowUpSkip({ deps, actor, incidentId }: RecordForm): Promise<void> {
  await skipFollowUp(deps, { incidentId }, actor);
}

/** The record's forms by their `_action`; each answers with `?done=<its action>`. */
const recordForms = new Map<string, (f: RecordForm) => Promise<void>>([
  ['facts', postFacts],
  ['decision', postDecision],
  ['change', postChange],
  ['action-item', postActionItem],
  ['action-item-state', postActionItemState],
  ['remediation', postRemediation],
  ['remediation-update', postRemediationUpdate],
  ['follow-up', postFollowUp],
  ['follow-up-skip', postFollowUpSkip],
]);

async function postRecord(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  const zone = await pageZone(deps);
  return runForm(values, async () => {
    const action = str(values, '_action');
    const post = recordForms.get(action);
    if (!post) throw new ValidationError('Unknown form.', { _action: 'unknown form' });
    await post({ deps, actor: session.actor, incidentId, values, zone });
    return `/admin/incidents/${incidentId}?done=${action}#record`;
  });
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
      change: 'Change logged.',
      'action-item': 'Action item added.',
      'action-item-state': 'Action item closed.',
      remediation: 'Remediation item added.',
      'remediation-update': 'Remediation item saved.',
      'follow-up': 'Follow-up scheduled.',
      'follow-up-skip': 'Follow-up skipped: none will be sent.',
    } as Record<string, string>,

    forIncident: (incidentId: string) => readRecordPage(deps, incidentId),
    lookBack: () => readLookBackPage(deps, session),
    dashboard: () => readRecordDashboard(deps),
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
