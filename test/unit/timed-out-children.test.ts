import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { liveProcesses, runFixtureSuite } from '../helpers/fixture-suite.ts';

// The suite's guarantee for child processes, shown on a real run of vitest with the suite's
// set-up: a test file that times out holding a child process and a chromium still ends, and
// both are gone by then (test/helpers/reap-children.ts).

const root = fileURLToPath(new URL('../../', import.meta.url));

it('a file that times out holding a child process and a browser ends, and both are gone', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-timed-out-'));
  const file = path.join(dir, 'children.json');
  try {
    const { code, out } = await runFixtureSuite('test/fixtures/timed-out-child/vitest.config.ts', {
      HERALD_CHILDREN_FILE: file,
    });
    expect(out).toContain('Test timed out in 500ms');
    expect(code, out).toBe(1);
    const { child, chromium } = JSON.parse(readFileSync(file, 'utf8')) as {
      child: number;
      chromium: number[];
    };
    expect(chromium.length, out).toBeGreaterThan(0);
    // The child, and chromium with every process it started (it leads a group of its own).
    expect(liveProcesses([child], chromium)).toEqual([]);
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
