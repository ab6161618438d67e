import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { composeRaw, parseSender } from '../../server/mail/mime.ts';
import type { OutgoingMail, SharedCopy } from '../../server/mail/outgoing-mail.ts';

// A broadcast copy is rendered once per list and language and the transport splices each
// recipient's token into its encoded source: the bytes must be exactly those of composing the
// recipient's message whole, whatever the copy's encoding and wherever its lines break.

const from = parseSender('"Status" <status@example.com>');
const date = new Date('2026-12-06T14:00:00Z');
const standIn = `herald${'ab12'.repeat(8)}token`;

function copyOf(text: string, html: string, subject = 'PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN') {
  const copy: SharedCopy = {
    subject,
    text,
    html,
    list: {
      id: 'customers.status.example.com',
      name: 'Status Customers',
      unsubscribeUrl: `https://status.example.com/unsubscribe/${standIn}`,
    },
    standIn,
  };
  return copy;
}

function recipient(copy: SharedCopy, i: number, token: string): OutgoingMail {
  const fill = (s: string) => s.replaceAll(standIn, token);
  return {
    to: `reader${i}@example.net`,
    subject: copy.subject,
    text: fill(copy.text),
    html: fill(copy.html),
    messageId: `<b1.s${i}@status.example.com>`,
    list: { ...copy.list!, unsubscribeUrl: `https://status.example.com/unsubscribe/${token}` },
    shared: { copy, token },
  };
}

function expectSameBytes(copy: SharedCopy, tokens = 200) {
  for (let i = 0; i < tokens; i++) {
    const mail = recipient(copy, i, randomBytes(32).toString('base64url'));
    const { shared: _, ...whole } = mail;
    expect(composeRaw(mail, from, date)).toBe(composeRaw(whole, from, date));
  }
}

const links = (t: string) =>
  `Manage: https://status.example.com/manage/${t}\nLeave: https://status.example.com/unsubscribe/${t}`;

describe('a broadcast copy shared by its recipients', () => {
  it('gives each recipient the same bytes as composing their message whole (plain ASCII, 7bit)', () => {
    const copy = copyOf(
      `\n\nWe are investigating errors on the website.\n\n\n${links(standIn)}\n`,
      `<p>We are investigating.</p><a href="https://status.example.com/manage/${standIn}">Manage</a>`,
    );
    expectSameBytes(copy);
    expect(composeRaw(recipient(copy, 1, 'x'.repeat(43)), from, date)).toContain(
      'Content-Transfer-Encoding: 7bit',
    );
  });

  it('gives the same bytes when the copy is quoted-printable and its lines wrap around tokens', () => {
    // Non-ASCII text and long lines, with the token at every offset of a wrapped line.
    for (let pad = 0; pad < 80; pad += 7) {
      const line = `Störung – ${'é'.repeat(pad)} ${'x'.repeat(pad)}https://status.example.com/manage/${standIn} ${'ü'.repeat(30)}`;
      expectSameBytes(copyOf(`${line}\n${line}`, `<p>${line}</p>`, 'Störung: Website – down'), 20);
    }
  });

  it('gives the same bytes for a copy with no list headers and for one whose subject is long', () => {
    const copy = copyOf(links(standIn), `<p>${links(standIn)}</p>`, 'P0 '.repeat(60));
    delete copy.list;
    for (let i = 0; i < 20; i++) {
      const token = randomBytes(32).toString('base64url');
      const mail = { ...recipient(copy, i, token), list: undefined };
      const { shared: _, ...whole } = mail;
      expect(composeRaw(mail, from, date)).toBe(composeRaw(whole, from, date));
    }
  });

  it('composes whole when a token could not be spliced (another length or characters)', () => {
    const copy = copyOf(links(standIn), `<p>${links(standIn)}</p>`);
    for (const token of ['short', 'a'.repeat(42) + '=', 'a'.repeat(42) + ' ']) {
      const mail = recipient(copy, 1, token);
      const { shared: _, ...whole } = mail;
      expect(composeRaw(mail, from, date)).toBe(composeRaw(whole, from, date));
    }
  });

  it("keeps a message's own unsubscribe link when it is not the copy's with its token", () => {
    const copy = copyOf(links(standIn), `<p>${links(standIn)}</p>`);
    const token = randomBytes(32).toString('base64url');
    const mail = recipient(copy, 1, token);
    mail.list = { ...mail.list!, unsubscribeUrl: `https://other.example.com/leave/${token}` };
    const { shared: _, ...whole } = mail;
    const raw = composeRaw(mail, from, date);
    expect(raw).toBe(composeRaw(whole, from, date));
    expect(raw).toContain(`<https://other.example.com/leave/${token}>`);
  });
});
