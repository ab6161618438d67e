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

/** The internal distribution list's subjects, as the practice has them. */
export const INTERNAL_SUBJECTS = {
  update: 'PRIORITY {priority} ISSUE UPDATE: {TITLE}',
  resolved: 'PRIORITY {priority} ISSUE RESOLVED: {TITLE}',
} as const;
/** Public lists hear impact, never the team's priorities. */
export const PUBLIC_SUBJECTS = {
  update: '{impact}: {title}',
  resolved: 'Resolved: {title}',
} as const;

export const SUBJECT_PLACEHOLDERS = ['priority', 'title', 'TITLE', 'impact', 'status'] as const;

/** The placeholders a subject template names that Herald does not know (an edit must fix them). */
export function unknownPlaceholders(template: string): string[] {
  const known: readonly string[] = SUBJECT_PLACEHOLDERS;
  const unknown = [...template.matchAll(/\{([^{}]*)\}/g)]
    .map((m) => m[1]!)
    .filter((p) => !known.includes(p));
  // A brace left open ("{priority") would reach subscribers as typed.
  const rest = template.replace(/\{[^{}]*\}/g, '');
  return /[{}]/.test(rest) ? [...unknown, rest] : unknown;
}

/**
 * One list's subject for an incident update or all-clear: the list's own template, else its
 * kind's default. Every value goes through headerText, so no CR/LF reaches the header.
 */
export function listSubject(
  kind: 'update' | 'resolved',
  list: { isInternal: boolean; subjectUpdate: string | null; subjectResolved: string | null },
  d: {
    priority: number;
    title: string;
    isDrill: boolean;
    impactLabel: string;
    statusLabel: string;
  },
): string {
  const defaults = list.isInternal ? INTERNAL_SUBJECTS : PUBLIC_SUBJECTS;
  const template =
    (kind === 'resolved' ? list.subjectResolved : list.subjectUpdate) ?? defaults[kind];
  const title = headerText(d.title);
  const values: Record<string, string> = {
    priority: String(d.priority),
    title,
    TITLE: title.toUpperCase(),
    impact: headerText(d.impactLabel),
    status: headerText(d.statusLabel),
  };
  const subject = headerText(template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m));
  return `${d.isDrill ? `${DRILL_MARK} ` : ''}${subject}`;
}
