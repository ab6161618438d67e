import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerContext, startTestServer } from '../helpers/server.ts';

describe('when the database stops answering', () => {
  let s: ServerContext;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.close());

  it('shows a readable error page and a JSON error instead of a stack trace, and keeps serving', async () => {
    s.deps.handle.client.close();
    const page = await fetch(s.url + '/history');
    expect(page.status).toBe(500);
    const html = await page.text();
    expect(html).toContain('Something went wrong');
    expect(html).not.toMatch(/at \w+ \(|node_modules|Error:/);
    const api = await fetch(s.url + '/api/v2/incidents.json');
    expect(api.status).toBe(500);
    expect(await api.json()).toEqual({
      error: { code: 'internal_error', message: expect.stringContaining('Something went wrong') },
    });
    expect((await fetch(s.url + '/healthz')).status).toBe(503);
  });
});
