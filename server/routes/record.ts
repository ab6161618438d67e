import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { addActionItem, addActionItemInput } from '../domain/record/add-action-item.ts';
import {
  addRemediationItem,
  addRemediationItemInput,
} from '../domain/record/add-remediation-item.ts';
import { actionItemStates } from '../domain/record/inputs.ts';
import { logChange, logChangeInput } from '../domain/record/log-change.ts';
import { logDecision, logDecisionInput } from '../domain/record/log-decision.ts';
import { readActionItems, readIncidentRecord } from '../domain/record/record-views.ts';
import { setIncidentFacts, setIncidentFactsInput } from '../domain/record/set-incident-facts.ts';
import { updateActionItem, updateActionItemInput } from '../domain/record/update-action-item.ts';
import {
  updateRemediationItem,
  updateRemediationItemInput,
} from '../domain/record/update-remediation-item.ts';
import { loadIncident } from '../domain/incidents/load-incident.ts';
import { readFollowUp, readFollowUpBoard } from '../domain/record/follow-up-views.ts';
import { scheduleFollowUp, scheduleFollowUpInput } from '../domain/record/schedule-follow-up.ts';
import { skipFollowUp } from '../domain/record/skip-follow-up.ts';
import { readLookBackFigures } from '../domain/record/look-back-figures.ts';
import { readLookBacks } from '../domain/record/send-look-back.ts';
import {
  readPostmortemDraft,
  readPostmortemPublication,
} from '../domain/postmortems/postmortem-views.ts';
import {
  publishPostmortem,
  publishPostmortemInput,
} from '../domain/postmortems/publish-postmortem.ts';
import { savePostmortem, savePostmortemInput } from '../domain/postmortems/save-postmortem.ts';
import { unpublishPostmortem } from '../domain/postmortems/unpublish-postmortem.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { parseInput } from '../domain/shared/parse.ts';
import { actorOf, type ApiContext, type Operation, pathId, op } from './operation.ts';

const actionItemQuery = z.strictObject({
  state: z.enum(actionItemStates, { error: 'must be open, done or wont_do' }).optional(),
  overdue: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  incident: z.string().min(1).optional(),
});

/**
 * The incident record in the admin API (internal only): the fact sheet, decisions, changes,
 * action items and remediation items. Registered into the admin API's operation table, so
 * auth, roles and the OpenAPI document come from one place; the verbs check roles and audit.
 */
export function recordOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/incidents/:id/record',
        summary:
          'The internal record: fact sheet, decisions, changes, action and remediation items',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        await loadIncident(deps.db, pathId(c));
        return c.json(await readIncidentRecord(deps.db, pathId(c), deps.clock.now()));
      },
    },
    op({
      meta: {
        method: 'patch',
        path: '/incidents/:id/facts',
        summary: 'Answer fact-sheet questions (`{"facts": {"cause": "..."}}`); "" clears one',
        role: 'responder',
        body: setIncidentFactsInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        const r = await setIncidentFacts(deps, input, actorOf(c));
        return c.json({
          ...r,
          facts: (await readIncidentRecord(deps.db, pathId(c), deps.clock.now())).facts,
        });
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/decisions',
        summary: 'Log a decision (with why) as its own internal timeline entry',
        role: 'responder',
        body: logDecisionInput,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) =>
        c.json(
          {
            decision: await logDecision(deps, input, actorOf(c)),
          },
          201,
        ),
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/changes',
        summary: 'Log a script or command run against production (unreviewed ones are marked)',
        role: 'responder',
        body: logChangeInput,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) =>
        c.json(
          {
            change: await logChange(deps, input, actorOf(c)),
          },
          201,
        ),
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/action-items',
        summary: 'Add an action item (owner, due date, phase during or after)',
        role: 'responder',
        body: addActionItemInput,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) =>
        c.json(
          {
            actionItem: await addActionItem(deps, input, actorOf(c)),
          },
          201,
        ),
    }),
    op({
      meta: {
        method: 'patch',
        path: '/action-items/:id',
        summary: 'Edit an action item or close it (done, or wont_do with a reason)',
        role: 'responder',
        body: updateActionItemInput,
        omit: ['itemId'],
        success: 200,
      },
      handler: async (c, input) =>
        c.json({
          actionItem: await updateActionItem(deps, input, actorOf(c)),
        }),
    }),
    {
      meta: {
        method: 'get',
        path: '/action-items',
        summary: 'Action items across incidents, soonest due first',
        role: 'responder',
        query: {
          state: 'open, done or wont_do',
          overdue: 'true: only open items past their due date',
          incident: 'incident id',
        },
        success: 200,
      },
      handler: async (c) => {
        const q = parseInput(actionItemQuery, c.req.query());
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
        return c.json({
          actionItems: q.overdue === 'false' ? items.filter((i) => !i.overdue) : items,
        });
      },
    },
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/remediation-items',
        summary: 'Record what customers are owed (starting priority set by the PM)',
        role: 'responder',
        body: addRemediationItemInput,
        omit: ['incidentId'],
        success: 201,
      },
      handler: async (c, input) =>
        c.json(
          {
            remediationItem: await addRemediationItem(deps, input, actorOf(c)),
          },
          201,
        ),
    }),
    op({
      meta: {
        method: 'patch',
        path: '/remediation-items/:id',
        summary: 'Edit, re-rate, confirm (support or sales) or close a remediation item',
        role: 'responder',
        body: updateRemediationItemInput,
        omit: ['itemId'],
        success: 200,
      },
      handler: async (c, input) =>
        c.json({
          remediationItem: await updateRemediationItem(deps, input, actorOf(c)),
        }),
    }),
  ];
}

