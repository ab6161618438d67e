import type { ComponentStatus } from '../../../db/schema/enums.ts';

export interface StatusChange {
  newStatus: ComponentStatus;
  changedAt: Date;
}

export interface MeasuredImpact {
  /** Milliseconds spent in each non-operational status within the window. */
  byStatus: Partial<Record<ComponentStatus, number>>;
  /** Milliseconds not operational (maintenance included) within the window. */
  total: number;
}

/**
 * How long a component was not operational between `from` and `to`, measured from its status
 * history (oldest first). The status at `from` is the last change before it, else operational.
 */
export function measureImpact(changes: StatusChange[], from: Date, to: Date): MeasuredImpact {
  const byStatus: Partial<Record<ComponentStatus, number>> = {};
  let status: ComponentStatus = 'operational';
  let at = from.getTime();
  const end = to.getTime();
  const add = (s: ComponentStatus, ms: number) => {
    if (s === 'operational' || ms <= 0) return;
    byStatus[s] = (byStatus[s] ?? 0) + ms;
  };
  for (const c of changes) {
    const t = c.changedAt.getTime();
    if (t <= at) {
      status = c.newStatus;
      continue;
    }
    if (t >= end) break;
    add(status, t - at);
    status = c.newStatus;
    at = t;
  }
  add(status, end - at);
  return { byStatus, total: Object.values(byStatus).reduce((a, b) => a + (b ?? 0), 0) };
}

/** "1 h 25 min", "40 min", "under a minute". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}
