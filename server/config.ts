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
  AUDIENCE_HOSTS: z.preprocess(emptyToUndefined, z.string().max(10_000).optional()),
  SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['silent', 'error', 'info', 'debug']).default('info'),
  ),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).default('false')),
  EDGE_PURGE_URLS: z.preprocess(emptyToUndefined, z.string().optional()),
  EDGE_PURGE_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int()
      .min(50)
      .max(30000)
      .default(1000),
  ),
  FASTLY_API_TOKEN: z.preprocess(emptyToUndefined, z.string().min(8).optional()),
  CLOUDFLARE_API_TOKEN: z.preprocess(emptyToUndefined, z.string().min(8).optional()),
  WEBHOOK_ALLOW_PRIVATE: z.preprocess(
    emptyToUndefined,
    z.enum(['true', 'false', '1', '0']).default('false'),
  ),
  PUBLIC_WEBHOOK_SIGNUP: z.preprocess(
    emptyToUndefined,
    z.enum(['true', 'false', '1', '0']).default('false'),
  ),
  LOOK_BACK_DAYS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int('must be a whole number').min(0).max(366).default(60),
  ),
  DATABASE_WRITE_WAIT_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().min(0.1).max(120).default(10),
  ),
  DELIVERY_POLL_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().min(0.01).max(600).optional(),
  ),
  PAGERDUTY_WEBHOOK_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(8, 'must be the secret PagerDuty showed for the subscription').optional(),
  ),
  HEALTH_MAX_QUEUE_DELAY_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).default(180),
  ),
  OIDC_ISSUER_URL: z.preprocess(
    emptyToUndefined,
    z
      .url({
        protocol: /^https?$/,
        error: "must be the provider's issuer URL, such as https://login.example.com/realms/acme",
      })
      .optional(),
  ),
  OIDC_CLIENT_ID: z.preprocess(emptyToUndefined, z.string().min(1).max(500).optional()),
  OIDC_CLIENT_SECRET: z.preprocess(emptyToUndefined, z.string().min(1).max(2000).optional()),
  OIDC_SCOPES: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(
        /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/,
        'must be space-separated scopes',
      )
      .refine((s) => s.split(' ').includes('openid'), 'must include openid')
      .default('openid email profile'),
  ),
  OIDC_ROLE_CLAIM: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_:/.-]{1,200}$/, 'must be a claim name such as groups or roles')
      .default('groups'),
  ),
  OIDC_ROLE_MAP: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(
        /^\s*[^=,\s]+\s*=\s*(admin|responder|viewer)\s*(,\s*[^=,\s]+\s*=\s*(admin|responder|viewer)\s*)*$/,
        'must be comma-separated value=role pairs such as herald-admins=admin,sre=responder',
      )
      .optional(),
  ),
});

/** Staff roles in the order a claim value is matched: the strongest mapped role wins. */
const mappedRoles = ['admin', 'responder', 'viewer'] as const;

/** The company's OpenID Connect provider, when OIDC_ISSUER_URL and its client are set. */
export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Asked for at sign-in; add the scope that releases the group claim where the provider needs one. */
  scopes: string;
  /** The ID token / userinfo claim whose values map to roles (a string or a list of strings). */
  roleClaim: string;
  /** Claim value -> staff role; a sign-in whose values map to none is refused. */
  roleMap: Record<string, (typeof mappedRoles)[number]>;
}

export type EdgeKind = 'varnish' | 'fastly' | 'cloudflare';

/** A caching edge Herald purges after every write (EDGE_PURGE_URLS). */
export interface PurgeTarget {
  kind: EdgeKind;
  /** Where the purge request goes (without any `kind+` prefix). */
  url: string;
}

/**
 * Parses one EDGE_PURGE_URLS entry: `https://api.fastly.com/service/ID/purge` (Fastly),
 * `https://api.cloudflare.com/client/v4/zones/ID/purge_cache` (Cloudflare), any other http(s)
 * URL is a Varnish (PURGE with xkey-purge). A `varnish+`, `fastly+` or `cloudflare+` prefix
 * names the kind outright (an API proxy, a test receiver). Returns the problem as a string.
 */
