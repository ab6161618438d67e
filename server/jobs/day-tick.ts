import type { Deps } from '../deps.ts';
import { bumpForNewDay, uptimeToday } from '../domain/uptime/new-day.ts';
import { conditionLog } from './condition-log.ts';

/**
 * Once a minute, notices when a new day has begun in the page's time zone and makes the
 * cached pages render again, so the uptime bars roll over even when nothing else is written.
 * Several processes may each bump once: harmless, it only renders the pages again.
 */
export function createDayTick(deps: Pick<Deps, 'db' | 'clock' | 'log'>, everyMs = 60_000) {
  let day: string | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  return {
    /** True when this check started a new day (and bumped the counter). */
    async runOnce(): Promise<boolean> {
      const today = await uptimeToday(deps.db, deps.clock.now());
      if (day === null || day === today) {
        day = today;
        return false;
      }
      day = today;
      await bumpForNewDay(deps.db);
      return true;
    },
    start() {
      const conditions = conditionLog(deps.log, 'day tick');
      void this.runOnce().catch(() => {});
      timer = setInterval(() => {
        this.runOnce().then(
          () => conditions.report('check', null),
          (err: unknown) => conditions.report('check', err),
        );
      }, everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
