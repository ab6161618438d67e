import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerChild } from '../helpers/children.ts';

// Real processes for the edge tests: Debian's varnishd with the repo's VCL, and Herald as
// `node server/main.ts` (as deployed), so a process can really be stopped.

const repo = fileURLToPath(new URL('../../', import.meta.url));
const deployDir = path.join(repo, 'deploy', 'varnish');
export const varnishd = process.env.VARNISHD_PATH ?? '/usr/sbin/varnishd';
const varnishadm = process.env.VARNISHADM_PATH ?? '/usr/bin/varnishadm';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface VarnishProc extends Proc {
  /** Each backend's health as Varnish's probe last judged it (`varnishadm backend.list`). */
  backends(): Promise<Record<string, 'healthy' | 'sick'>>;
}

function track(child: ChildProcess): { output(): string; exited: Promise<void> } {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { output: () => out, exited };
}

async function waitUntil(what: string, check: () => Promise<boolean>, out: () => string) {
  // Generous: a start on a fully loaded 2-core machine has taken over 20 s (the hooks allow 60).
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up:\n${out()}`);
}

/** Herald as deployed: `node server/main.ts` on a loopback port, on the given database. */
export async function startHerald(opts: {
  dbUrl: string;
  dir: string;
  port?: number;
  env?: Record<string, string>;
}): Promise<Proc> {
  const port = opts.port ?? (await freePort());
  const node = path.join(repo, 'node_modules', '.bin', 'node');
  const child = spawn(node, ['server/main.ts'], {
    cwd: repo,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: opts.dbUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: 'https://status.example.com',
      PAGE_NAME: 'Acme',
      LOG_LEVEL: 'error',
      MAIL_OUTBOX_DIR: path.join(opts.dir, `outbox-${port}`),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  const t = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`Herald on ${port}`, async () => (await fetch(`${url}/healthz`)).ok, t.output);
  return {
    url,
    port,
    child,
    output: t.output,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await t.exited;
    },
  };
}

/**
 * varnishd in the foreground with deploy/varnish/herald.vcl, and a herald-backends.vcl of the
 * test's own (the Herald ports, the purgers ACL) found first on vcl_path. Its probe looks every
 * 250 ms rather than an operator's usual seconds: the tests wait for the probe to see a Herald
 * come up or go, and that wait is two probes. Its working dir lives
 * in the test's temp dir; `-j none` because the tests run as root.
 */
export async function startVarnish(opts: {
  dir: string;
  backends: number[];
  port?: number;
  purgers?: string[];
}): Promise<VarnishProc> {
  const port = opts.port ?? (await freePort());
  const vclDir = path.join(opts.dir, `vcl-${port}`);
  mkdirSync(vclDir, { recursive: true });
  const workDir = path.join(vclDir, 'work');
  const backends = opts.backends
    .map(
      (p, i) => `backend herald${i + 1} {
  .host = "127.0.0.1"; .port = "${p}"; .connect_timeout = 1s; .first_byte_timeout = 15s;
  .probe = { .url = "/healthz"; .interval = 250ms; .timeout = 1s; .window = 3; .threshold = 2; .initial = 2; }
}`,
    )
    .join('\n');
  writeFileSync(
    path.join(vclDir, 'herald-backends.vcl'),
    `import directors;
${backends}
sub vcl_init {
  new heralds = directors.round_robin();
${opts.backends.map((_p, i) => `  heralds.add_backend(herald${i + 1});`).join('\n')}
}
acl purgers {
${(opts.purgers ?? ['127.0.0.1']).map((a) => `  "${a}";`).join('\n')}
}
`,
  );
  const child = spawn(
    varnishd,
    [
      '-F',
      '-j',
      'none',
      '-n',
      workDir,
      '-a',
      `127.0.0.1:${port}`,
      '-f',
      path.join(deployDir, 'herald.vcl'),
      '-p',
      `vcl_path=${vclDir}:${deployDir}`,
      '-s',
      'malloc,32m',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  registerChild(child);
  const t = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`varnishd on ${port}`, async () => (await fetch(`${url}/`)).status > 0, t.output);
  return {
    url,
    port,
    child,
    output: t.output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await t.exited;
    },
    async backends() {
      const list = await new Promise<string>((resolve, reject) => {
        const adm = execFile(varnishadm, ['-n', workDir, 'backend.list'], (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        );
        registerChild(adm);
      });
      // "boot.herald1   probe   1/3   sick   <when>": the name's last part and its health.
      const health: Record<string, 'healthy' | 'sick'> = {};
      for (const m of list.matchAll(/^\S*?(herald\d+)\s.*?\b(healthy|sick)\b/gm))
        health[m[1]!] = m[2] as 'healthy' | 'sick';
      return health;
    },
  };
}

/** A raw request from a chosen loopback source address (for the purge ACL). */
export function requestFrom(
  localAddress: string,
  url: string,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Varnish's health probe needs a couple of passes to see a Herald that started after it. */
export async function waitForHealthy(varnish: Proc): Promise<void> {
  await waitUntil(
    'a healthy Herald behind Varnish',
    async () => (await fetch(`${varnish.url}/healthz`)).ok,
    varnish.output,
  );
}

/** A GET that keeps the bytes as sent (fetch would decompress them). */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on('error', reject);
  });
}
