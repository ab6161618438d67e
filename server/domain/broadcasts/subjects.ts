// Subject lines live apart from the HTML templates so the domain can store a broadcast's
// subject without importing the HTML toolkit.

/** Header-safe text: no CR, LF or other control characters from input, whitespace collapsed. */
export function headerText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export const DRILL_MARK = '[DRILL]';

/** `PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN`, with no CR/LF from the title. */
export function incidentSubject(
  kind: 'update' | 'resolved',
  d: { priority: number; title: string; isDrill: boolean },
): string {
  const what = kind === 'resolved' ? 'ISSUE RESOLVED' : 'ISSUE UPDATE';
  return `${d.isDrill ? `${DRILL_MARK} ` : ''}PRIORITY ${d.priority} ${what}: ${headerText(d.title).toUpperCase()}`;
}
