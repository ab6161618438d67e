import { describe, expect, it } from 'vitest';
import { renderConfirmation } from '../../emails/confirmation.ts';
import { renderWelcome } from '../../emails/welcome.ts';
import { LANGUAGE_TAGS } from '../../server/i18n/languages.ts';

// The confirmation and welcome emails say what was asked for: following one incident reads as
// following it from the subject on, and a sign-up to two lists names them as lists.

const base = {
  pageName: 'Acme',
  confirmUrl: 'https://status.example.com/confirm/abc',
  expiresOn: 'Nov 28, 2026',
};

describe('confirmation wording', () => {
  it('a follow confirmation says it confirms following that incident, in every language', () => {
    const follow = renderConfirmation({
      ...base,
      listName: '“Website is down” updates',
      incident: 'Website is down',
    });
    expect(follow.subject).toBe('Confirm following “Website is down”');
    expect(follow.html).toContain('Confirm following this incident');
    expect(follow.text).toContain(
      'Someone (hopefully you) asked to get every update of “Website is down” from the Acme status page at this address, until it is resolved.',
    );
    expect(follow.html).not.toContain('Confirm subscription');
    for (const lang of LANGUAGE_TAGS) {
      const mail = renderConfirmation({
        ...base,
        listName: 'x',
        incident: 'Website is down',
        lang,
      });
      const list = renderConfirmation({ ...base, listName: 'Customers', lang });
      expect(mail.subject, lang).toContain('Website is down');
      expect(mail.subject, lang).not.toBe(list.subject);
    }
  });

  it('a sign-up to two lists reads "lists" in the confirmation and the welcome', () => {
    const listName = 'Customers and Stakeholders';
    const confirm = renderConfirmation({ ...base, listName, lists: 2 });
    expect(confirm.subject).toBe('Confirm your subscription to Acme status updates');
    expect(confirm.text).toContain('on the Customers and Stakeholders lists at this address.');
    expect(confirm.text).toContain('because you joined the Customers and Stakeholders lists.');
    const welcome = renderWelcome({
      ...base,
      listName,
      lists: 2,
      pageUrl: 'https://status.example.com',
      components: null,
      manageUrl: 'https://status.example.com/manage/abc',
      unsubscribeUrl: 'https://status.example.com/unsubscribe/abc',
    });
    expect(welcome.text).toContain('You are on the Customers and Stakeholders lists.');
    const german = renderConfirmation({
      ...base,
      listName: 'Kunden und Team',
      lists: 2,
      lang: 'de',
    });
    expect(german.text).toContain('aus den Listen Kunden und Team');
    expect(renderConfirmation({ ...base, listName: 'Customers' }).text).toContain(
      'on the Customers list at this address.',
    );
  });
});
