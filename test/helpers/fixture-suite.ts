import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerChild } from './children.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs vitest on a fixture suite (`config`, under test/fixtures/) as `npm test` would run the
 * real one, and returns its exit code and output: for the tests of what the suite's own set-up
 * guarantees when a run ends.
 */
export async function runFixtureSuite(config: string, env: Record<string, string>) {
  const vitest = `${root}node_modules/vitest/vitest.mjs`;
  const run = registerChild(
    spawn(process.execPath, [vitest, 'run', '--config', config], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  run.stdout!.on('data', (d) => (out += d));
  run.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
  return { code, out };
}

/**
 * The live processes (not zombies waiting to be collected) among `pids` and in the process
 * groups `groups`.
 */
export function liveProcesses(pids: number[], groups: number[]): number[] {
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
