import { verb } from '../domain/shared/verb.ts';
import type { Deps } from '../deps.ts';
import { z } from 'zod';
import { decideReport } from '../domain/reports/decide-report.ts';
import {
  readAdminReport,
  readP1Budget,
  readReportQueue,
  readReportsByState,
} from '../domain/reports/report-views.ts';
import { setOnDuty, updateTriageSettings } from '../domain/reports/update-triage-settings.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { reportStates } from '../domain/reports/inputs.ts';
import { readRunbook } from '../domain/runbooks/runbook-views.ts';
import { readDrills, readDrillScorecard } from '../domain/drills/drill-views.ts';
import { scheduleOrStartDrill } from '../domain/drills/schedule-drill.ts';
import { readSupportScript, saveSupportScript } from '../domain/support/support-script.ts';
import { saveRunbook } from '../domain/runbooks/save-runbook.ts';
import { operation } from './operation.ts';

const stateQuery = z.object({ state: z.enum(reportStates).optional() });

/**
 * Reports and triage, runbooks, support scripts and drills. The verbs check roles again and
 * write the audit log.
 */
export const reportOps = {
  list: operation({
    method: 'get',
    path: '/reports',
    summary:
      'Reports; `state=open` is the triage queue (P0/P1 first, newest first, with the timebox)',
    role: 'viewer',
    query: { state: `one of ${reportStates.join(', ')}` },
    verb: verb(stateQuery, async (deps: Deps, { state }) => {
      if (state === 'open') {
        const queue = await readReportQueue(deps.db, deps.clock.now());
        return {
          reports: queue.map((q) => ({
            ...q.report,
            waitedMinutes: Math.floor(q.waitedMs / 60_000),
            decisionDueAt: q.timebox?.dueAt ?? null,
            overdue: q.timebox?.overdue ?? false,
          })),
        };
      }
      return { reports: await readReportsByState(deps.db, state ?? null) };
    }),
    success: 200,
  }),
  read: operation({
    method: 'get',
    path: '/reports/:id',
    summary: 'One report with its history, attachment (metadata) and incident',
    role: 'viewer',
    verb: async (deps, { id }) => {
      const found = await readAdminReport(deps.db, id, deps.clock.now());
      if (!found) throw new NotFoundError('report', id);
      return found;
    },
    success: 200,
  }),
  decide: operation({
    method: 'post',
    path: '/reports/:id/decision',
    summary:
      'Decide a report: accept, rerate (priority and reason), declare, merge (incidentId) or close (closeReason and reason)',
    role: 'responder',
    pathField: 'reportId',
    verb: decideReport,
    answer: (decision) => ({ decision }),
    success: 200,
  }),
  budget: operation({
    method: 'get',
    path: '/reports-budget',
    summary: 'P1s this week against the weekly budget, and the last 8 weeks',
    role: 'viewer',
    verb: (deps) => readP1Budget(deps.db, deps.clock.now()),
    success: 200,
  }),
  triageSettings: operation({
    method: 'patch',
    path: '/triage-settings',
    summary: 'Triage timebox minutes (P0, P1), the weekly P1 budget and the final authority',
    role: 'admin',
    verb: updateTriageSettings,
    answer: (s) => ({
      settings: {
        triageMinutesP0: s.triageMinutesP0,
        triageMinutesP1: s.triageMinutesP1,
        p1BudgetPerWeek: s.p1BudgetPerWeek,
        finalAuthorityUserId: s.finalAuthorityUserId,
      },
    }),
    success: 200,
  }),
  onDuty: operation({
    method: 'post',
    path: '/users/:id/on-duty',
    summary: 'Mark a user on duty (`onDuty: true`) or off; on duty gets triage reminders',
    role: 'responder',
    pathField: 'userId',
    verb: setOnDuty,
    success: 200,
  }),
  runbook: operation({
    method: 'get',
    path: '/components/:id/runbook',
    summary:
      'A component’s runbook (Markdown and sanitised HTML), whether it is stale, its history',
    role: 'viewer',
    verb: async (deps, { id }) => {
      const found = await readRunbook(deps.db, id, deps.clock.now());
      if (!found) throw new NotFoundError('component', id);
      return found;
    },
    success: 200,
  }),
  saveRunbook: operation({
    method: 'put',
    path: '/components/:id/runbook',
    // 50,000 characters may be more than the default limit in bytes; the verb names the field.
    maxBodyBytes: 512 * 1024,
    summary: 'Write a component’s runbook (Markdown); saving counts as reviewing it',
    role: 'responder',
    pathField: 'componentId',
    verb: saveRunbook,
    answer: (runbook) => ({ runbook }),
    success: 200,
  }),
  supportScript: operation({
    method: 'get',
    path: '/incidents/:id/support-script',
    summary: 'What support and sales say about the incident (the template until edited)',
    role: 'viewer',
    verb: async (deps, { id }) => {
      const found = await readSupportScript(deps.db, id, deps.config.publicUrl);
      if (!found) throw new NotFoundError('incident', id);
      return { supportScript: found };
    },
    success: 200,
  }),
  saveSupportScript: operation({
    method: 'put',
    path: '/incidents/:id/support-script',
    summary: 'Edit the incident’s support script; internal-list emails carry it',
    role: 'responder',
    pathField: 'incidentId',
    verb: saveSupportScript,
    answer: (supportScript) => ({ supportScript }),
    success: 200,
  }),
  drills: operation({
    method: 'get',
    path: '/drills',
    summary: 'Scheduled and past drills',
    role: 'viewer',
    verb: async (deps) => ({ drills: await readDrills(deps.db) }),
    success: 200,
  }),
  scheduleDrill: operation({
    method: 'post',
    path: '/drills',
    summary:
      'Schedule a drill: title, scenario, priority, componentIds, participantIds, scheduledFor (omitted: start it now; the answer names its incident)',
    role: 'admin',
    verb: scheduleOrStartDrill,
    answer: (r) => r,
    success: 201,
  }),
  scorecard: operation({
    method: 'get',
    path: '/drills/:id/scorecard',
    summary:
      'Time to the first update, promises kept, time to the all-clear, against earlier drills',
    role: 'viewer',
    verb: async (deps, { id }) => {
      const found = await readDrillScorecard(deps.db, id, deps.clock.now());
      if (!found) throw new NotFoundError('drill', id);
      return found;
    },
    success: 200,
  }),
};

export const reportOperations = Object.values(reportOps);
