import type { Context } from 'hono';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { decideReport, decideReportApiInput } from '../domain/reports/decide-report.ts';
import {
  readAdminReport,
  readP1Budget,
  readReportQueue,
  readReportsByState,
} from '../domain/reports/report-views.ts';
import {
  setOnDuty,
  setOnDutyInput,
  updateTriageSettings,
  updateTriageSettingsInput,
} from '../domain/reports/update-triage-settings.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { reportStates } from '../domain/reports/inputs.ts';
import { parseInput } from '../domain/shared/parse.ts';
import { readRunbook } from '../domain/runbooks/runbook-views.ts';
import { readDrills, readDrillScorecard } from '../domain/drills/drill-views.ts';
import { scheduleDrill, scheduleDrillInput } from '../domain/drills/schedule-drill.ts';
import {
  readSupportScript,
  saveSupportScript,
  saveSupportScriptInput,
} from '../domain/support/support-script.ts';
import { saveRunbook, saveRunbookInput } from '../domain/runbooks/save-runbook.ts';
import type { AuthEnv } from '../http/auth.ts';
import type { ApiOperation } from '../http/openapi.ts';

type Ctx = Context<AuthEnv>;
type Op = (meta: ApiOperation, handler: (c: Ctx) => Promise<Response> | Response) => void;

const stateQuery = z.object({ state: z.enum(reportStates).optional() });
const id = (c: Ctx) => c.req.param('id') ?? '';
/** The verbs parse their own input strictly; the body is handed on as it came. */
const v = <T>(x: T) => x as never;

/**
 * Reports and triage in the admin JSON API, declared in the same operation table as the rest of
 * /api/admin (auth, role and the OpenAPI document come from there). The verbs check roles again
 * and write the audit log.
 */
export function registerReportApi(
  op: Op,
  deps: Deps,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  const actor = (c: Ctx) => c.get('actor');

  op(
    {
      method: 'get',
      path: '/reports',
      summary:
        'Reports; `state=open` is the triage queue (P0/P1 first, newest first, with the timebox)',
      role: 'viewer',
      query: { state: `one of ${reportStates.join(', ')}` },
      success: 200,
    },
    async (c) => {
      const { state } = parseInput(stateQuery, c.req.query());
      if (state === 'open') {
        const queue = await readReportQueue(deps.db, deps.clock.now());
        return c.json({
          reports: queue.map((q) => ({
            ...q.report,
            waitedMinutes: Math.floor(q.waitedMs / 60_000),
            decisionDueAt: q.timebox?.dueAt ?? null,
            overdue: q.timebox?.overdue ?? false,
          })),
        });
      }
      return c.json({ reports: await readReportsByState(deps.db, state ?? null) });
    },
  );
  op(
    {
      method: 'get',
      path: '/reports/:id',
      summary: 'One report with its history, attachment (metadata) and incident',
      role: 'viewer',
      success: 200,
    },
    async (c) => {
      const found = await readAdminReport(deps.db, id(c), deps.clock.now());
      if (!found) throw new NotFoundError(`No report with id ${id(c)}.`);
      return c.json(found);
    },
  );
  op(
    {
      method: 'post',
      path: '/reports/:id/decision',
      summary:
        'Decide a report: accept, rerate (priority and reason), declare, merge (incidentId) or close (closeReason and reason)',
      role: 'responder',
      body: decideReportApiInput,
      omit: ['reportId'],
      success: 200,
    },
    async (c) =>
      c.json({
        decision: await decideReport(deps, v({ ...(await body(c)), reportId: id(c) }), actor(c)),
      }),
  );
  op(
    {
      method: 'get',
      path: '/reports-budget',
      summary: 'P1s this week against the weekly budget, and the last 8 weeks',
      role: 'viewer',
      success: 200,
    },
    async (c) => c.json(await readP1Budget(deps.db, deps.clock.now())),
  );
  op(
    {
      method: 'patch',
      path: '/triage-settings',
      summary: 'Triage timebox minutes (P0, P1), the weekly P1 budget and the final authority',
      role: 'admin',
      body: updateTriageSettingsInput,
      success: 200,
    },
    async (c) => {
      const s = await updateTriageSettings(deps, await body(c), actor(c));
      return c.json({
        settings: {
          triageMinutesP0: s.triageMinutesP0,
          triageMinutesP1: s.triageMinutesP1,
          p1BudgetPerWeek: s.p1BudgetPerWeek,
          finalAuthorityUserId: s.finalAuthorityUserId,
        },
      });
    },
  );
  op(
    {
      method: 'post',
      path: '/users/:id/on-duty',
      summary: 'Mark a user on duty (`onDuty: true`) or off; on duty gets triage reminders',
      role: 'responder',
      body: setOnDutyInput,
      omit: ['userId'],
      success: 200,
    },
    async (c) => c.json(await setOnDuty(deps, v({ ...(await body(c)), userId: id(c) }), actor(c))),
  );
  registerRunbookApi(op, deps, body);
  registerSupportScriptApi(op, deps, body);
  registerDrillApi(op, deps, body);
}

