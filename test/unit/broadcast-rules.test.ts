import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAllClear, renderIncidentUpdate } from '../../emails/incident-update.ts';
import { incidentSubject } from '../../server/domain/shared/subjects.ts';
import { addressOnDomains, effectiveDomains } from '../../server/domain/lists/list-rules.ts';
import { RateLimitedError, ForbiddenError } from '../../server/domain/shared/errors.ts';
import { RateLimiter } from '../../server/http/rate-limit.ts';
import { assertSameOrigin } from '../../server/http/same-origin.ts';
import { classifySmtpError } from '../../server/delivery/email-channel.ts';
import { createTestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

const data = {
  pageName: 'Acme',
  listName: 'Customers',
  priority: 0,
  impactLabel: null,
  title: 'Website is down',
  isDrill: false,
  statusLabel: 'Investigating',
  affected: [{ name: 'Website', status: 'Major outage' }],
  body: 'Line one\nLine <two>',
  internalNote: null,
  nextUpdateBy: '14:30 UTC',
  incidentUrl: 'https://status.example.com/incidents/abc',
  manageUrl: 'https://status.example.com/manage/tok',
  unsubscribeUrl: 'https://status.example.com/unsubscribe/tok',
};

describe('incident emails', () => {
  it('subject is PRIORITY n ISSUE UPDATE: TITLE IN CAPITALS, without CR/LF', () => {
    expect(
      incidentSubject('update', { priority: 0, title: 'Website is down', isDrill: false }),
    ).toBe('PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN');
    expect(
      incidentSubject('update', { priority: 1, title: 'a\r\nBcc: x@y\u2028z', isDrill: true }),
    ).toBe('[DRILL] PRIORITY 1 ISSUE UPDATE: A BCC: X@Y Z');
  });

  it('renders text and HTML with status, affected components, update, next update and links, escaped', () => {
    const m = renderIncidentUpdate(data);
    for (const part of [m.text, m.html]) {
      expect(part).toContain('Investigating');
      expect(part).toContain('Website');
      expect(part).toContain('Next update by 14:30 UTC.');
      expect(part).toContain('https://status.example.com/incidents/abc');
      expect(part).toContain('https://status.example.com/unsubscribe/tok');
      expect(part).toContain('https://status.example.com/manage/tok');
    }
    expect(m.html).toContain('Line one<br />Line &lt;two&gt;');
    expect(m.html).not.toContain('INTERNAL');
  });

  it('marks drills in subject and body, and the all-clear thanks people', () => {
    const drill = renderIncidentUpdate({ ...data, isDrill: true });
    expect(drill.subject.startsWith('[DRILL] ')).toBe(true);
    expect(drill.text).toContain('THIS IS A DRILL');
    expect(drill.html).toContain('THIS IS A DRILL');
    const clear = renderAllClear(data);
    expect(clear.subject).toBe('PRIORITY 0 ISSUE RESOLVED: WEBSITE IS DOWN');
    expect(clear.text).toContain('Thank you for your patience');
    expect(clear.text).not.toContain('Next update');
  });
});

describe('list rules', () => {
  it('an internal list with no domains of its own follows the company domains, subdomains included', () => {
    const internal = { allowedDomains: '', isInternal: true };
    expect(addressOnDomains('a@acme.com', effectiveDomains(internal, ['acme.com']))).toBe(true);
    expect(addressOnDomains('a@eu.acme.com', effectiveDomains(internal, ['acme.com']))).toBe(true);
    expect(addressOnDomains('a@notacme.com', effectiveDomains(internal, ['acme.com']))).toBe(false);
    expect(addressOnDomains('a@acme.com', effectiveDomains(internal, []))).toBe(false);
    expect(
      addressOnDomains(
        'a@anything.org',
        effectiveDomains({ allowedDomains: '', isInternal: false }, []),
      ),
    ).toBe(true);
  });
});

describe('public form guards', () => {
  const allowed = ['https://status.example.com'];
  const h = (o: Record<string, string>) => new Headers(o);
  it('accepts same-origin posts and non-browser clients, refuses other sites', () => {
    expect(() => assertSameOrigin(h({ 'sec-fetch-site': 'same-origin' }), allowed)).not.toThrow();
    expect(() =>
      assertSameOrigin(h({ origin: 'https://status.example.com' }), allowed),
    ).not.toThrow();
    expect(() => assertSameOrigin(h({}), allowed)).not.toThrow();
    expect(() =>
      assertSameOrigin(h({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' }), allowed),
    ).toThrow(ForbiddenError);
    expect(() => assertSameOrigin(h({ origin: 'https://evil.test' }), allowed)).toThrow(
      ForbiddenError,
    );
    expect(() =>
      assertSameOrigin(h({ 'sec-fetch-site': 'same-site', origin: 'null' }), allowed),
    ).toThrow(ForbiddenError);
  });

  it('limits requests per client in a sliding window', () => {
    const limiter = new RateLimiter(2, 60_000);
    const t0 = new Date('2026-11-21T12:00:00Z');
    limiter.hit('1.2.3.4', t0);
    limiter.hit('1.2.3.4', t0);
    expect(() => limiter.hit('1.2.3.4', t0)).toThrow(RateLimitedError);
    limiter.hit('5.6.7.8', t0);
    limiter.hit('1.2.3.4', new Date(t0.getTime() + 60_001));
  });
});

describe('SMTP error classification', () => {
  it('treats 5xx as permanent, 4xx and network errors as temporary', () => {
    expect(classifySmtpError({ responseCode: 550, response: '550 no such user' })).toEqual({
      permanent: true,
      error: '550 no such user',
    });
    expect(classifySmtpError({ responseCode: 421, response: '421 busy' }).permanent).toBe(false);
    expect(
      classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }))
        .permanent,
    ).toBe(false);
  });
});

describe('mail without SMTP_URL', () => {
  it('writes each email as an .eml file under MAIL_OUTBOX_DIR', async () => {
    const t = await createTestContext();
    try {
      expect(t.deps.mailer.kind).toBe('files');
      await makeConfirmedSubscriber(t.deps, 'eml@example.org');
      await makeIncident(t.deps, { priority: 0, title: 'Written to disk' });
      await testWorker(t).drain();
      const dir = path.join(t.dir, 'outbox');
      expect(existsSync(dir)).toBe(true);
      const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(1);
      const raw = readFileSync(path.join(dir, files[0]!), 'utf8');
      expect(raw).toContain('Subject: Major outage: Written to disk');
      expect(raw).toContain('To: eml@example.org');
      expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    } finally {
      await t.close();
    }
  });
});

describe('MIME source', () => {
  it('round-trips non-ASCII subjects and bodies, long lines and a body that contains the boundary', async () => {
    const { composeRaw, parseSender } = await import('../../server/mail/mime.ts');
    const PostalMime = (await import('postal-mime')).default;
    const from = parseSender('Statüs Herald <status@example.com>');
    const long = 'x'.repeat(1500);
    const raw = composeRaw(
      {
        to: 'a@example.org',
        subject: 'PRIORITY 0 ISSUE UPDATE: STÖRUNG BEIM LOGIN',
        text: `Grüße\n----=_Herald_Alternative\n${long}`,
        html: '<p>café</p>',
        messageId: '<abc@example.com>',
        list: {
          id: 'customers.example.com',
          name: 'Acme "Customers"',
          unsubscribeUrl: 'https://example.com/unsubscribe/t>\r\nX-Evil: 1',
        },
      },
      from,
      new Date('2026-11-21T12:00:00Z'),
    );
    expect(raw.split('\r\n').every((l) => l.length <= 998)).toBe(true);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.subject).toBe('PRIORITY 0 ISSUE UPDATE: STÖRUNG BEIM LOGIN');
    expect(parsed.from).toMatchObject({ name: 'Statüs Herald', address: 'status@example.com' });
    expect(parsed.text?.trimEnd()).toBe(`Grüße\n----=_Herald_Alternative\n${long}`);
    expect(parsed.html?.trimEnd()).toBe('<p>café</p>');
    expect(parsed.messageId).toBe('<abc@example.com>');
    expect(parsed.headers.find((h) => h.key === 'x-evil')).toBeUndefined();
    expect(parsed.headers.find((h) => h.key === 'list-unsubscribe')?.value).toBe(
      '<https://example.com/unsubscribe/tX-Evil:1>',
    );
  });
});