export function parsePurgeTarget(raw: string): PurgeTarget | string {
  const m = /^(varnish|fastly|cloudflare)\+(.*)$/.exec(raw);
  const rest = m ? m[2]! : raw;
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    return 'is not a URL (write it like http://127.0.0.1:6081/ or https://api.fastly.com/service/ID/purge)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username || url.password)
    return 'must not carry credentials: set FASTLY_API_TOKEN or CLOUDFLARE_API_TOKEN instead';
  const kind: EdgeKind = m
    ? (m[1] as EdgeKind)
    : url.hostname === 'api.fastly.com'
      ? 'fastly'
      : url.hostname === 'api.cloudflare.com'
        ? 'cloudflare'
        : 'varnish';
  if (kind === 'fastly' && !/^\/service\/[A-Za-z0-9]+\/purge\/?$/.test(url.pathname))
    return 'a Fastly purge URL looks like https://api.fastly.com/service/SERVICE_ID/purge';
  if (kind === 'cloudflare' && !/\/zones\/[A-Za-z0-9]+\/purge_cache\/?$/.test(url.pathname))
    return 'a Cloudflare purge URL looks like https://api.cloudflare.com/client/v4/zones/ZONE_ID/purge_cache';
  return { kind, url: url.href };
}

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
  /** Caching edges purged after every write; empty without EDGE_PURGE_URLS. */
  edgePurgeTargets: PurgeTarget[];
  edgePurgeTimeoutMs: number;
  fastlyApiToken: string | undefined;
  cloudflareApiToken: string | undefined;
  /** Let every webhook (also visitors' incident follows) reach loopback and private addresses. */
  webhookAllowPrivate: boolean;
  /** Visitors may add their own webhook from /subscribe (tested before it is saved). */
  publicWebhookSignup: boolean;
  /** Days between the admins' look back at the incident process; 0: never emailed. */
  lookBackDays: number;
  /** How long a write waits for another process's write lock before answering 503. */
  databaseWriteWaitMs: number;
  /**
   * How long the delivery lanes rest between looks for due rows when nothing wakes them (this
   * server's own writes do); undefined: each lane's default (emails 0.1 s, webhooks 0.25 s).
   */
  deliveryPollMs: number | undefined;
  /** /healthz answers 503 when a due delivery has waited longer than this. */
  healthMaxQueueDelayMs: number;
  /** When set, /api/intake/pagerduty refuses events whose X-PagerDuty-Signature does not match. */
  pagerdutyWebhookSecret: string | undefined;
  /**
   * Host names that serve a named audience's page at `/` (host name to audience address). Only
   * a Host header naming one of these exactly picks an audience; nothing else in a request does.
   */
  audienceHosts: ReadonlyMap<string, string>;
  /** Single sign-on for staff and audience readers; null when OIDC_ISSUER_URL is not set. */
  oidc: OidcConfig | null;
};

const hostNamePattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** `status.acme-corp.com=acme-corp, status.eu.example=enterprise-eu`: each problem named. */
export function parseAudienceHosts(raw: string | undefined): {
  hosts: Map<string, string>;
  problems: string[];
} {
  const hosts = new Map<string, string>();
  const problems: string[] = [];
  for (const entry of (raw ?? '').split(/[\s,]+/).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const host = entry.slice(0, eq).toLowerCase();
    const slug = entry.slice(eq + 1);
    const shown = `AUDIENCE_HOSTS entry ${JSON.stringify(entry)}`;
    if (eq < 1) problems.push(`${shown}: must be host=audience, e.g. status.acme.com=acme-corp`);
    else if (!hostNamePattern.test(host))
      problems.push(`${shown}: ${JSON.stringify(host)} is not a host name`);
    else if (!slugPattern.test(slug))
      problems.push(`${shown}: ${JSON.stringify(slug)} is not an audience address`);
    else if (hosts.has(host)) problems.push(`${shown}: ${host} is named twice`);
    else hosts.set(host, slug);
  }
  return { hosts, problems };
}

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

const secretSetting = /(TOKEN|PASS|PASSWORD|SECRET|KEY)$/;

