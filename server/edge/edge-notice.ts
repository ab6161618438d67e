import type { EdgeStatus } from '../domain/edge/edge-purge-store.ts';

/**
 * The admin's one line about the caching edge, or null while it keeps up: purges an edge
 * refused (4xx: a token, ACL or service id to fix; not retried), or purges still owed to an
 * edge that does not answer (retried until it does).
 */
export function edgeNotice(s: EdgeStatus, now: Date): string | null {
  const parts: string[] = [];
  for (const r of s.rejected) {
    parts.push(
      `${r.error} (${ago(r.at, now)}). Herald does not retry a refused purge: fix the edge's access or EDGE_PURGE_URLS; the next change purges again.`,
    );
  }
  if (s.pending > 0) {
    const n = s.pending === 1 ? '1 change is' : `${s.pending} changes are`;
    const since = s.oldestPendingAt ? `, the oldest ${ago(s.oldestPendingAt, now)}` : '';
    const why = s.lastError ? ` Last error: ${s.lastError}.` : '';
    parts.push(
      `${n} not yet purged from the edge${since}; visitors may see older pages until it answers.${why} Herald keeps retrying.`,
    );
  }
  return parts.length > 0 ? `Edge is behind: ${parts.join(' ')}` : null;
}

function ago(at: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
