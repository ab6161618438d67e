import { describe, expect, it } from 'vitest';
import { renderActionItemReminder } from '../../emails/action-item-reminder.ts';
import { renderLookBack } from '../../emails/look-back.ts';
import { renderPromiseReminder } from '../../emails/promise-reminder.ts';

// The mails to one person on the team: each part says which status page sent it, last.
describe('emails to the team', () => {
  const figures = {
    from: '2026-09-22',
    to: '2026-11-21',
    incidents: 1,
    byPriority: { '0': 1, '1': 0, '2': 0, '3': 0 },
    promises: { made: 1, kept: 1, broken: 0 },
    medianMinutesToFirstUpdate: 5,
    medianMinutesToAllClear: 60,
    actionItems: { total: 0, done: 0, wontDo: 0, open: 0, overdue: 0 },
    remediationOpen: 0,
  };
  const mails = {
    'promise reminder': renderPromiseReminder({
      pageName: 'Acme & Co',
      incidentTitle: 'Website is down',
      priority: 0,
      isDrill: false,
      dueAt: '14:30 UTC',
      minutesLeft: 5,
      holdingUrl: 'https://status.example.com/admin/incidents/i1/holding',
      incidentUrl: 'https://status.example.com/admin/incidents/i1',
      holdingBody: 'Nothing to update. Still investigating. Next update in 30 minutes.',
    }),
    'action item reminder': renderActionItemReminder({
      pageName: 'Acme & Co',
      reminder: 'overdue',
      title: 'Add an alert on 5xx',
      kind: 'prevent',
      incidentTitle: 'Website is down',
      priority: 0,
      isDrill: false,
      dueAt: 'Nov 22, 14:20 UTC',
      incidentUrl: 'https://status.example.com/admin/incidents/i1',
    }),
    'look back': renderLookBack({
      pageName: 'Acme & Co',
      fromDay: 'Sep 22, 2026',
      toDay: 'Nov 21, 2026',
      figures,
      pageUrl: 'https://status.example.com/admin/look-back',
    }),
  };

  for (const [name, mail] of Object.entries(mails)) {
    it(`the ${name} ends its text with the page it came from, and its HTML with the same, escaped`, () => {
      expect(mail.text.endsWith('\n\n--\nAcme & Co status page (Herald)')).toBe(true);
      expect(mail.html).toContain('Acme &amp; Co status page (Herald)</p>');
      expect(mail.html).toContain(`<title>${mail.subject.replaceAll('&', '&amp;')}</title>`);
    });
  }
});
