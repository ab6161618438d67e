import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

const schema = z.object({
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a port number from 0 to 65535' })
      .int('must be a whole number')
      .min(0)
      .max(65535, 'must be at most 65535')
      .default(3000),
  ),
  HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(file:|libsql:|https?:|wss?:)/, 'must start with file:, libsql:, http(s): or ws(s):')
      .default('file:./data/herald.db'),
  ),
  DATABASE_AUTH_TOKEN: z.preprocess(emptyToUndefined, z.string().optional()),
  PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({
        protocol: /^https?$/,
        error: 'must be an http(s) URL such as https://status.example.com',
      })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  ),
  PAGE_NAME: z.preprocess(emptyToUndefined, z.string().min(1).max(100).default('Herald')),
  SMTP_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  MAIL_FROM: z.preprocess(emptyToUndefined, z.string().min(3).default('Herald <status@localhost>')),
  MAIL_OUTBOX_DIR: z.preprocess(emptyToUndefined, z.string().default('./data/outbox')),
  SMTP_MAX_CONNECTIONS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(100).default(5),
  ),
  SMTP_RATE_PER_SECOND: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(0)),
  COMPANY_DOMAINS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(
        /^\s*[a-z0-9.-]+(\s*,\s*[a-z0-9.-]+)*\s*$/i,
        'must be comma-separated domains such as example.com,example.org',
      )
      .optional(),
  ),
  SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['silent', 'error', 'info', 'debug']).default('info'),
  ),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).default('false')),
  DATABASE_WRITE_WAIT_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().min(0.1).max(120).default(10),
  ),
  HEALTH_MAX_QUEUE_DELAY_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).default(180),
  ),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  /** Public URL without trailing slash; defaults to http://HOST:PORT. */
  publicUrl: string;
  publicUrlConfigured: boolean;
  pageName: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  mailOutboxDir: string;
  smtpMaxConnections: number;
  smtpRatePerSecond: number;
  /** Domains whose addresses may join internal lists that name no domains of their own. */
  companyDomains: string[];
  secretKey: string | undefined;
  logLevel: 'silent' | 'error' | 'info' | 'debug';
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (login throttling). */
  trustProxy: boolean;
  /** How long a write waits for another process's write lock before answering 503. */
  databaseWriteWaitMs: number;
  /** /healthz answers 503 when a due delivery has waited longer than this. */
  healthMaxQueueDelayMs: number;
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Herald cannot start: fix these settings\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Reads `.env` (when present) under the real environment, which wins. */
export function readEnv(
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

/** The only reader of the environment: validates everything and reports every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.path.join('.')}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`,
      ),
    );
  }
  const e = parsed.data;
  const hostForUrl = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseAuthToken: e.DATABASE_AUTH_TOKEN,
    publicUrl: e.PUBLIC_URL ?? `http://${hostForUrl}:${e.PORT}`,
    publicUrlConfigured: e.PUBLIC_URL !== undefined,
    pageName: e.PAGE_NAME,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    mailOutboxDir: e.MAIL_OUTBOX_DIR,
    smtpMaxConnections: e.SMTP_MAX_CONNECTIONS,
    smtpRatePerSecond: e.SMTP_RATE_PER_SECOND,
    companyDomains: (e.COMPANY_DOMAINS ?? '')
      .split(',')
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
    secretKey: e.SECRET_KEY,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY === 'true' || e.TRUST_PROXY === '1',
    databaseWriteWaitMs: Math.round(e.DATABASE_WRITE_WAIT_SECONDS * 1000),
    healthMaxQueueDelayMs: e.HEALTH_MAX_QUEUE_DELAY_SECONDS * 1000,
  };
}
