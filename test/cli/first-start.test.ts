import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormClient } from '../helpers/site.ts';

describe('first start on a fresh database', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-first-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a one-time setup link that creates the first admin', async () => {
    child = spawn(process.execPath, ['server/main.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: `file:${path.join(dir, 'h.db')}`,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const link = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no setup link printed:\n${out}`)), 90_000);
      child!.stdout!.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/setup\?token=([\w-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child!.on('exit', (code) => reject(new Error(`server exited ${code}:\n${out}`)));
    });
    const base = new URL(link).origin;
    const c = new FormClient(base);
    const page = await c.get(new URL(link).pathname + new URL(link).search);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Create the first admin');
    const token = new URL(link).searchParams.get('token')!;
    const done = await c.post('/setup', {
      token,
      email: 'first@example.com',
      password: 'first admin pw',
      passwordConfirm: 'first admin pw',
    });
    expect(done.res.status).toBe(303);
    expect((await c.get('/admin')).res.status).toBe(200);
    const reuse = await new FormClient(base).get(new URL(link).pathname + new URL(link).search);
    expect(reuse.res.status).toBe(404);
  });
});
