import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
  copyFileSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, type ExpectStatic, it } from 'vitest';
import { heraldChild, registerChild } from '../helpers/children.ts';
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
    registerChild(child);
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

const startScript = fileURLToPath(new URL('../helpers/start-process.ts', import.meta.url));

function run(args: string[], env: Record<string, string>, opts: { uid?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000, ...opts },
      (err, stdout, stderr) =>
        resolve({
          code: child.exitCode ?? (err ? 1 : 0),
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    registerChild(child);
  });
}

// Each of these starts is a process of its own on a file of its own, and most of their time is
// Node loading Herald: they run side by side (the file's own set-up stays in order: the truncated
// and read-only copies are cut from the control's good database once it exists).
describe.concurrent(
  'start-up database errors say what is wrong and what to do',
  { timeout: 120_000 },
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-baddb-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const start = (url: string, opts: { uid?: number } = {}) =>
      run(
        ['server/main.ts'],
        { DATABASE_URL: url, PORT: '0', MAIL_OUTBOX_DIR: path.join(dir, 'outbox') },
        opts,
      );
    // The control's start, made once: the tests that copy its database wait for it.
    let control: ReturnType<typeof run> | undefined;
    const good = path.join(dir, 'good.db');
    const startControl = () => {
      // Started through the same path with a barrier that is already there.
      writeFileSync(path.join(dir, 'go'), '');
      return (control ??= run(heraldChild(startScript, `file:${good}`, path.join(dir, 'go')), {}));
    };

    function expectHelpful(
      expect: ExpectStatic,
      r: { code: number | null; stderr: string },
      url: string,
      what: RegExp,
    ) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`DATABASE_URL=${url}`);
      expect(r.stderr).toMatch(what);
      expect(r.stderr).toMatch(/To fix: /);
      // One or two lines, no stack trace, no raw driver text.
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/\n\s+at |ConnectionFailed|SqliteError/);
    }

    it('(control) a good database file starts', async ({ expect }) => {
      const r = await startControl();
      expect(r.stdout).toContain('up');
      expect(r.code).toBe(0);
    });

    it('a folder instead of a file', async ({ expect }) => {
      mkdirSync(path.join(dir, 'folder.db'));
      const url = `file:${path.join(dir, 'folder.db')}`;
      expectHelpful(expect, await start(url), url, /is a folder, not a database file/);
    });

    it('a file that is not a database', async ({ expect }) => {
      writeFileSync(
        path.join(dir, 'random.db'),
        Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)),
      );
      const url = `file:${path.join(dir, 'random.db')}`;
      expectHelpful(expect, await start(url), url, /not a SQLite database/);
    });

    it('a truncated database', async ({ expect }) => {
      await startControl();
      const cut = path.join(dir, 'cut.db');
      copyFileSync(good, cut);
      truncateSync(cut, Math.floor(statSync(good).size / 3));
      const url = `file:${cut}`;
      expectHelpful(expect, await start(url), url, /damaged/);
    });

    it('a folder that cannot be created', async ({ expect }) => {
      writeFileSync(path.join(dir, 'plainfile'), '');
      const url = `file:${path.join(dir, 'plainfile', 'sub', 'h.db')}`;
      expectHelpful(
        expect,
        await start(url),
        url,
        /folder .* does not exist and cannot be created/,
      );
    });

    /** A read-only copy of the good database in a folder of its own with the given mode. */
    async function readOnlyCopy(name: string, folderMode: number): Promise<string> {
      await startControl();
      const folder = path.join(dir, name);
      mkdirSync(folder);
      copyFileSync(good, path.join(folder, 'h.db'));
      chmodSync(dir, 0o755);
      chmodSync(folder, folderMode);
      chmodSync(path.join(folder, 'h.db'), 0o444);
      return `file:${path.join(folder, 'h.db')}`;
    }

    it.skipIf(process.getuid?.() !== 0)(
      'a read-only file (as an unprivileged user)',
      async ({ expect }) => {
        const url = await readOnlyCopy('ro', 0o555);
        expectHelpful(expect, await start(url, { uid: 65534 }), url, /read-only/);
      },
    );

    it.skipIf(process.getuid?.() !== 0)(
      'a read-only file in a writable folder (as an unprivileged user)',
      async ({ expect }) => {
        const url = await readOnlyCopy('rw', 0o777);
        const r = await start(url, { uid: 65534 });
        expectHelpful(expect, r, url, /read-only/);
        expect(r.stderr).not.toMatch(/Failed query/);
      },
    );
  },
);
