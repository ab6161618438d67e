import { readFileSync } from 'node:fs';
import http from 'node:http';

// The baseline: a bare node:http server answering each path with the exact bytes Herald
// served for it (the gzip bytes when the request accepts gzip). By default the same bytes
// means the whole response: Herald's body and Herald's header lines, so the ratio measures
// what Herald's stack costs on top of Node writing that response. With `--body-only` it sends
// the body with only content-type, content-length and content-encoding, which also charges
// Herald for the headers it sends (cache lifetimes, ETag, Vary, nosniff, surrogate keys).
//
//   node bench/bare-server.ts routes.json [--body-only]
type Headers = Record<string, string>;
interface Representation {
  body: string;
  headers: Headers;
}
const routes = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<
  string,
  { plain: Representation; gzip?: Representation }
>;
const bodyOnly = process.argv.includes('--body-only');

// Node writes these itself on every response.
const nodeOwn = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const bodyOwn = new Set(['content-type', 'content-length', 'content-encoding']);

function prepare(r: Representation) {
  const body = Buffer.from(r.body, 'base64');
  const headers = Object.entries(r.headers)
    .filter(([k]) => !nodeOwn.has(k) && (!bodyOnly || bodyOwn.has(k)))
    .flat();
  return { body, headers };
}
const bodies = new Map(
  Object.entries(routes).map(([p, r]) => [
    p,
    { plain: prepare(r.plain), gzip: r.gzip ? prepare(r.gzip) : undefined },
  ]),
);

const server = http.createServer((req, res) => {
  const r = bodies.get(req.url ?? '');
  if (!r) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const rep = r.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? r.gzip : r.plain;
  res.writeHead(200, rep.headers);
  res.end(rep.body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`listening on 127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