/** The post-mortem: the draft, writing it, publishing and unpublishing it. */
export function postmortemOperations(deps: Deps): Operation[] {
  const draft = async (c: ApiContext) => {
    const d = await readPostmortemDraft(deps.db, pathId(c), deps.clock.now());
    return { postmortem: d };
  };
  return [
    {
      meta: {
        method: 'get',
        path: '/incidents/:id/postmortem',
        summary: 'The post-mortem draft, pre-filled from the timeline when none is written yet',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json(await draft(c)),
    },
    {
      meta: {
        method: 'get',
        path: '/incidents/:id/postmortem/publication',
        summary:
          'What publishing would put out, before anything is sent: the public part, where, and the email recipient count',
        role: 'responder',
        success: 200,
      },
      handler: async (c) =>
        c.json({ publication: await readPostmortemPublication(deps.db, pathId(c)) }),
    },
    op({
      meta: {
        method: 'put',
        path: '/incidents/:id/postmortem',
        summary:
          'Write the post-mortem: `publicBody` (published on demand) and `internalBody` (staff only), Markdown; 409 while unresolved',
        // A long post-mortem is read in full, so the verb can name an over-long body (422).
        maxBodyBytes: 1024 * 1024,
        role: 'responder',
        body: savePostmortemInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        await savePostmortem(deps, input, actorOf(c));
        return c.json(await draft(c));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/postmortem/publish',
        summary:
          'Publish its public part on the incident page, feeds and v2 API; `notify` also emails the lists; `reviewedVersion` refuses (409) if it changed since the preview',
        role: 'responder',
        body: publishPostmortemInput,
        optionalBody: true,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) => {
        const r = await publishPostmortem(deps, input, actorOf(c));
        return c.json({ ...(await draft(c)), broadcast: r.broadcast });
      },
    }),
    {
      meta: {
        method: 'delete',
        path: '/incidents/:id/postmortem/publish',
        summary: 'Unpublish it: off the page, the feeds and the API (kept as a draft)',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => {
        await unpublishPostmortem(deps, { incidentId: pathId(c) }, actorOf(c));
        return c.json(await draft(c));
      },
    },
  ];
}

/** The next-day follow-up and the look back. */
export function followUpOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/incidents/:id/follow-up',
        summary: "The incident's follow-up (Herald's proposal until someone edits or skips it)",
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json({ followUp: await readFollowUp(deps.db, pathId(c)) }),
    },
    op({
      meta: {
        method: 'post',
        path: '/incidents/:id/follow-up',
        summary: 'Set the follow-up text and time (P0/P1, after the all-clear)',
        role: 'responder',
        body: scheduleFollowUpInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) =>
        c.json({
          followUp: await scheduleFollowUp(deps, input, actorOf(c)),
        }),
    }),
    {
      meta: {
        method: 'delete',
        path: '/incidents/:id/follow-up',
        summary: 'Skip the follow-up',
        role: 'responder',
        success: 200,
      },
      handler: async (c) =>
        c.json({ followUp: await skipFollowUp(deps, { incidentId: pathId(c) }, actorOf(c)) }),
    },
    {
      meta: {
        method: 'get',
        path: '/follow-ups',
        summary: 'Follow-ups due, and those sent or skipped in the last 14 days',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json(await readFollowUpBoard(deps.db, deps.clock.now())),
    },

    // The look back
    {
      meta: {
        method: 'get',
        path: '/look-back',
        summary: 'The incident process in figures over the last LOOK_BACK_DAYS, and past reviews',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => {
        const now = deps.clock.now();
        const days = deps.config.lookBackDays || 60;
        const from = new Date(now.getTime() - days * 24 * 60 * 60_000);
        return c.json({
          days,
          figures: await readLookBackFigures(deps.db, from, now),
          past: await readLookBacks(deps),
        });
      },
    },
  ];
}
