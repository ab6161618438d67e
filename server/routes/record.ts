import { followedBy, verb } from '../domain/shared/verb.ts';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { addActionItem } from '../domain/record/add-action-item.ts';
import { addRemediationItem } from '../domain/record/add-remediation-item.ts';
import { actionItemStates } from '../domain/record/inputs.ts';
import { logChange } from '../domain/record/log-change.ts';
import { logDecision } from '../domain/record/log-decision.ts';
import { retractDecision } from '../domain/record/retract-decision.ts';
import { reviewChange } from '../domain/record/review-change.ts';
import { readActionItems, readIncidentRecord } from '../domain/record/record-views.ts';
import { setIncidentFacts } from '../domain/record/set-incident-facts.ts';
import { updateActionItem } from '../domain/record/update-action-item.ts';
import { updateRemediationItem } from '../domain/record/update-remediation-item.ts';
import { loadIncident } from '../domain/incidents/load-incident.ts';
import { readFollowUp, readFollowUpBoard } from '../domain/record/follow-up-views.ts';
import { scheduleFollowUp } from '../domain/record/schedule-follow-up.ts';
import { skipFollowUp } from '../domain/record/skip-follow-up.ts';
import { readLookBackFigures } from '../domain/record/look-back-figures.ts';
import { readLookBacks } from '../domain/record/send-look-back.ts';
import {
  readPostmortemDraft,
  readPostmortemPublication,
} from '../domain/postmortems/postmortem-views.ts';
import { publishPostmortem } from '../domain/postmortems/publish-postmortem.ts';
import { savePostmortem } from '../domain/postmortems/save-postmortem.ts';
import { unpublishPostmortem } from '../domain/postmortems/unpublish-postmortem.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { operation } from './operation.ts';

const actionItemQuery = z.strictObject({
  state: z.enum(actionItemStates, { error: 'must be open, done or wont_do' }).optional(),
  overdue: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  incident: z.string().min(1).optional(),
});

/** Setting facts answers with the whole fact sheet. */
const setFactsAnswering = followedBy(setIncidentFacts, async (deps: Deps, r, input) => {
  const { facts } = await readIncidentRecord(deps.db, input.incidentId, deps.clock.now());
  return { ...r, facts };
});

/**
 * The incident record (internal only): the fact sheet, decisions, changes, action items and
 * remediation items. The verbs check roles and audit.
 */
export const recordOps = {
  read: operation({
    method: 'get',
    path: '/incidents/:id/record',
    summary: 'The internal record: fact sheet, decisions, changes, action and remediation items',
    role: 'viewer',
    verb: async (deps, { id }) => {
      await loadIncident(deps.db, id);
      return readIncidentRecord(deps.db, id, deps.clock.now());
    },
    success: 200,
  }),
  facts: operation({
    method: 'patch',
    path: '/incidents/:id/facts',
    summary: 'Answer fact-sheet questions (`{"facts": {"cause": "..."}}`); "" clears one',
    role: 'responder',
    pathField: 'incidentId',
    verb: setFactsAnswering,
    success: 200,
  }),
  decision: operation({
    method: 'post',
    path: '/incidents/:id/decisions',
    summary: 'Log a decision (with why) as its own internal timeline entry',
    role: 'responder',
    pathField: 'incidentId',
    verb: logDecision,
    answer: (decision) => ({ decision }),
    success: 201,
  }),
  retractDecision: operation({
    method: 'post',
    path: '/decisions/:id/retract',
    summary:
      'Retract a decision logged by mistake, with a reason: struck through, out of the post-mortem, kept in the audit; 409 if already retracted',
    role: 'responder',
    pathField: 'decisionId',
    verb: retractDecision,
    answer: (decision) => ({ decision }),
    success: 200,
  }),
  change: operation({
    method: 'post',
    path: '/incidents/:id/changes',
    summary:
      'Log a script or command run against production; `reviewerId` is asked to review it (mail, dashboard); unreviewed ones are marked',
    role: 'responder',
    pathField: 'incidentId',
    verb: logChange,
    answer: (change) => ({ change }),
    success: 201,
  }),
  reviewChange: operation({
    method: 'post',
    path: '/changes/:id/review',
    summary:
      'The named reviewer confirms a change or objects (`reason` required); anyone else gets 403',
    role: 'responder',
    pathField: 'changeId',
    verb: reviewChange,
    answer: (change) => ({ change }),
    success: 200,
  }),
  addActionItem: operation({
    method: 'post',
    path: '/incidents/:id/action-items',
    summary: 'Add an action item (owner, due date, phase during or after)',
    role: 'responder',
    pathField: 'incidentId',
    verb: addActionItem,
    answer: (actionItem) => ({ actionItem }),
    success: 201,
  }),
  updateActionItem: operation({
    method: 'patch',
    path: '/action-items/:id',
    summary: 'Edit an action item or close it (done, or wont_do with a reason)',
    role: 'responder',
    pathField: 'itemId',
    verb: updateActionItem,
    answer: (actionItem) => ({ actionItem }),
    success: 200,
  }),
  actionItems: operation({
    method: 'get',
    path: '/action-items',
    summary: 'Action items across incidents, soonest due first',
    role: 'viewer',
    query: {
      state: 'open, done or wont_do',
      overdue: 'true: only open items past their due date',
      incident: 'incident id',
    },
    verb: verb(actionItemQuery, async (deps: Deps, q) => {
      const now = deps.clock.now();
      if (q.overdue === 'true' && q.state && q.state !== 'open')
        throw new ValidationError('overdue: only open items can be overdue', {
          overdue: 'only open items can be overdue',
        });
      const items = await readActionItems(
        deps.db,
        {
          state: q.state,
          incidentId: q.incident,
          overdueAt: q.overdue === 'true' ? now : undefined,
        },
        now,
      );
      return { actionItems: q.overdue === 'false' ? items.filter((i) => !i.overdue) : items };
    }),
    success: 200,
  }),
  addRemediationItem: operation({
    method: 'post',
    path: '/incidents/:id/remediation-items',
    summary: 'Record what customers are owed (starting priority set by the PM)',
    role: 'responder',
    pathField: 'incidentId',
    verb: addRemediationItem,
    answer: (remediationItem) => ({ remediationItem }),
    success: 201,
  }),
  updateRemediationItem: operation({
    method: 'patch',
    path: '/remediation-items/:id',
    summary: 'Edit, re-rate, confirm (support or sales) or close a remediation item',
    role: 'responder',
    pathField: 'itemId',
    verb: updateRemediationItem,
    answer: (remediationItem) => ({ remediationItem }),
    success: 200,
  }),
};

