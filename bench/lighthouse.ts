import http from 'node:http';
import type { AddressInfo } from 'node:net';
import lighthouse from 'lighthouse';
import { makeIncident } from '../test/helpers/factories.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { seedNinetyDays } from '../test/helpers/uptime-history.ts';
import { freePort } from '../test/edge/edge-harness.ts';

// npm run bench:lighthouse: Lighthouse's performance score of the status page (90-day bars for
// ten components, an open incident: the page test/e2e/lighthouse.browser.test.ts audits for
// everything else), against a bare node:http server sending the very same bytes (the page and
// every asset it links). Both are audited in alternating rounds; the medians and their ratio are
// printed. The score depends on the machine, so no test asserts it.
//
//   node bench/lighthouse.ts [--rounds 3]

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const s = await startTestServer();
  await seedNinetyDays(s);
  await makeIncident(s.deps, { title: 'Checkout is slow', priority: 1 });

  // The bare copy: the page and each same-origin asset it links, as Herald sent them.
  const copies = new Map<string, { type: string; body: Buffer }>();
  const fetchCopy = async (p: string) => {
    const res = await fetch(`${s.url}${p}`);
    copies.set(p, {
      type: res.headers.get('content-type') ?? 'application/octet-stream',
      body: Buffer.from(await res.arrayBuffer()),
    });
  };
  await fetchCopy('/');
  const html = copies.get('/')!.body.toString('utf8');
  for (const m of html.matchAll(/(?:href|src)="(\/[^"/][^"]*)"/g)) {
    const p = m[1]!;
    if (/\.(css|js|svg|png|ico|woff2?)$/.test(p)) await fetchCopy(p);
  }
  const bare = http.createServer((req, res) => {
    const c = copies.get(req.url ?? '/');
    if (!c) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': c.type, 'content-length': c.body.length }).end(c.body);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

  const port = await freePort();
  const browser = await launchBrowser([`--remote-debugging-port=${port}`]);
  const score = async (url: string) => {
    const r = await lighthouse(`${url}/`, {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance'],
    });
    const lhr = r!.lhr;
    if (lhr.runtimeError) throw new Error(lhr.runtimeError.message);
    return {
      score: lhr.categories.performance!.score ?? 0,
      lcp: lhr.audits['largest-contentful-paint']?.numericValue ?? 0,
      tbt: lhr.audits['total-blocking-time']?.numericValue ?? 0,
    };
  };
  const herald: Awaited<ReturnType<typeof score>>[] = [];
  const copy: Awaited<ReturnType<typeof score>>[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      herald.push(await score(s.url));
      copy.push(await score(bareUrl));
    }
  } finally {
    await browser.close();
    bare.close();
    await s.close();
  }
  const h = median(herald.map((r) => r.score));
  const b = median(copy.map((r) => r.score));
  const fmt = (rs: typeof herald) =>
    `LCP ${Math.round(median(rs.map((r) => r.lcp)))} ms, TBT ${Math.round(median(rs.map((r) => r.tbt)))} ms`;
  console.log(`herald: performance ${h.toFixed(2)} (${fmt(herald)})`);
  console.log(`bare copy: performance ${b.toFixed(2)} (${fmt(copy)})`);
  const ratio = b > 0 ? h / b : 0;
  console.log(
    `lighthouse performance: ${h.toFixed(2)} = ${ratio.toFixed(2)} of the same bytes from a bare server (target 0.9 of it, and 0.9 absolute on a quiet machine), median of ${rounds} rounds`,
  );
}

await main();
