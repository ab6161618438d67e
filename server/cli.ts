import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, readEnv } from './config.ts';
import { createDeps, type Deps } from './deps.ts';
import { createApiToken, listApiTokens, revokeApiToken } from './domain/auth/api-tokens.ts';
import type { Actor } from './domain/shared/actor.ts';
import { DomainError, ValidationError } from './domain/shared/errors.ts';
import { createUser } from './domain/users/create-user.ts';
import { findUserByEmail, listUsers } from './domain/users/read-users.ts';
import { setUserPassword, updateUser } from './domain/users/update-user.ts';
import { importStatuspage } from './importers/statuspage.ts';
import { importUptimeKuma } from './importers/uptime-kuma.ts';
import { importCachet } from './importers/cachet.ts';
import { formatReport, stderrProgress } from './importers/cli-output.ts';

const usage = `Usage: npx herald <command>

  user add --email EMAIL --role admin|responder|viewer [--name NAME]
                                 create a user; the password is asked for (hidden) or read
                                 from the first line of stdin, never from the command line
  user list                      list users
  user reset-password --email EMAIL
                                 set a new password (asked for, or from stdin); signs them out
  user disable --email EMAIL     block a user from signing in (ends their sessions)
  user enable --email EMAIL
  token create --name NAME --role admin|responder|viewer|intake
                                 create an API token; it is printed once, only its hash is kept
                                 (intake: posts alerts to /api/intake/*, nothing else)
  token list                     list API tokens (never the secrets)
  token revoke --id ID           revoke an API token
  import statuspage --page-url URL [--api-key KEY --page-id ID [--api-url URL]]
                                 bring a Statuspage page over: components, groups, incidents and
                                 maintenances with every update; with a key also subscribers
                                 (--api-url: the management API, https://api.statuspage.io/v1)
  import uptime-kuma --url URL --slug SLUG
                                 bring an Uptime Kuma status page over: groups, monitors as
                                 components, its incident and maintenance
  import cachet --url URL [--token TOKEN]
                                 bring a Cachet 2 or 3 page over
                                 Imports never email anyone and can run again: what was brought
                                 before is skipped

Settings come from the environment and .env, like the server (DATABASE_URL, ...).`;

function cliActor(): Actor {
  let who = 'unknown';
  try {
    who = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return { type: 'cli', id: null, label: `cli (${who})`, role: 'admin' };
}

/** Reads a line without echoing it (TTY), or the first line of piped stdin. */
async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const first = await pipedLines();
    return first.shift() ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          process.stderr.write('\n');
          reject(new Error('Cancelled.'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

let piped: string[] | null = null;
async function pipedLines(): Promise<string[]> {
  if (piped) return piped;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  piped = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  return piped;
}

async function askNewPassword(): Promise<string> {
  const password = await readSecret('Password (at least 10 characters): ');
  if (process.stdin.isTTY) {
    const again = await readSecret('Password again: ');
    if (again !== password)
      throw new ValidationError('The two passwords differ.', {
        password: 'the two passwords differ',
      });
  }
  return password;
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new ValidationError(`--${flag} is required.`, { [flag]: 'is required' });
  return value;
}

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const keys = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v instanceof Date
      ? v.toISOString().slice(0, 16).replace('T', ' ')
      : v === null || v === undefined
        ? '-'
        : String(v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => cell(r[k]))))].join('\n');
}