export const recordOperations = Object.values(recordOps);

/** The post-mortem draft as the API answers it. */
async function draft(deps: Deps, incidentId: string) {
  return { postmortem: await readPostmortemDraft(deps.db, incidentId, deps.clock.now()) };
}

const saveAnswering = followedBy(savePostmortem, (deps: Deps, _r, input) =>
  draft(deps, input.incidentId),
);
const publishAnswering = followedBy(publishPostmortem, async (deps: Deps, r, input) => ({
  ...(await draft(deps, input.incidentId)),
  broadcast: r.broadcast,
}));

/** The post-mortem: the draft, writing it, publishing and unpublishing it. */
export const postmortemOps = {
  draft: operation({
    method: 'get',
    path: '/incidents/:id/postmortem',
    summary: 'The post-mortem draft, pre-filled from the timeline when none is written yet',
    role: 'viewer',
    verb: (deps, { id }) => draft(deps, id),
    success: 200,
  }),
  publication: operation({
    method: 'get',
    path: '/incidents/:id/postmortem/publication',
    summary:
      'What publishing would put out, before anything is sent: the public part, where, and the email recipient count',
    role: 'viewer',
    verb: async (deps, { id }) => ({
      publication: await readPostmortemPublication(deps.db, id, deps.config.publicUrl),
    }),
    success: 200,
  }),
  save: operation({
    method: 'put',
    path: '/incidents/:id/postmortem',
    summary:
      'Write the post-mortem: `publicBody` (published on demand) and `internalBody` (staff only), Markdown; 409 while unresolved',
    // A long post-mortem is read in full, so the verb can name an over-long body (422).
    maxBodyBytes: 1024 * 1024,
    role: 'responder',
    pathField: 'incidentId',
    verb: saveAnswering,
    success: 200,
  }),
  publish: operation({
    method: 'post',
    path: '/incidents/:id/postmortem/publish',
    summary:
      'Publish its public part on the incident page, feeds and v2 API; `notify` also emails the lists; `reviewedVersion` refuses (409) if it changed since the preview',
    role: 'responder',
    optionalBody: true,
    pathField: 'incidentId',
    verb: publishAnswering,
    success: 200,
  }),
  unpublish: operation({
    method: 'delete',
    path: '/incidents/:id/postmortem/publish',
    summary: 'Unpublish it: off the page, the feeds and the API (kept as a draft)',
    role: 'responder',
    verb: async (deps, { id }, actor) => {
      await unpublishPostmortem(deps, { incidentId: id }, actor);
      return draft(deps, id);
    },
    success: 200,
  }),
};

export const postmortemOperations = Object.values(postmortemOps);

/** The next-day follow-up and the look back. */
export const followUpOps = {
  read: operation({
    method: 'get',
    path: '/incidents/:id/follow-up',
    summary: "The incident's follow-up (Herald's proposal until someone edits or skips it)",
    role: 'viewer',
    verb: async (deps, { id }) => ({ followUp: await readFollowUp(deps.db, id) }),
    success: 200,
  }),
  schedule: operation({
    method: 'post',
    path: '/incidents/:id/follow-up',
    summary: 'Set the follow-up text and time (P0/P1, after the all-clear)',
    role: 'responder',
    pathField: 'incidentId',
    verb: scheduleFollowUp,
    answer: (followUp) => ({ followUp }),
    success: 200,
  }),
  skip: operation({
    method: 'delete',
    path: '/incidents/:id/follow-up',
    summary: 'Skip the follow-up',
    role: 'responder',
    verb: (deps, { id }, actor) => skipFollowUp(deps, { incidentId: id }, actor),
    answer: (followUp) => ({ followUp }),
    success: 200,
  }),
  board: operation({
    method: 'get',
    path: '/follow-ups',
    summary: 'Follow-ups due, and those sent or skipped in the last 14 days',
    role: 'viewer',
    verb: (deps) => readFollowUpBoard(deps.db, deps.clock.now()),
    success: 200,
  }),
  lookBack: operation({
    method: 'get',
    path: '/look-back',
    summary: 'The incident process in figures over the last LOOK_BACK_DAYS, and past reviews',
    role: 'admin',
    verb: async (deps) => {
      const now = deps.clock.now();
      const days = deps.config.lookBackDays || 60;
      const from = new Date(now.getTime() - days * 24 * 60 * 60_000);
      return {
        days,
        figures: await readLookBackFigures(deps.db, from, now),
        past: await readLookBacks(deps),
      };
    },
    success: 200,
  }),
};

export const followUpOperations = Object.values(followUpOps);
