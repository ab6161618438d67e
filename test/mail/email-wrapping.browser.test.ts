import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderConfirmation } from '../../emails/confirmation.ts';
import { renderAllClear, renderIncidentUpdate } from '../../emails/incident-update.ts';
import { teamEmail, html } from '../../emails/layout.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';

// A word longer than a phone is wide (a pasted URL, a stack trace, a token) wraps inside its
// block in every email, as a mail client on a 390 px screen shows it: the reader never scrolls
// sideways to read an update.

const long = (label: string) => `${label}${'x'.repeat(240)}`;
const WIDTH = 390;

const incident = {
  pageName: long('Page'),
  listName: long('List'),
  priority: 0,
  impactLabel: 'Major outage',
  title: long('Title'),
  isDrill: false,
  statusLabel: 'Investigating',
  affected: [{ name: long('Component'), status: 'Major outage' }],
  body: `Errors on checkout: ${long('Body')} and more.`,
  internalNote: null,
  nextUpdateBy: '14:30 UTC',
  incidentUrl: 'https://status.example.com/incidents/abc',
  manageUrl: 'https://status.example.com/manage/abc',
  unsubscribeUrl: 'https://status.example.com/unsubscribe/abc',
};

describe('email HTML on a phone', () => {
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(() => browser?.close());

  const emails: [string, string][] = [
    ['a public update', renderIncidentUpdate(incident).html],
    [
      'an internal update with its note',
      renderIncidentUpdate({ ...incident, impactLabel: null, internalNote: long('Note') }).html,
    ],
    ['the all-clear', renderAllClear(incident).html],
    [
      'a confirmation',
      renderConfirmation({
        pageName: long('Page'),
        listName: long('List'),
        confirmUrl: 'https://status.example.com/confirm/abc',
        expiresOn: 'Nov 28, 2026',
      }).html,
    ],
    [
      'a team email',
      teamEmail({
        pageName: long('Page'),
        subject: 'Reminder',
        text: [],
        body: html`<p>${long('Reminder')}</p>`,
      }).html,
    ],
  ];

  for (const [name, body] of emails)
    it(`${name} wraps a 240-character word at ${WIDTH} px, without sideways scrolling`, async () => {
      const page = await browser.newPage({ viewport: { width: WIDTH, height: 800 } });
      await page.setContent(body);
      const widest = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        blocks: Math.max(
          ...[...document.querySelectorAll('p, h1, div')].map(
            (e) => e.getBoundingClientRect().right,
          ),
        ),
      }));
      expect(widest.page).toBeLessThanOrEqual(WIDTH);
      expect(widest.blocks).toBeLessThanOrEqual(WIDTH);
      await page.close();
    });
});
