import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { NODE_ENV, SERVER_FLAGS } from '../server/boot/process-options.ts';
import { loadConfig } from '../server/config.ts';
import { createDeps } from '../server/deps.ts';
import { createApiToken } from '../server/domain/auth/api-tokens.ts';
import {
  freePort,
  rawGet,
  startVarnish,
  varnishd,
  waitForHealthy,
} from '../test/edge/edge-harness.ts';

// npm run bench: Herald (demo data, its own process) against a bare node:http server that
// returns the same bytes (Herald's header lines and body, captured first), loaded in turn by autocannon with the same duration and connections,
// plain and with Accept-Encoding: gzip; then the same paths through Varnish (the repo's VCL)
// in front of Herald. Reports requests/s and p99 latency, Herald's throughput as a ratio of the
// bare server's (target: 90% or more), the same against a bare server sending the bodies with
// only their content headers (what Herald's own headers cost), and how long after a write returns the edge serves it.

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    paths: { type: 'string', default: '/,/api/v2/summary.json,/history.rss' },
    'edge-paths': { type: 'string', default: '/,/api/v2/summary.json' },
    writes: { type: 'string', default: '100' },
  },
});
const edgePaths = values['edge-paths'].split(',').filter(Boolean);
const writes = Number(values.writes);
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

type Coding = 'plain' | 'gzip';
const codingHeaders = (c: Coding): Record<string, string> =>
  c === 'gzip' ? { 'accept-encoding': 'gzip' } : {};

