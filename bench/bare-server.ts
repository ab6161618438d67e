import { readFileSync } from 'node:fs';
import http from 'node:http';

// The baseline: a bare node:http server answering each path with the exact bytes Herald
// served for it (the gzip bytes when the request accepts gzip), so the ratio measures what
// Herald's stack costs on top of Node itself.
const routes = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<
  string,
  { body: string; gzip?: string; type: string }
>;
const bodies = new Map(
  Object.entries(routes).map(([p, r]) => [
    p,
    {
      body: Buffer.from(r.body, 'base64'),
      gzip: r.gzip ? Buffer.from(r.gzip, 'base64') : undefined,
      type: r.type,
    },
  ]),
);

const server = http.createServer((req, res) => {
  const r = bodies.get(req.url ?? '');
  if (!r) {
    res.statusCode = 404;
    res.end();
    return;
  }
  if (r.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
    res.writeHead(200, {
      'content-type': r.type,
      'content-encoding': 'gzip',
      'content-length': r.gzip.length,
    });
    res.end(r.gzip);
    return;
  }
  res.writeHead(200, { 'content-type': r.type, 'content-length': r.body.length });
  res.end(r.body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`listening on 127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
