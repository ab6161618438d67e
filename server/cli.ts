import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, readEnv } from './config.ts';
import { createDeps, type Deps } from './deps.ts';
import { setLocalPasswords } from './domain/auth/local-passwords.ts';
import type { Actor } from './domain/shared/actor.ts';
import { DomainError, ValidationError } from './domain/shared/errors.ts';
import { createUser } from './domain/users/create-user.ts';
import { findUserByEmail } from './domain/users/read-users.ts';
import { setUserPassword, updateUser } from './domain/users/update-user.ts';
import { importStatuspage } from './importers/statuspage.ts';
import { importUptimeKuma } from './importers/uptime-kuma.ts';
import { importCachet } from './importers/cachet.ts';
import { formatReport, stderrProgress } from './importers/cli-output.ts';
import { operationRows } from './routes/admin-api.ts';
import { runOperation } from './routes/operation.ts';

/** The admin operations that have a CLI command, by command (`token revoke`). */
const rowCommands = new Map(
  operationRows.flatMap((row) => (row.cli ? [[row.cli.command, row] as const] : [])),
);

/** The usage lines of the commands derived from operation rows. */
function rowUsage(): string {
  const indent = ' '.repeat(33);
  return [...rowCommands.values()]
    .map(({ cli }) => {
      const head = `  ${cli!.command}${cli!.args ? ` ${cli!.args}` : ''}`;
      const help = cli!.help.split('\n');
      const first =
        head.length < 31
          ? `${head.padEnd(33)}${help.shift()}`
          : `${head}\n${indent}${help.shift()}`;
      return [first, ...help.map((l) => indent + l)].join('\n');
    })
    .join('\n');
}

const usage = `Usage: npx herald <command>

  user add --email EMAIL --role admin|responder|viewer [--name NAME]
                                 create a user; the password is asked for (hidden) or read
                                 from the first line of stdin, never from the command line
  user reset-password --email EMAIL
                                 set a new password (asked for, or from stdin); signs them out
  user disable --email EMAIL     block a user from signing in (ends their sessions)
  user enable --email EMAIL
  passwords on|off               allow or forbid staff sign-in with local passwords (off needs
                                 single sign-on configured); always works from here
${rowUsage()}
  import statuspage --page-url URL [--api-key KEY --page-id ID [--api-url URL]]
                                 bring a Statuspage page over: components, groups, incidents and
                                 maintenances with every update; with a key also subscribers
                                 (--api-url: the management API, https://api.statuspage.io/v1)
  import uptime-kuma --url URL --slug SLUG
                                 bring an Uptime Kuma status page over: groups, monitors as
                                 components, its incident and maintenance
  import cachet --url URL [--token TOKEN] [--time-zone ZONE]
                                 bring a Cachet 2 or 3 page over; --time-zone: the IANA zone
                                 Cachet writes its times in (its APP_TIMEZONE), default UTC
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
      ...Object.fromEntries(
        [...rowCommands.values()].flatMap(({ cli }) =>
          Object.keys({ ...cli!.flags, ...cli!.optionalFlags }).map((f) => [
            f,
            { type: 'string' as const },
          ]),
        ),
      ),
      'page-url': { type: 'string' },
      'api-key': { type: 'string' },
      'page-id': { type: 'string' },
      'api-url': { type: 'string' },
      url: { type: 'string' },
      slug: { type: 'string' },
      token: { type: 'string' },
      'time-zone': { type: 'string' },
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

  const row = rowCommands.get(`${group ?? ''} ${command ?? ''}`);
  if (row?.cli) {
    const flags = values as Record<string, string | undefined>;
    const raw: Record<string, string> = {};
    for (const [flag, field] of Object.entries(row.cli.flags ?? {}))
      raw[field] = need(flags[flag], flag);
    for (const [flag, field] of Object.entries(row.cli.optionalFlags ?? {}))
      if (flags[flag] !== undefined) raw[field] = flags[flag];
    console.log(row.cli.print(await runOperation(deps, row, raw, actor)));
    return 0;
  }

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
    case 'passwords on':
    case 'passwords off': {
      const r = await setLocalPasswords(deps, { enabled: command === 'on' }, actor, null);
      console.log(
        r.localPasswords
          ? 'Local passwords are on: staff can sign in with a password.'
          : 'Local passwords are off: staff sign in through single sign-on.',
      );
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
        { url: need(values.url, 'url'), token: values.token, timeZone: values['time-zone'] },
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
