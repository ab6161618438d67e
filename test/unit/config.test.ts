import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
  it('starts on safe defaults: embedded libSQL file under ./data, port 3000', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('file:./data/herald.db');
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
    expect(c.smtpUrl).toBeUndefined();
  });
  it('strips a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://status.example.com/' }).publicUrl).toBe(
      'https://status.example.com',
    );
  });
  it('lists every bad value at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'postgres://x', PUBLIC_URL: 'not a url' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT="eighty": must be a port number from 0 to 65535/);
    expect(problems).toMatch(/DATABASE_URL="postgres:\/\/x"/);
    expect(problems).toMatch(/PUBLIC_URL="not a url"/);
    expect((err as ConfigError).message).toMatch(/^Herald cannot start/);
  });
  it('names a bad secret without printing its value', () => {
    let problems = '';
    try {
      loadConfig({
        FASTLY_API_TOKEN: 'short',
        EDGE_PURGE_URLS: 'https://api.fastly.com/service/S1/purge',
      });
    } catch (e) {
      problems = (e as ConfigError).problems.join('\n');
    }
    expect(problems).toMatch(/FASTLY_API_TOKEN=\(hidden\): /);
    expect(problems).not.toContain('short');
  });
});
