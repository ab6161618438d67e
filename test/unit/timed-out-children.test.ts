import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { registerChild } from '../helpers/children.ts';

// The suite's guarantee for child processes, shown on a real run of vitest with the suite's
// set-up: a test file that times out holding a child process and a chromium still ends, and
// both are gone by then (test/helpers/reap-children.ts).

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The live processes (not zombies waiting to be collected) among `pids` and in the process
 * groups `groups`.
 */
function live(pids: number[], groups: number[]): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const listed = pids.includes(Number(name)) || groups.includes(Number(group));
      if (state !== 'Z' && listed) found.push(Number(name));
    } catch {
      // Ended while the list was read.
    }
  }
  return found;
}

it('a file that times out holding a child process and a browser ends, and both are gone', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-timed-out-'));
  const file = path.join(dir, 'children.json');
  try {
    const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
    const run = registerChild(
      spawn(
        process.execPath,
        [vitest, 'run', '--config', 'test/fixtures/timed-out-child/vitest.config.ts'],
        {
          cwd: root,
          env: { ...process.env, HERALD_CHILDREN_FILE: file },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    let out = '';
    run.stdout!.on('data', (d) => (out += d));
    run.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(out).toContain('Test timed out in 500ms');
    expect(code, out).toBe(1);
    const { child, chromium } = JSON.parse(readFileSync(file, 'utf8')) as {
      child: number;
      chromium: number[];
    };
    expect(chromium.length, out).toBeGreaterThan(0);
    // The child, and chromium with every process it started (it leads a group of its own).
    expect(live([child], chromium)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

/** Every .ts file under test/, as [path, text]. */
function testSources(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) out.push([rel, readFileSync(path.join(root, rel), 'utf8')]);
    }
  };
  walk('test');
  return out;
}

it('every child process a test file starts is registered to be killed when the file ends', () => {
  const unregistered: string[] = [];
  for (const [file, text] of testSources()) {
    if (file === 'test/helpers/children.ts') continue;
    // The calls that start a process able to outlive a test (the *Sync ones end before they
    // return), as this file imports them, and playwright's launches.
    const imported = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'node:child_process'/g)]
      .concat([...text.matchAll(/const\s*\{([^}]*)\}\s*=\s*await import\('node:child_process'\)/g)])
      .flatMap((m) => m[1]!.split(','))
      .map((n) => n.trim())
      .filter((n) => ['spawn', 'execFile', 'fork', 'exec'].includes(n));
    const code = text
      .split('\n')
      .filter((l) => !/^\s*(import|\/\/|\*|\/\*\*)/.test(l) && !/await import\(/.test(l))
      .join('\n');
    const starts =
      imported.reduce(
        (n, name) => n + (code.match(new RegExp(`(?<![.\\w'])${name}\\b`, 'g'))?.length ?? 0),
        0,
      ) + (code.match(/\bchromium\.launch\w*\(/g)?.length ?? 0);
    const registered = code.match(/\bregister(Child|ProcessGroup)\(/g)?.length ?? 0;
    if (starts > registered)
      unregistered.push(`${file}: ${starts} started, ${registered} registered`);
  }
  expect(unregistered).toEqual([]);
});
