import { headerText } from '../shared/subjects.ts';

// Subjects of the team's report alerts (English, like the admin), and a report's own words as
// part of a subject; the reporter's subjects are catalogue messages. Reports' own text is the
// reporter's: headerText keeps CR/LF out of the header, and it is cut short so a long answer
// never becomes a subject.

const short = (s: string, n = 60) => {
  const t = headerText(s);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

export const reportSubjects = {
  /** A reporter's answer as a subject's part: one line, cut short. */
  short: (what: string) => short(what),
  alert: (prefix: string, priority: number, what: string) =>
    `${prefix} P${priority} REPORT: ${short(what).toUpperCase()}`,
};
