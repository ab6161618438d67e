import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_ENV, SERVER_FLAGS } from '../../server/boot/process-options.ts';

const pkg = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
) as { scripts: Record<string, string> };

describe('how a Herald server process is started', () => {
  it.each(['start', 'demo'])(
    '`npm run %s` starts node with the flags and environment the benchmarks measure',
    (script) => {
      const command = pkg.scripts[script]!;
      const launch = command.slice(command.lastIndexOf('&&') + 2).trim();
      const [before, after] = launch.split(/\bnode\b/, 2) as [string, string];
      for (const [name, value] of Object.entries(NODE_ENV))
        expect(before.split(/\s+/)).toContain(`${name}=${value}`);
      const args = after.trim().split(/\s+/);
      const entry = args.indexOf('server/main.ts');
      expect(entry).toBeGreaterThan(-1);
      expect(args.slice(0, entry).sort()).toEqual([...SERVER_FLAGS].sort());
    },
  );
});

describe('the systemd unit in deploy/', () => {
  const unit = readFileSync(
    path.resolve(import.meta.dirname, '..', '..', 'deploy', 'herald.service'),
    'utf8',
  );

  it('starts node with the flags and environment the benchmarks measure', () => {
    for (const [name, value] of Object.entries(NODE_ENV))
      expect(unit).toContain(`Environment=${name}=${value}`);
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    const args = exec.trim().split(/\s+/);
    expect(args[0]).toMatch(/node_modules\/\.bin\/node$/);
    const entry = args.indexOf('server/main.ts');
    expect(entry).toBeGreaterThan(0);
    expect(args.slice(1, entry).sort()).toEqual([...SERVER_FLAGS].sort());
  });

  it('stops Herald with SIGTERM, which records what was in flight', () => {
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
  });
});
