import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The scripts `npm test` runs to get the Debian packages the suites need, run against a PATH of
// stand-ins: `id` says who runs them, `apt-get` records what it was asked and installs nothing.
describe('the ensure scripts for the Debian packages tests need', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function bin(opts: { uid: number; aptGet: boolean }) {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-ensure-'));
    dirs.push(dir);
    for (const tool of ['dirname', 'ls']) symlinkSync(`/usr/bin/${tool}`, path.join(dir, tool));
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    };
    stub('id', `echo ${opts.uid}`);
    if (opts.aptGet) stub('apt-get', `echo "$@" >> ${dir}/apt.log`);
    return {
      run: (script: string, env: Record<string, string>) =>
        spawnSync('/bin/bash', [path.resolve('scripts', script)], {
          env: { PATH: dir, ...env },
          encoding: 'utf8',
        }),
      aptCalls: () => readFileSync(path.join(dir, 'apt.log'), 'utf8').trim().split('\n'),
    };
  }

  it('does nothing when the program is already there', () => {
    const b = bin({ uid: 0, aptGet: true });
    const r = b.run('ensure-chromium.sh', { CHROMIUM_PATH: '/bin/sh' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('as root, installs each package with apt-get, without recommends where asked', () => {
    const chromium = bin({ uid: 0, aptGet: true });
    const c = chromium.run('ensure-chromium.sh', { CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(c.status).toBe(0);
    expect(c.stdout).toBe(
      "chromium is missing: installing Debian's chromium with apt-get (browser tests need it)\n",
    );
    expect(chromium.aptCalls()).toEqual(['update -qq', 'install -y -qq chromium']);

    const am = bin({ uid: 0, aptGet: true });
    const a = am.run('ensure-alertmanager.sh', { ALERTMANAGER_PATH: '/nonexistent/am' });
    expect(a.status).toBe(0);
    expect(a.stdout).toContain("installing Debian's prometheus-alertmanager with apt-get");
    expect(am.aptCalls()).toEqual([
      'update -qq',
      'install -y -qq --no-install-recommends prometheus-alertmanager',
    ]);
  });

  it('without root or apt-get, says what to install and fails', () => {
    for (const opts of [
      { uid: 1000, aptGet: true },
      { uid: 0, aptGet: false },
    ]) {
      const b = bin(opts);
      const r = b.run('ensure-chromium.sh', { CHROMIUM_PATH: '/nonexistent/chromium' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        'Browser tests need chromium at /nonexistent/chromium. Install it (sudo apt-get install chromium) or set CHROMIUM_PATH.\n',
      );
      if (opts.aptGet) expect(() => b.aptCalls()).toThrow();
    }
  });
});
