import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

// npm run bench: Herald (demo data, its own process) against a bare node:http server that
// returns the same bytes, loaded in turn by autocannon with the same duration and connections.
// Reports requests/s and p99 latency per path, and Herald's throughput as a ratio of the bare
// server's. Target: the status page at 70% or more.

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    paths: { type: 'string', default: '/,/api/v2/summary.json,/history.rss' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const paths = values.paths.split(',');
const node = process.execPath;
const root = path.resolve(import.meta.dirname, '..');

function start(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on ([\d.]+):(\d+)/.exec(out);
      if (m) resolve({ child, url: `http://${m[1]}:${m[2]}` });
    });
    child.once('exit', (code) =>
      reject(new Error(`${args.join(' ')} exited with ${code} before listening:\n${out}`)),
    );
  });
}

async function load(url: string, warm = false) {
  const r = await autocannon({ url, connections, duration: warm ? 2 : duration, pipelining: 1 });
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx answers and ${r.errors} errors under load`);
  return { rps: r.requests.average, p99: r.latency.p99, total: r.requests.total };
}

function median<T extends { rps: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  const children: ChildProcess[] = [];
  try {
    const herald = await start(['server/main.ts', '--demo'], {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
      MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
      LOG_LEVEL: 'info',
    });
    children.push(herald.child);
    const routes: Record<string, { body: string; type: string }> = {};
    for (const p of paths) {
      const res = await fetch(herald.url + p);
      if (res.status !== 200) throw new Error(`Herald answered ${res.status} for ${p}`);
      routes[p] = {
        body: Buffer.from(await res.arrayBuffer()).toString('base64'),
        type: res.headers.get('content-type') ?? 'application/octet-stream',
      };
    }
    const routesFile = path.join(dir, 'routes.json');
    writeFileSync(routesFile, JSON.stringify(routes));
    const bare = await start(['bench/bare-server.ts', routesFile], {});
    children.push(bare.child);

    console.log(
      `Herald bench: ${rounds} alternating rounds of ${duration}s per server and path (median kept), ${connections} connections, Node ${process.version}, load generator autocannon`,
    );
    const rows: string[][] = [];
    for (const p of paths) {
      // Warm-up runs (not counted) let both servers JIT-compile their hot paths.
      await load(bare.url + p, true);
      await load(herald.url + p, true);
      // Alternate the two servers for several rounds and keep the median of each: both share
      // two cores with the load generator, so single runs are noisy.
      const bareRuns = [];
      const heraldRuns = [];
      for (let r = 0; r < rounds; r++) {
        bareRuns.push(await load(bare.url + p));
        heraldRuns.push(await load(herald.url + p));
      }
      const bareRun = median(bareRuns);
      const heraldRun = median(heraldRuns);
      const ratio = heraldRun.rps / bareRun.rps;
      rows.push([
        p,
        `${Buffer.from(routes[p]!.body, 'base64').length}`,
        heraldRun.rps.toFixed(0),
        `${heraldRun.p99}`,
        bareRun.rps.toFixed(0),
        `${bareRun.p99}`,
        `${(ratio * 100).toFixed(1)}%`,
      ]);
    }
    const head = [
      'path',
      'bytes',
      'herald req/s',
      'herald p99 ms',
      'bare req/s',
      'bare p99 ms',
      'herald/bare',
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    const home = rows.find((r) => r[0] === '/');
    if (home) console.log(`status page throughput: ${home[6]} of the bare server (target 70%)`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
