import type { Context } from 'hono';
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
import { readPostmortemDraft } from '../domain/postmortems/postmortem-views.ts';
import {
  publishPostmortem,
  publishPostmortemInput,
} from '../domain/postmortems/publish-postmortem.ts';
import { savePostmortem, savePostmortemInput } from '../domain/postmortems/save-postmortem.ts';
import { unpublishPostmortem } from '../domain/postmortems/unpublish-postmortem.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { parseInput } from '../domain/shared/parse.ts';
import type { AuthEnv } from '../http/auth.ts';
import type { ApiOperation } from '../http/openapi.ts';

type Ctx = Context<AuthEnv>;
type Op = (meta: ApiOperation, handler: (c: Ctx) => Promise<Response> | Response) => void;

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
export function recordApiOperations(
  deps: Deps,
  op: Op,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  const actor = (c: Ctx) => c.get('actor');
  const id = (c: Ctx) => c.req.param('id') ?? '';
  const v = <T>(x: T) => x as never;

  op(
    {
      method: 'get',
      path: '/incidents/:id/record',
      summary: 'The internal record: fact sheet, decisions, changes, action and remediation items',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      await loadIncident(deps.db, id(c));
      return c.json(await readIncidentRecord(deps.db, id(c), deps.clock.now()));
    },
  );
  op(
    {
      method: 'patch',
      path: '/incidents/:id/facts',
      summary: 'Answer fact-sheet questions (`{"facts": {"cause": "..."}}`); "" clears one',
      role: 'responder',
      body: setIncidentFactsInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) => {
      const r = await setIncidentFacts(
        deps,
        v({ ...(await body(c)), incidentId: id(c) }),
        actor(c),
      );
      return c.json({
        ...r,
        facts: (await readIncidentRecord(deps.db, id(c), deps.clock.now())).facts,
      });
    },
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/decisions',
      summary: 'Log a decision (with why) as its own internal timeline entry',
      role: 'responder',
      body: logDecisionInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        {
          decision: await logDecision(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c)),
        },
        201,
      ),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/changes',
      summary: 'Log a script or command run against production (unreviewed ones are marked)',
      role: 'responder',
      body: logChangeInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        { change: await logChange(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c)) },
        201,
      ),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/action-items',
      summary: 'Add an action item (owner, due date, phase during or after)',
      role: 'responder',
      body: addActionItemInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        {
          actionItem: await addActionItem(
            deps,
            v({ ...(await body(c)), incidentId: id(c) }),
            actor(c),
          ),
        },
        201,
      ),
  );
  op(
    {
      method: 'patch',
      path: '/action-items/:id',
      summary: 'Edit an action item or close it (done, or wont_do with a reason)',
      role: 'responder',
      body: updateActionItemInput,
      omit: ['itemId'],
      success: 200,
    },
    async (c) =>
      c.json({
        actionItem: await updateActionItem(
          deps,
          v({ ...(await body(c)), itemId: id(c) }),
          actor(c),
        ),
      }),
  );
  op(
    {
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
    async (c) => {
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
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/remediation-items',
      summary: 'Record what customers are owed (starting priority set by the PM)',
      role: 'responder',
      body: addRemediationItemInput,
      omit: ['incidentId'],
      success: 201,
    },
    async (c) =>
      c.json(
        {
          remediationItem: await addRemediationItem(
            deps,
            v({ ...(await body(c)), incidentId: id(c) }),
            actor(c),
          ),
        },
        201,
      ),
  );
  op(
    {
      method: 'patch',
      path: '/remediation-items/:id',
      summary: 'Edit, re-rate, confirm (support or sales) or close a remediation item',
      role: 'responder',
      body: updateRemediationItemInput,
      omit: ['itemId'],
      success: 200,
    },
    async (c) =>
      c.json({
        remediationItem: await updateRemediationItem(
          deps,
          v({ ...(await body(c)), itemId: id(c) }),
          actor(c),
        ),
      }),
  );

  // The post-mortem
  const draft = async (c: Ctx) => {
    const d = await readPostmortemDraft(deps.db, id(c), deps.clock.now());
    return { postmortem: d };
  };
  op(
    {
      method: 'get',
      path: '/incidents/:id/postmortem',
      summary: 'The post-mortem draft, pre-filled from the timeline when none is written yet',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json(await draft(c)),
  );
  op(
    {
      method: 'put',
      path: '/incidents/:id/postmortem',
      summary: 'Write the post-mortem (Markdown); 409 while the incident is unresolved',
      role: 'responder',
      body: savePostmortemInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) => {
      await savePostmortem(deps, v({ ...(await body(c)), incidentId: id(c) }), actor(c));
      return c.json(await draft(c));
    },
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/postmortem/publish',
      summary: 'Publish it on the incident page, feeds and v2 API; `notify` also emails the lists',
      role: 'responder',
      body: publishPostmortemInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) => {
      const r = await publishPostmortem(
        deps,
        v({ ...(await body(c).catch(() => ({}))), incidentId: id(c) }),
        actor(c),
      );
      return c.json({ ...(await draft(c)), broadcast: r.broadcast });
    },
  );
  op(
    {
      method: 'delete',
      path: '/incidents/:id/postmortem/publish',
      summary: 'Unpublish it: off the page, the feeds and the API (kept as a draft)',
      role: 'responder',
      success: 200,
    },
    async (c) => {
      await unpublishPostmortem(deps, { incidentId: id(c) }, actor(c));
      return c.json(await draft(c));
    },
  );

  // The next-day follow-up
  op(
    {
      method: 'get',
      path: '/incidents/:id/follow-up',
      summary: "The incident's follow-up (Herald's proposal until someone edits or skips it)",
      role: 'responder',
      success: 200,
    },
    async (c) => c.json({ followUp: await readFollowUp(deps.db, id(c)) }),
  );
  op(
    {
      method: 'post',
      path: '/incidents/:id/follow-up',
      summary: 'Set the follow-up text and time (P0/P1, after the all-clear)',
      role: 'responder',
      body: scheduleFollowUpInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) =>
      c.json({
        followUp: await scheduleFollowUp(
          deps,
          v({ ...(await body(c)), incidentId: id(c) }),
          actor(c),
        ),
      }),
  );
  op(
    {
      method: 'delete',
      path: '/incidents/:id/follow-up',
      summary: 'Skip the follow-up',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json({ followUp: await skipFollowUp(deps, { incidentId: id(c) }, actor(c)) }),
  );
  op(
    {
      method: 'get',
      path: '/follow-ups',
      summary: 'Follow-ups due, and those sent or skipped in the last 14 days',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json(await readFollowUpBoard(deps.db, deps.clock.now())),
  );

  // The look back
  op(
    {
      method: 'get',
      path: '/look-back',
      summary: 'The incident process in figures over the last LOOK_BACK_DAYS, and past reviews',
      role: 'admin',
      success: 200,
    },
    async (c) => {
      const now = deps.clock.now();
      const days = deps.config.lookBackDays || 60;
      const from = new Date(now.getTime() - days * 24 * 60 * 60_000);
      return c.json({
        days,
        figures: await readLookBackFigures(deps.db, from, now),
        past: await readLookBacks(deps),
      });
    },
  );
}
