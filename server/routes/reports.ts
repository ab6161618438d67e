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
import { actorOf, type Operation, pathId, op } from './operation.ts';

const stateQuery = z.object({ state: z.enum(reportStates).optional() });
/** The verbs parse their own input strictly; the body is handed on as it came. */

/**
 * Reports and triage in the admin JSON API, declared in the same operation table as the rest of
 * /api/admin (auth, role and the OpenAPI document come from there). The verbs check roles again
 * and write the audit log.
 */
export function reportOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/reports',
        summary:
          'Reports; `state=open` is the triage queue (P0/P1 first, newest first, with the timebox)',
        role: 'viewer',
        query: { state: `one of ${reportStates.join(', ')}` },
        success: 200,
      },
      handler: async (c) => {
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
    },
    {
      meta: {
        method: 'get',
        path: '/reports/:id',
        summary: 'One report with its history, attachment (metadata) and incident',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => {
        const found = await readAdminReport(deps.db, pathId(c), deps.clock.now());
        if (!found) throw new NotFoundError('report', pathId(c));
        return c.json(found);
      },
    },
    op({
      meta: {
        method: 'post',
        path: '/reports/:id/decision',
        summary:
          'Decide a report: accept, rerate (priority and reason), declare, merge (incidentId) or close (closeReason and reason)',
        role: 'responder',
        body: decideReportApiInput,
        omit: ['reportId'],
        success: 200,
      },
      handler: async (c, input) =>
        c.json({
          decision: await decideReport(deps, input, actorOf(c)),
        }),
    }),
    {
      meta: {
        method: 'get',
        path: '/reports-budget',
        summary: 'P1s this week against the weekly budget, and the last 8 weeks',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => c.json(await readP1Budget(deps.db, deps.clock.now())),
    },
    op({
      meta: {
        method: 'patch',
        path: '/triage-settings',
        summary: 'Triage timebox minutes (P0, P1), the weekly P1 budget and the final authority',
        role: 'admin',
        body: updateTriageSettingsInput,
        success: 200,
      },
      handler: async (c, input) => {
        const s = await updateTriageSettings(deps, input, actorOf(c));
        return c.json({
          settings: {
            triageMinutesP0: s.triageMinutesP0,
            triageMinutesP1: s.triageMinutesP1,
            p1BudgetPerWeek: s.p1BudgetPerWeek,
            finalAuthorityUserId: s.finalAuthorityUserId,
          },
        });
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/users/:id/on-duty',
        summary: 'Mark a user on duty (`onDuty: true`) or off; on duty gets triage reminders',
        role: 'responder',
        body: setOnDutyInput,
        omit: ['userId'],
        success: 200,
      },
      handler: async (c, input) => c.json(await setOnDuty(deps, input, actorOf(c))),
    }),
    ...runbookOperations(deps),
    ...supportScriptOperations(deps),
    ...drillOperations(deps),
  ];
}

/** Runbooks per component in the admin API (same operation table). */

export function runbookOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/components/:id/runbook',
        summary:
          'A component’s runbook (Markdown and sanitised HTML), whether it is stale, its history',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => {
        const found = await readRunbook(deps.db, pathId(c), deps.clock.now());
        if (!found) throw new NotFoundError('component', pathId(c));
        return c.json(found);
      },
    },
    op({
      meta: {
        method: 'put',
        path: '/components/:id/runbook',
        // 50,000 characters may be more than the default limit in bytes; the verb names the field.
        maxBodyBytes: 512 * 1024,
        summary: 'Write a component’s runbook (Markdown); saving counts as reviewing it',
        role: 'responder',
        body: saveRunbookInput,
        omit: ['componentId'],
        success: 200,
      },
      handler: async (c, input) =>
        c.json({
          runbook: await saveRunbook(deps, input, actorOf(c)),
        }),
    }),
  ];
}

/** The incident's support script in the admin API (same operation table). */

export function supportScriptOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/incidents/:id/support-script',
        summary: 'What support and sales say about the incident (the template until edited)',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => {
        const found = await readSupportScript(deps.db, pathId(c), deps.config.publicUrl);
        if (!found) throw new NotFoundError('incident', pathId(c));
        return c.json({ supportScript: found });
      },
    },
    op({
      meta: {
        method: 'put',
        path: '/incidents/:id/support-script',
        summary: 'Edit the incident’s support script; internal-list emails carry it',
        role: 'responder',
        body: saveSupportScriptInput,
        omit: ['incidentId'],
        success: 200,
      },
      handler: async (c, input) =>
        c.json({
          supportScript: await saveSupportScript(deps, input, actorOf(c)),
        }),
    }),
  ];
}

/** Drills in the admin API (same operation table). */

export function drillOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/drills',
        summary: 'Scheduled and past drills',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => c.json({ drills: await readDrills(deps.db) }),
    },
    op({
      meta: {
        method: 'post',
        path: '/drills',
        summary:
          'Schedule a drill: title, scenario, priority, componentIds, participantIds, scheduledFor',
        role: 'admin',
        body: scheduleDrillInput,
        success: 201,
      },
      handler: async (c, input) =>
        c.json({ drill: await scheduleDrill(deps, input, actorOf(c)) }, 201),
    }),
    {
      meta: {
        method: 'get',
        path: '/drills/:id/scorecard',
        summary:
          'Time to the first update, promises kept, time to the all-clear, against earlier drills',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => {
        const found = await readDrillScorecard(deps.db, pathId(c), deps.clock.now());
        if (!found) throw new NotFoundError('drill', pathId(c));
        return c.json(found);
      },
    },
  ];
}