async function run(deps: Deps, argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      password: { type: 'string' },
      'page-url': { type: 'string' },
      'api-key': { type: 'string' },
      'page-id': { type: 'string' },
      'api-url': { type: 'string' },
      url: { type: 'string' },
      slug: { type: 'string' },
      token: { type: 'string' },
    },
    allowPositionals: false,
  });
  if (values.password !== undefined) {
    throw new ValidationError(
      'Passwords are never taken from the command line (they end up in shell history); type it at the prompt or pipe it on stdin.',
      { password: 'not allowed on the command line' },
    );
  }
  const actor = cliActor();
  const byEmail = async (email: string) => {
    const u = await findUserByEmail(deps, email);
    if (!u)
      throw new ValidationError(`No user with the email ${email}.`, { email: 'no such user' });
    return u;
  };

  switch (`${group ?? ''} ${command ?? ''}`) {
    case 'user add': {
      const email = need(values.email, 'email');
      const role = need(values.role, 'role') as 'admin' | 'responder' | 'viewer';
      const password = await askNewPassword();
      const u = await createUser(deps, { email, role, name: values.name ?? '', password }, actor);
      console.log(
        `Created ${u.role} ${u.email} (id ${u.id}). Sign in at ${deps.config.publicUrl}/login`,
      );
      return 0;
    }
    case 'user list': {
      const rows = await listUsers(deps);
      console.log(
        table(
          rows.map((u) => ({
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            disabled: u.disabledAt,
            created: u.createdAt,
          })),
        ),
      );
      return 0;
    }
    case 'user reset-password': {
      const u = await byEmail(need(values.email, 'email'));
      const password = await askNewPassword();
      await setUserPassword(deps, { userId: u.id, password }, actor);
      console.log(`New password set for ${u.email}; their sessions were ended.`);
      return 0;
    }
    case 'user disable':
    case 'user enable': {
      const u = await byEmail(need(values.email, 'email'));
      await updateUser(deps, { userId: u.id, disabled: command === 'disable' }, actor);
      console.log(`${u.email} is ${command === 'disable' ? 'disabled' : 'enabled'}.`);
      return 0;
    }
    case 'token create': {
      const { token, secret } = await createApiToken(
        deps,
        { name: need(values.name, 'name'), role: need(values.role, 'role') as 'admin' },
        actor,
      );
      console.log(
        `Created ${token.role} token "${token.name}" (id ${token.id}). Copy it now; Herald keeps only its hash:\n\n${secret}\n`,
      );
      return 0;
    }
    case 'token list': {
      const rows = await listApiTokens(deps);
      console.log(
        table(
          rows.map((t) => ({
            id: t.id,
            name: t.name,
            role: t.role,
            created: t.createdAt,
            last_used: t.lastUsedAt,
            revoked: t.revokedAt,
          })),
        ),
      );
      return 0;
    }
    case 'token revoke': {
      const t = await revokeApiToken(deps, { tokenId: need(values.id, 'id') }, actor);
      console.log(`Revoked token "${t.name}" (id ${t.id}).`);
      return 0;
    }
    case 'import statuspage': {
      const report = await importStatuspage(
        deps,
        {
          pageUrl: need(values['page-url'], 'page-url'),
          apiKey: values['api-key'],
          pageId: values['page-id'],
          apiUrl: values['api-url'],
        },
        actor,
        stderrProgress(),
      );
      console.log(formatReport(report));
      return 0;
    }
    case 'import uptime-kuma': {
      const report = await importUptimeKuma(
        deps,
        { url: need(values.url, 'url'), slug: need(values.slug, 'slug') },
        actor,
        stderrProgress(),
      );
      console.log(formatReport(report));
      return 0;
    }
    case 'import cachet': {
      const report = await importCachet(
        deps,
        { url: need(values.url, 'url'), token: values.token },
        actor,
        stderrProgress(),
      );
      console.log(formatReport(report));
      return 0;
    }
    default:
      console.error(usage);
      return group === undefined || group === 'help' || group === '--help' ? 0 : 2;
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    console.log(usage);
    return 0;
  }
  let deps: Deps | undefined;
  try {
    const config = loadConfig({ LOG_LEVEL: 'error', ...readEnv() });
    deps = await createDeps(config);
    return await run(deps, argv);
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message);
    else if (err instanceof DomainError) console.error(`herald: ${err.message}`);
    else if (
      err instanceof TypeError &&
      'code' in err &&
      String(err.code).startsWith('ERR_PARSE_ARGS')
    )
      console.error(`herald: ${err.message}\n\n${usage}`);
    else console.error(err instanceof Error ? `herald: ${err.message}` : err);
    return 1;
  } finally {
    await deps?.close();
  }
}

process.exitCode = await main();
