import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { composeRaw, parseSender } from './mime.ts';
import { createSmtpPool, NotStarted, type SendHooks } from './smtp-pool.ts';
import type { OutgoingMail } from './outgoing-mail.ts';

export interface Mailer {
  readonly kind: 'smtp' | 'files';
  /** For the start-up log: where mail goes, without credentials. */
  readonly description: string;
  /** `hooks`: asked before the message is written, told of a refusal (smtp-pool.ts). */
  send(
    mail: OutgoingMail,
    now: Date,
    hooks?: SendHooks,
  ): Promise<{ messageId: string; response: string }>;
  close(): void;
}

/**
 * Builds the one mail transport of the process: a pool of SMTP connections (smtp-pool.ts) when
 * SMTP_URL is set, otherwise a transport that writes each message as an .eml file a newcomer can open.
 */
export function createMailer(config: Config): Mailer {
  return config.smtpUrl ? createSmtpMailer(config, config.smtpUrl) : createFileMailer(config);
}

function createSmtpMailer(config: Config, url: string): Mailer {
  const pool = createSmtpPool({
    url,
    connections: config.smtpMaxConnections,
    ratePerSecond: config.smtpRatePerSecond,
  });
  const from = parseSender(config.mailFrom);
  const u = new URL(url);
  return {
    kind: 'smtp',
    description: `SMTP ${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''} (pool of ${config.smtpMaxConnections})`,
    async send(mail, now, hooks) {
      const { response } = await pool.send(
        { from: from.address, to: [mail.to] },
        composeRaw(mail, from, now),
        hooks,
      );
      return { messageId: mail.messageId, response };
    },
    close: () => pool.close(),
  };
}

function createFileMailer(config: Config): Mailer {
  const dir = path.resolve(config.mailOutboxDir);
  mkdirSync(dir, { recursive: true });
  const from = parseSender(config.mailFrom);
  return {
    kind: 'files',
    description: `.eml file in ${dir}`,
    async send(mail, now, hooks) {
      if (hooks?.mayStart && !hooks.mayStart()) throw new NotStarted();
      // The Message-ID is unique per delivery, so a resend after a crash overwrites, not doubles.
      const name = `${mail.messageId.replace(/[^A-Za-z0-9.@-]+/g, '').replace(/@/g, '_')}.eml`;
      const file = path.join(dir, name);
      await writeFile(file, composeRaw(mail, from, now));
      return { messageId: mail.messageId, response: `written to ${file}` };
    },
    close() {},
  };
}
