import { DRILL_MARK, headerText } from '../shared/subjects.ts';

// Subjects of the report emails, in one place. Reports' own text is the reporter's: headerText
// keeps CR/LF out of the header, and it is cut short so a long answer never becomes a subject.

const short = (s: string, n = 60) => {
  const t = headerText(s);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

export const reportSubjects = {
  /** A reporter's answer as a subject's part: one line, cut short. */
  short: (what: string) => short(what),
  alert: (prefix: string, priority: number, what: string) =>
    `${prefix} P${priority} REPORT: ${short(what).toUpperCase()}`,
  follow: (priority: number, title: string, isDrill: boolean, resolved = false) =>
    `${isDrill ? `${DRILL_MARK} ` : ''}PRIORITY ${priority} ISSUE ${resolved ? 'RESOLVED' : 'UPDATE'}: ${headerText(title).toUpperCase()}`,
  followUp: (title: string) => `Follow-up: ${headerText(title)}`,
};