/** The only reader of the environment: validates everything and reports every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        // A secret's value never goes to the log, even a wrong one.
        const shown = secretSetting.test(name) ? '(hidden)' : JSON.stringify(env[name] ?? '');
        return `${i.path.join('.')}=${shown}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  const edgePurgeTargets: PurgeTarget[] = [];
  const edgeProblems: string[] = [];
  for (const raw of (e.EDGE_PURGE_URLS ?? '').split(/[\s,]+/).filter(Boolean)) {
    const t = parsePurgeTarget(raw);
    if (typeof t === 'string')
      edgeProblems.push(`EDGE_PURGE_URLS entry ${JSON.stringify(raw)}: ${t}`);
    else edgePurgeTargets.push(t);
  }
  if (edgePurgeTargets.some((t) => t.kind === 'fastly') && !e.FASTLY_API_TOKEN)
    edgeProblems.push('FASTLY_API_TOKEN: required to purge the Fastly target in EDGE_PURGE_URLS');
  if (edgePurgeTargets.some((t) => t.kind === 'cloudflare') && !e.CLOUDFLARE_API_TOKEN)
    edgeProblems.push(
      'CLOUDFLARE_API_TOKEN: required to purge the Cloudflare target in EDGE_PURGE_URLS',
    );
  const audienceHosts = parseAudienceHosts(e.AUDIENCE_HOSTS);
  edgeProblems.push(...audienceHosts.problems);
  const publicHost = e.PUBLIC_URL ? new URL(e.PUBLIC_URL).hostname.toLowerCase() : null;
  if (publicHost && audienceHosts.hosts.has(publicHost))
    edgeProblems.push(`AUDIENCE_HOSTS: ${publicHost} is the public page's host (PUBLIC_URL)`);
  const oidcSet = [e.OIDC_ISSUER_URL, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET].filter(Boolean);
  if (oidcSet.length > 0 && oidcSet.length < 3)
    edgeProblems.push(
      'OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three for single sign-on, or none',
    );
  const issuer = e.OIDC_ISSUER_URL ? new URL(e.OIDC_ISSUER_URL) : null;
  // Tokens and keys come over this connection; plain http is only for a provider on this machine.
  if (
    issuer?.protocol === 'http:' &&
    !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)
  )
    edgeProblems.push(
      'OIDC_ISSUER_URL: must be https:// (http:// only for a provider on loopback)',
    );
  if (edgeProblems.length > 0) throw new ConfigError(edgeProblems);
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
    edgePurgeTargets,
    edgePurgeTimeoutMs: e.EDGE_PURGE_TIMEOUT_MS,
    fastlyApiToken: e.FASTLY_API_TOKEN,
    cloudflareApiToken: e.CLOUDFLARE_API_TOKEN,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true' || e.WEBHOOK_ALLOW_PRIVATE === '1',
    publicWebhookSignup: e.PUBLIC_WEBHOOK_SIGNUP === 'true' || e.PUBLIC_WEBHOOK_SIGNUP === '1',
    lookBackDays: e.LOOK_BACK_DAYS,
    databaseWriteWaitMs: Math.round(e.DATABASE_WRITE_WAIT_SECONDS * 1000),
    deliveryPollMs:
      e.DELIVERY_POLL_SECONDS === undefined
        ? undefined
        : Math.round(e.DELIVERY_POLL_SECONDS * 1000),
    healthMaxQueueDelayMs: e.HEALTH_MAX_QUEUE_DELAY_SECONDS * 1000,
    pagerdutyWebhookSecret: e.PAGERDUTY_WEBHOOK_SECRET,
    audienceHosts: audienceHosts.hosts,
    oidc:
      e.OIDC_ISSUER_URL && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
        ? {
            issuerUrl: e.OIDC_ISSUER_URL,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: e.OIDC_CLIENT_SECRET,
            scopes: e.OIDC_SCOPES,
            roleClaim: e.OIDC_ROLE_CLAIM,
            roleMap: parseRoleMap(e.OIDC_ROLE_MAP ?? ''),
          }
        : null,
  };
}

function parseRoleMap(raw: string): OidcConfig['roleMap'] {
  const map: OidcConfig['roleMap'] = Object.create(null);
  for (const pair of raw.split(',').filter((p) => p.trim())) {
    const [value, role] = pair.split('=').map((x) => x.trim()) as [string, string];
    const r = mappedRoles.find((m) => m === role);
    if (r) map[value] = r;
  }
  return map;
}
