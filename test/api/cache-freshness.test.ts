import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createDeps, type Deps } from '../../server/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';

describe('cached responses stay fresh across processes sharing one database', () => {
  let s: ServerContext;
  let other: Deps;

  beforeAll(async () => {
    s = await startTestServer();
    await makeComponent(s.deps, { name: 'API' });
    // A second Herald "process": its own connections and caches on the same database file.
    other = await createDeps(
      loadConfig({
        DATABASE_URL: s.dbUrl,
        LOG_LEVEL: 'silent',
        PUBLIC_URL: 'https://status.example.com',
      }),
      { clock: s.clock },
    );
  });
  afterAll(async () => {
    await other.close();
    await s.close();
  });

  it('shows an incident declared through another process on the very next request', async () => {
    const paths = ['/', '/api/v2/summary.json', '/history.rss'];
    const etags = new Map<string, string>();
    for (const p of paths) {
      const res = await fetch(s.url + p);
      expect(res.status, p).toBe(200);
      etags.set(p, res.headers.get('etag')!);
      const again = await fetch(s.url + p, { headers: { 'if-none-match': etags.get(p)! } });
      expect(again.status, p).toBe(304);
    }
    await makeIncident(other, { title: 'Declared elsewhere', priority: 1 });
    for (const p of paths) {
      const res = await fetch(s.url + p, { headers: { 'if-none-match': etags.get(p)! } });
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toContain('Declared elsewhere');
    }
  });

  it('answers HEAD from the cache with headers and no body', async () => {
    await fetch(s.url + '/api/v2/status.json');
    const res = await fetch(s.url + '/api/v2/status.json', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(50);
    expect(await res.text()).toBe('');
  });
});