/** Runbooks per component in the admin API (same operation table). */
export function registerRunbookApi(
  op: Op,
  deps: Deps,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  op(
    {
      method: 'get',
      path: '/components/:id/runbook',
      summary:
        'A component’s runbook (Markdown and sanitised HTML), whether it is stale, its history',
      role: 'viewer',
      success: 200,
    },
    async (c) => {
      const found = await readRunbook(deps.db, id(c), deps.clock.now());
      if (!found) throw new NotFoundError(`No component with id ${id(c)}.`);
      return c.json(found);
    },
  );
  op(
    {
      method: 'put',
      path: '/components/:id/runbook',
      summary: 'Write a component’s runbook (Markdown); saving counts as reviewing it',
      role: 'responder',
      body: saveRunbookInput,
      omit: ['componentId'],
      success: 200,
    },
    async (c) =>
      c.json({
        runbook: await saveRunbook(
          deps,
          v({ ...(await body(c)), componentId: id(c) }),
          c.get('actor'),
        ),
      }),
  );
}

/** The incident's support script in the admin API (same operation table). */
export function registerSupportScriptApi(
  op: Op,
  deps: Deps,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  op(
    {
      method: 'get',
      path: '/incidents/:id/support-script',
      summary: 'What support and sales say about the incident (the template until edited)',
      role: 'viewer',
      success: 200,
    },
    async (c) => {
      const found = await readSupportScript(deps.db, id(c), deps.config.publicUrl);
      if (!found) throw new NotFoundError(`No incident with id ${id(c)}.`);
      return c.json({ supportScript: found });
    },
  );
  op(
    {
      method: 'put',
      path: '/incidents/:id/support-script',
      summary: 'Edit the incident’s support script; internal-list emails carry it',
      role: 'responder',
      body: saveSupportScriptInput,
      omit: ['incidentId'],
      success: 200,
    },
    async (c) =>
      c.json({
        supportScript: await saveSupportScript(
          deps,
          v({ ...(await body(c)), incidentId: id(c) }),
          c.get('actor'),
        ),
      }),
  );
}

/** Drills in the admin API (same operation table). */
export function registerDrillApi(
  op: Op,
  deps: Deps,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  op(
    {
      method: 'get',
      path: '/drills',
      summary: 'Scheduled and past drills',
      role: 'viewer',
      success: 200,
    },
    async (c) => c.json({ drills: await readDrills(deps.db) }),
  );
  op(
    {
      method: 'post',
      path: '/drills',
      summary:
        'Schedule a drill: title, scenario, priority, componentIds, participantIds, scheduledFor',
      role: 'admin',
      body: scheduleDrillInput,
      success: 201,
    },
    async (c) =>
      c.json({ drill: await scheduleDrill(deps, v(await body(c)), c.get('actor')) }, 201),
  );
  op(
    {
      method: 'get',
      path: '/drills/:id/scorecard',
      summary:
        'Time to the first update, promises kept, time to the all-clear, against earlier drills',
      role: 'viewer',
      success: 200,
    },
    async (c) => {
      const found = await readDrillScorecard(deps.db, id(c), deps.clock.now());
      if (!found) throw new NotFoundError(`No drill with id ${id(c)}.`);
      return c.json(found);
    },
  );
}