async function load(url: string, warm = false, coding: Coding = 'plain') {
  const r = await autocannon({
    url,
    connections,
    duration: warm ? 2 : duration,
    pipelining: 1,
    headers: codingHeaders(coding),
  });
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx answers and ${r.errors} errors under load`);
  return { rps: r.requests.average, p99: r.latency.p99, total: r.requests.total };
}

function median<T extends { rps: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  const children: ChildProcess[] = [];
  let stopVarnish: (() => Promise<void>) | null = null;
  try {
    const dbUrl = `file:${path.join(dir, 'herald.db')}`;
    const withVarnish = existsSync(varnishd);
    const [heraldPort, varnishPort] = [await freePort(), await freePort()];
    // Varnish first, so the demo seed's purges reach it; its probe sees Herald come up.
    const varnish = withVarnish
      ? await startVarnish({ dir, port: varnishPort, backends: [heraldPort] })
      : null;
    if (varnish) stopVarnish = () => varnish.stop();
    // As `npm run demo` starts it: its V8 flags and environment (server/boot/process-options.ts).
    const herald = await start([...SERVER_FLAGS, 'server/main.ts', '--demo'], {
      ...NODE_ENV,
      PORT: String(heraldPort),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl,
      MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
      LOG_LEVEL: 'info',
      EDGE_PURGE_URLS: withVarnish ? `http://127.0.0.1:${varnishPort}/` : '',
    });
    children.push(herald.child);
    // Each path as Herald answers it, plain and gzip: the body and the header lines.
    type Rep = { body: string; headers: Record<string, string> };
    const routes: Record<string, { plain: Rep; gzip?: Rep }> = {};
    const rep = (r: Awaited<ReturnType<typeof rawGet>>): Rep => ({
      body: r.body.toString('base64'),
      headers: Object.fromEntries(
        Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
    });
    for (const p of paths) {
      const plain = await rawGet(herald.url + p);
      if (plain.status !== 200) throw new Error(`Herald answered ${plain.status} for ${p}`);
      const gz = await rawGet(herald.url + p, { 'accept-encoding': 'gzip' });
      if (gz.headers['content-encoding'] === 'gzip' && !gunzipSync(gz.body).equals(plain.body))
        throw new Error(`Herald's gzip body for ${p} does not decode to its plain body`);
      routes[p] = {
        plain: rep(plain),
        gzip: gz.headers['content-encoding'] === 'gzip' ? rep(gz) : undefined,
      };
    }
    const routesFile = path.join(dir, 'routes.json');
    writeFileSync(routesFile, JSON.stringify(routes));
    // The ceiling: the same response bytes, headers and body, from node:http alone. Beside it,
    // the same bodies with only their content headers, which shows what Herald's headers cost.
    const bare = await start(['bench/bare-server.ts', routesFile], {});
    children.push(bare.child);
    const bodyOnly = await start(['bench/bare-server.ts', routesFile, '--body-only'], {});
    children.push(bodyOnly.child);

    console.log(
      `Herald bench: ${rounds} alternating rounds of ${duration}s per server, path and coding (median kept), ${connections} connections, Node ${process.version}, load generator autocannon`,
    );
    const rows: string[][] = [];
    const ratios: { path: string; coding: Coding; ratio: number }[] = [];
    for (const p of paths) {
      for (const coding of ['plain', 'gzip'] as Coding[]) {
        const bytes = (coding === 'gzip' && routes[p]!.gzip ? routes[p]!.gzip! : routes[p]!.plain)
          .body;
        // Warm-up runs (not counted) let both servers JIT-compile their hot paths.
        await load(bare.url + p, true, coding);
        await load(bodyOnly.url + p, true, coding);
        await load(herald.url + p, true, coding);
        // Alternate the two servers for several rounds and keep the median of each: both share
        // two cores with the load generator, so single runs are noisy.
        const bareRuns = [];
        const bodyOnlyRuns = [];
        const heraldRuns = [];
        for (let r = 0; r < rounds; r++) {
          bareRuns.push(await load(bare.url + p, false, coding));
          heraldRuns.push(await load(herald.url + p, false, coding));
          bodyOnlyRuns.push(await load(bodyOnly.url + p, false, coding));
        }
        const bareRun = median(bareRuns);
        const bodyOnlyRun = median(bodyOnlyRuns);
        const heraldRun = median(heraldRuns);
        const ratio = heraldRun.rps / bareRun.rps;
        ratios.push({ path: p, coding, ratio });
        rows.push([
          p,
          coding,
          `${Buffer.from(bytes, 'base64').length}`,
          heraldRun.rps.toFixed(0),
          `${heraldRun.p99}`,
          bareRun.rps.toFixed(0),
          `${bareRun.p99}`,
          `${(ratio * 100).toFixed(1)}%`,
          bodyOnlyRun.rps.toFixed(0),
          `${((heraldRun.rps / bodyOnlyRun.rps) * 100).toFixed(1)}%`,
        ]);
      }
    }
    table(
      [
        'path',
        'coding',
        'bytes',
        'herald req/s',
        'herald p99 ms',
        'bare req/s',
        'bare p99 ms',
        'herald/bare',
        'body-only req/s',
        'herald/body-only',
      ],
      rows,
    );
    for (const coding of ['plain', 'gzip'] as Coding[]) {
      const home = ratios.find((r) => r.path === '/' && r.coding === coding);
      if (home)
        console.log(
          `status page throughput (${coding}): ${(home.ratio * 100).toFixed(1)}% of the bare server (target 90%)`,
        );
    }

    if (!varnish) {
      console.log(`edge: ${varnishd} is missing (bash scripts/ensure-varnish.sh installs it)`);
      return;
    }
    await waitForHealthy(varnish);
    const edgeRows: string[][] = [];
    for (const p of edgePaths) {
      for (const coding of ['plain', 'gzip'] as Coding[]) {
        await load(varnish.url + p, true, coding);
        const runs = {
          varnish: [] as Awaited<ReturnType<typeof load>>[],
          herald: [],
          bare: [],
        } as Record<'varnish' | 'herald' | 'bare', Awaited<ReturnType<typeof load>>[]>;
        for (let r = 0; r < rounds; r++) {
          runs.varnish.push(await load(varnish.url + p, false, coding));
          runs.herald.push(await load(herald.url + p, false, coding));
          runs.bare.push(await load(bare.url + p, false, coding));
        }
        const [v, h, b] = [median(runs.varnish), median(runs.herald), median(runs.bare)];
        edgeRows.push([
          p,
          coding,
          v.rps.toFixed(0),
          `${v.p99}`,
          h.rps.toFixed(0),
          b.rps.toFixed(0),
          `${((v.rps / h.rps) * 100).toFixed(0)}%`,
          `${((h.rps / b.rps) * 100).toFixed(1)}%`,
        ]);
      }
    }
    console.log('\nthrough the edge (Varnish 7 with deploy/varnish/herald.vcl, same machine):');
    table(
      [
        'path',
        'coding',
        'varnish req/s',
        'varnish p99 ms',
        'herald req/s',
        'bare req/s',
        'varnish/herald',
        'herald/bare',
      ],
      edgeRows,
    );

    // Write to edge: each write goes through the admin API (which purges before answering);
    // the clock stops when the edge first serves a body containing it.
    const deps = await createDeps(
      loadConfig({
        DATABASE_URL: dbUrl,
        LOG_LEVEL: 'silent',
        MAIL_OUTBOX_DIR: path.join(dir, 'o'),
      }),
    );
    const { secret } = await createApiToken(
      deps,
      { name: 'bench', role: 'admin' },
      { type: 'cli', id: null, label: 'bench', role: 'admin' },
    );
    await deps.close();
    const auth = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    const declared = await fetch(`${herald.url}/api/admin/incidents`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: 'Bench: purge timing', priority: 3, body: 'Starting.' }),
    });
    if (declared.status !== 201) throw new Error(`declare answered ${declared.status}`);
    const incidentId = ((await declared.json()) as { incident: { id: string } }).incident.id;
    const lags: number[] = [];
    let stale = 0;
    for (let i = 0; i < writes; i++) {
      const marker = `bench-write-${i}-${Date.now()}`;
      await rawGet(`${varnish.url}/api/v2/summary.json`); // the edge holds the old body
      const w = await fetch(`${herald.url}/api/admin/incidents/${incidentId}/updates`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ body: marker, notify: false }),
      });
      if (w.status !== 201) throw new Error(`update ${i} answered ${w.status}`);
      await w.arrayBuffer();
      const t0 = performance.now();
      for (let tries = 0; ; tries++) {
        const r = await rawGet(`${varnish.url}/api/v2/summary.json`);
        if (r.body.includes(marker)) break;
        if (tries === 0) stale += 1;
        if (tries > 2000) throw new Error(`write ${i} never reached the edge`);
        await new Promise((res) => setTimeout(res, 1));
      }
      lags.push(performance.now() - t0);
    }
    lags.sort((a, b) => a - b);
    console.log(
      `\nwrite to edge (${writes} writes through the admin API, then GET /api/v2/summary.json through Varnish): median ${lags[Math.floor(lags.length / 2)]!.toFixed(1)} ms, worst ${lags[lags.length - 1]!.toFixed(1)} ms; the very next request was stale ${stale} times of ${writes}`,
    );
  } finally {
    if (stopVarnish) await stopVarnish();
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
