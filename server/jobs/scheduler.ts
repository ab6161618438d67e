import { publishDueUpdates } from '../domain/incidents/publish-due-updates.ts';
import {
  type MaintenanceStep,
  runDueMaintenances,
} from '../domain/maintenance/run-due-maintenances.ts';
import {
  markLatePromises,
  postLapsedHoldingUpdates,
  sendPromiseReminders,
} from '../domain/incidents/run-promises.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { type ReportDuty, runReportDuties } from '../domain/reports/run-report-duties.ts';
import { type RecordJobEvent, runRecordJobs } from '../domain/record/run-record-jobs.ts';
import {
  expireVisitorWebhooks,
  VISITOR_WEBHOOK_PAUSED_DAYS,
} from '../domain/webhooks/expire-visitor-webhooks.ts';
import { pruneSubmissionKeys } from '../domain/submissions/submission-keys.ts';
import type { Logger } from '../logger.ts';
import { conditionLog } from './condition-log.ts';

export interface SchedulerReport {
  published: { updateId: string; incidentId: string; late: boolean; skipped?: string }[];
  reminders: { incidentId: string; sentTo: string | null }[];
  holding: { incidentId: string; updateId: string }[];
  maintenance: MaintenanceStep[];
  reports?: ReportDuty[];
  /** Follow-ups, action item reminders and the look back. */
  record?: RecordJobEvent[];
  /** Visitors' webhooks removed after a month paused. */
  expiredWebhooks?: { webhookId: string; host: string }[];
  errors: { task: string; error: string }[];
}

export interface Scheduler {
  /** One pass over every due item; tests call this after moving the clock. */
  runOnce(): Promise<SchedulerReport>;
  start(): void;
  stop(): Promise<void>;
}

/** Publishing within 5 s of the due time: one pass a second leaves room for a slow pass. */
export const SCHEDULER_INTERVAL_MS = 1000;

/**
 * The in-process loop for everything that happens on the clock: scheduled updates, promise
 * reminders and holding updates, maintenance windows. Every task claims its rows with a
 * conditional UPDATE, so any number of Herald processes can run it on one database. The first
 * pass runs at start-up and catches up on whatever fell due while Herald was down.
 */
export function createScheduler(
  deps: DomainDeps & { log: Logger },
  opts: { intervalMs?: number } = {},
): Scheduler {
  const intervalMs = opts.intervalMs ?? SCHEDULER_INTERVAL_MS;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<unknown> | null = null;
  let stopped = true;
  const conditions = conditionLog(deps.log, 'scheduler');
  let lastExpiry = -Infinity;

  async function task<T>(
    name: string,
    report: SchedulerReport,
    fn: () => Promise<T[]>,
  ): Promise<T[]> {
    try {
      const done = await fn();
      conditions.report(name, null);
      return done;
    } catch (err) {
      // One failing task (say, a locked database) must not stop the others; the next pass retries.
      report.errors.push({ task: name, error: err instanceof Error ? err.message : String(err) });
      conditions.report(name, err);
      return [];
    }
  }

  async function runOnce(): Promise<SchedulerReport> {
    const report: SchedulerReport = {
      published: [],
      reminders: [],
      holding: [],
      maintenance: [],
      errors: [],
    };
    // Scheduled updates first: one due now may be the very update that keeps a promise.
    report.published = await task('publish scheduled updates', report, () =>
      publishDueUpdates(deps),
    );
    report.reminders = await task('promise reminders', report, () => sendPromiseReminders(deps));
    report.holding = await task('automatic holding updates', report, () =>
      postLapsedHoldingUpdates(deps),
    );
    await task('late promises on the public page', report, () => markLatePromises(deps));
    report.maintenance = await task('maintenance windows', report, () => runDueMaintenances(deps));
    report.reports = await task('drills, triage timebox and report followers', report, () =>
      runReportDuties(deps),
    );
    report.record = await task('incident record', report, () => runRecordJobs(deps));
    // A month's deadline needs no second's precision: once a minute.
    const now = deps.clock.now().getTime();
    if (now - lastExpiry >= 60_000) {
      lastExpiry = now;
      report.expiredWebhooks = await task("visitors' paused webhooks", report, () =>
        expireVisitorWebhooks(deps),
      );
      // Used form tokens and Idempotency-Keys older than a day: a claim takes an expired one
      // over anyway, so this only keeps the table small.
      await task('expired submission keys', report, async () => [await pruneSubmissionKeys(deps)]);
    }
    for (const p of report.published) {
      if (p.skipped) deps.log.info('scheduler: skipped a scheduled update', p);
      else
        deps.log.info(
          p.late
            ? 'scheduler: published a scheduled update LATE (Herald was not running at its time)'
            : 'scheduler: published a scheduled update',
          p,
        );
    }
    for (const h of report.holding)
      deps.log.info('scheduler: posted an automatic holding update', h);
    for (const m of report.maintenance) {
      const late = m.late ? ' (late: Herald was not running at its time)' : '';
      deps.log.info(`scheduler: maintenance ${m.step}${late}`, { maintenanceId: m.maintenanceId });
    }
    for (const e of report.record ?? [])
      deps.log.info(`scheduler: ${e.job.replaceAll('_', ' ')}`, e);
    for (const w of report.expiredWebhooks ?? [])
      deps.log.info(
        `scheduler: removed a visitor's webhook at ${w.host}, paused for ${VISITOR_WEBHOOK_PAUSED_DAYS} days`,
        { webhookId: w.webhookId },
      );
    return report;
  }

  function loop() {
    if (stopped) return;
    inFlight = runOnce().finally(() => {
      inFlight = null;
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  }

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (inFlight) await inFlight;
    },
  };
}
