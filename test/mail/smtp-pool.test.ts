import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { classifySmtpError } from '../../server/delivery/email-channel.ts';
import type { OutgoingMail } from '../../server/mail/outgoing-mail.ts';
import { createMailer, type Mailer } from '../../server/mail/transport.ts';
import { createSmtpPool } from '../../server/mail/smtp-pool.ts';
import { startTcpGate } from '../helpers/tcp-gate.ts';

// Herald's SMTP pool (server/mail/smtp-pool.ts) as SMTP_URL configures it, against real relays
// (smtp-server in this process) that count sessions, ask for a login, drop idle connections
// and refuse recipients.

interface Relay {
  url: string;
  /** Sessions opened in all, and the most open at once. */
  sessions: { total: number; open: number; most: number };
  /** Recipients of accepted messages, in order, and when each MAIL FROM arrived. */
  delivered: string[];
  mailFromAt: number[];
  users: string[];
  /** Per MAIL FROM: whether the session was encrypted then. */
  secure: boolean[];
  /** How long a session may idle before the relay says "421 Timeout" and closes it, from now on. */
  idleTimeout(ms: number): void;
  close(): Promise<void>;
}

const relays: Relay[] = [];
const mailers: Mailer[] = [];
afterEach(async () => {
  for (const m of mailers.splice(0)) m.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function startRelay(options: Partial<SMTPServerOptions> = {}): Promise<Relay> {
  const sessions = { total: 0, open: 0, most: 0 };
  const delivered: string[] = [];
  const mailFromAt: number[] = [];
  const users: string[] = [];
  const secure: boolean[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      sessions.total++;
      sessions.most = Math.max(sessions.most, ++sessions.open);
      callback();
    },
    onClose() {
      sessions.open--;
    },
    onMailFrom(_address, session, callback) {
      mailFromAt.push(performance.now());
      secure.push(session.secure);
      if (session.user) users.push(String(session.user));
      callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        delivered.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  const relay: Relay = {
    url: `smtp://127.0.0.1:${port}`,
    sessions,
    delivered,
    mailFromAt,
    users,
    secure,
    // Read by smtp-server as each session opens.
    idleTimeout: (ms) => void (server.options.socketTimeout = ms),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  relays.push(relay);
  return relay;
}

function mailerFor(url: string, env: Record<string, string> = {}): Mailer {
  const mailer = createMailer(
    loadConfig({ SMTP_URL: url, MAIL_FROM: 'Acme Status <status@example.com>', ...env }),
  );
  mailers.push(mailer);
  return mailer;
}

const mail = (to: string): OutgoingMail => ({
  to,
  subject: 'PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN',
  text: 'We are investigating errors on the website.',
  html: '<p>We are investigating errors on the website.</p>',
  messageId: `<${to.replace('@', '.')}@status.example.com>`,
});

/** A relay that refuses recipients whose address starts with `prefix`, with this reply. */
const refusing = (prefix: string, responseCode: number, message: string) => ({
  onRcptTo(
    address: { address: string },
    _session: unknown,
    callback: (err?: Error | null) => void,
  ) {
    if (address.address.startsWith(prefix))
      return callback(Object.assign(new Error(message), { responseCode }));
    callback();
  },
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: unknown) => err,
  );

describe('the SMTP pool behind SMTP_URL', () => {
  it('keeps at most SMTP_MAX_CONNECTIONS sessions open and sends each message once over them', async () => {
    const relay = await startRelay();
    const mailer = mailerFor(relay.url, { SMTP_MAX_CONNECTIONS: '3' });
    const to = Array.from({ length: 40 }, (_, i) => `reader${i}@example.net`);
    const answers = await Promise.all(to.map((a) => mailer.send(mail(a), new Date())));

    expect(answers.every((a) => /^250/.test(a.response))).toBe(true);
    expect([...relay.delivered].sort()).toEqual([...to].sort());
    expect(relay.sessions.most).toBeLessThanOrEqual(3);
    // The connections are kept and reused, not opened per message.
    expect(relay.sessions.total).toBeLessThanOrEqual(3);
  });

  it('logs in with the user and password in SMTP_URL; a wrong password fails with the relay’s answer', async () => {
    const relay = await startRelay({
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'herald' && auth.password === 's3cret p@ss')
          return callback(null, { user: auth.username });
        return callback(
          Object.assign(new Error('Invalid username or password'), { responseCode: 535 }),
        );
      },
    });
    const u = new URL(relay.url);
    u.username = 'herald';
    u.password = encodeURIComponent('s3cret p@ss');
    await mailerFor(u.href).send(mail('reader@example.net'), new Date());
    expect(relay.delivered).toEqual(['reader@example.net']);
    expect(relay.users).toEqual(['herald']);

    u.password = 'wrong';
    const err = await failureOf(mailerFor(u.href).send(mail('other@example.net'), new Date()));
    expect(String(err)).toMatch(/535 Invalid username or password/);
    expect(relay.delivered).toEqual(['reader@example.net']);
    // Every message would meet it until the password is fixed: the relay's refusal for now (the
    // queue waits), not this message's for good.
    expect(classifySmtpError(err)).toEqual({
      permanent: false,
      error: expect.stringMatching(/^535 Invalid username or password/),
    });
  });

  it('sends the next message over a new connection after the relay dropped an idle one', async () => {
    // smtp-server answers "421 Timeout" and closes a session idle for socketTimeout.
    const relay = await startRelay({ socketTimeout: 300 });
    const mailer = mailerFor(relay.url, { SMTP_MAX_CONNECTIONS: '1' });
    await mailer.send(mail('first@example.net'), new Date());
    await expect.poll(() => relay.sessions.open, { timeout: 10_000 }).toBe(0);
    // The new session is not dropped while a busy machine gets round to its greeting.
    relay.idleTimeout(60_000);

    await mailer.send(mail('second@example.net'), new Date());
    expect(relay.delivered).toEqual(['first@example.net', 'second@example.net']);
    expect(relay.sessions.total).toBe(2);
  });

  it('after a refused recipient the next message still goes through on the same connection', async () => {
    const relay = await startRelay(refusing('gone', 550, '5.1.1 No such user'));
    const mailer = mailerFor(relay.url, { SMTP_MAX_CONNECTIONS: '1' });
    const err = await failureOf(mailer.send(mail('gone@example.net'), new Date()));
    // Permanent: the outbox marks this delivery failed with the relay's words.
    expect(classifySmtpError(err)).toEqual({
      permanent: true,
      error: expect.stringMatching(/^550 5\.1\.1 No such user/),
    });

    await mailer.send(mail('here@example.net'), new Date());
    expect(relay.delivered).toEqual(['here@example.net']);
    expect(relay.sessions.total).toBe(1);
  });

  it('a relay that goes away while the session is reset after a refusal fails that send, and the next goes over a new connection', async () => {
    const relay = await startRelay(refusing('busy', 451, '4.3.2 try again later'));
    // The relay is cut off just as the pool resets the session after the 451 (RSET): the
    // reset is never answered. Found in CI, where a relay outage began at that moment and the
    // send never settled, holding its connection slot (and the broadcast) for good.
    let cut = 0;
    const gate = await startTcpGate(Number(new URL(relay.url).port), {
      cutWhen(chunk) {
        const rset = /^RSET\r\n/m.test(chunk);
        if (rset) cut++;
        return rset;
      },
    });
    try {
      const mailer = mailerFor(`smtp://127.0.0.1:${gate.port}`, { SMTP_MAX_CONNECTIONS: '1' });
      const err = await failureOf(mailer.send(mail('busy@example.net'), new Date()));
      expect(classifySmtpError(err)).toEqual({
        permanent: false,
        error: expect.stringMatching(/^451 4\.3\.2 try again later/),
      });
      expect(cut).toBe(1);

      await mailer.send(mail('here@example.net'), new Date());
      expect(relay.delivered).toEqual(['here@example.net']);
      expect(relay.sessions.total).toBe(2);
    } finally {
      await gate.close();
    }
  });

  it('a relay that stops answering fails the send as temporary after the socketTimeout SMTP_URL gives', async () => {
    const relay = await startRelay({
      // Takes the connection and the greeting, then never answers MAIL FROM.
      onMailFrom() {},
    });
    const err = await failureOf(
      mailerFor(`${relay.url}?socketTimeout=300`).send(mail('reader@example.net'), new Date()),
    );
    expect(classifySmtpError(err)).toEqual({
      permanent: false,
      error: expect.stringMatching(/timeout/i),
    });
    expect(relay.delivered).toEqual([]);
  });

  it('starts no more messages in a second than SMTP_RATE_PER_SECOND allows', async () => {
    const relay = await startRelay();
    // The limit as the mailer is configured with it, read from the setting ...
    const config = loadConfig({
      SMTP_URL: relay.url,
      MAIL_FROM: 'Acme Status <status@example.com>',
      SMTP_RATE_PER_SECOND: '5',
    });
    expect(config.smtpRatePerSecond).toBe(5);
    // ... and the pool under it, telling when it let each message through (its own clock, not
    // the relay's: a busy machine can only make the relay see them later).
    const startedAt: number[] = [];
    const pool = createSmtpPool({
      url: relay.url,
      connections: 3,
      ratePerSecond: config.smtpRatePerSecond,
      onStart: (at) => startedAt.push(at),
    });
    try {
      const to = Array.from({ length: 12 }, (_, i) => `reader${i}@example.net`);
      await Promise.all(
        to.map((a) =>
          pool.send({ from: 'status@example.com', to: [a] }, `To: ${a}\r\n\r\nDown.\r\n`),
        ),
      );
    } finally {
      pool.close();
    }
    expect(relay.delivered).toHaveLength(12);
    expect(relay.mailFromAt).toHaveLength(12);
    expect(startedAt).toHaveLength(12);
    // Any six consecutive starts span at least a second: at most five in any second.
    for (let i = 5; i < startedAt.length; i++)
      expect(startedAt[i]! - startedAt[i - 5]!).toBeGreaterThanOrEqual(1000);
  });

  it('a relay that refuses connections fails the send as temporary, saying so', async () => {
    const relay = await startRelay();
    await relay.close();
    relays.splice(relays.indexOf(relay), 1);
    const err = await failureOf(mailerFor(relay.url).send(mail('reader@example.net'), new Date()));
    expect(classifySmtpError(err)).toEqual({
      permanent: false,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('upgrades with STARTTLS when the relay offers it, and refuses a certificate it cannot verify unless SMTP_URL says so', async () => {
    // smtp-server's own certificate, which no client can verify.
    const relay = await startRelay({ disabledCommands: ['AUTH'] });
    const err = await failureOf(mailerFor(relay.url).send(mail('first@example.net'), new Date()));
    // (It has expired by now, and is self-signed: either way not to be trusted.)
    expect(String(err)).toMatch(/certificate/i);
    expect(relay.delivered).toEqual([]);

    await mailerFor(`${relay.url}?tls.rejectUnauthorized=false`).send(
      mail('second@example.net'),
      new Date(),
    );
    expect(relay.delivered).toEqual(['second@example.net']);
    expect(relay.secure).toEqual([true]);
  });

  it('speaks TLS from the first byte to an smtps:// relay', async () => {
    const relay = await startRelay({ secure: true, disabledCommands: ['AUTH'] });
    const url = relay.url.replace('smtp://', 'smtps://');
    await mailerFor(`${url}?tls.rejectUnauthorized=false`).send(
      mail('reader@example.net'),
      new Date(),
    );
    expect(relay.delivered).toEqual(['reader@example.net']);
    expect(relay.secure).toEqual([true]);
  });
});
