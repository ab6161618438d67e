/** Ready-made messages for the declare and update forms; the holding one is a single click. */
export const HOLDING_UPDATE = 'Nothing to update. Still investigating. Next update in 30 minutes.';
export const ALL_CLEAR = 'This incident has been resolved. Thank you for your patience.';

export const messageTemplates: {
  id: string;
  label: string;
  status: string | null;
  body: string;
}[] = [
  {
    id: 'investigating',
    label: 'Investigating',
    status: 'investigating',
    body: 'We are aware of a problem and are investigating. Next update in 30 minutes.',
  },
  {
    id: 'identified',
    label: 'Cause found',
    status: 'identified',
    body: 'We have found the cause and are working on a fix. Next update in 30 minutes.',
  },
  {
    id: 'monitoring',
    label: 'Fix deployed',
    status: 'monitoring',
    body: 'A fix is in place and we are watching the results. Next update in 30 minutes.',
  },
  { id: 'holding', label: 'Holding update', status: null, body: HOLDING_UPDATE },
];

export const priorityChoices = [
  {
    value: 0,
    label: 'P0',
    meaning: 'Drop everything: the product is down or data is at risk for everyone.',
  },
  { value: 1, label: 'P1', meaning: 'All hands now: a key feature is broken for many customers.' },
  {
    value: 2,
    label: 'P2',
    meaning: 'Fix this week: degraded or broken for some; a workaround exists.',
  },
  { value: 3, label: 'P3', meaning: 'Next sprint: minor or cosmetic; few notice.' },
];
