#!/usr/bin/env node
// `npx herald ...`: runs server/cli.ts on Node 24 (native TypeScript). Under an older node
// (the machine's own), it re-runs itself with the project's pinned Node 24 from the `node`
// package, passing the terminal through so password prompts stay hidden.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'server', 'cli.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  // The compile cache first (server/boot/compile-cache.ts), as server/main.ts does: a command
  // then loads the code it compiled last time instead of type-stripping and compiling the server
  // again (measured: `herald user list` 0.85 s of CPU without, 0.45 s with). Then the module
  // hooks (server/boot/module-hooks.ts), then the CLI and everything it imports.
  const boot = (name) => pathToFileURL(path.join(root, 'server', 'boot', name)).href;
  (await import(boot('compile-cache.ts'))).useCompileCache();
  (await import(boot('module-hooks.ts'))).registerModuleHooks();
  await import(pathToFileURL(cli).href);
} else {
  const pinned = path.join(root, 'node_modules', 'node', 'bin', 'node');
  const fallback = path.join(root, 'node_modules', '.bin', 'node');
  const node = existsSync(pinned) ? pinned : fallback;
  if (!existsSync(node)) {
    console.error(
      `herald needs Node 24; this is Node ${process.versions.node}. Run \`npm ci\` in ${root} first (it installs Node 24 locally).`,
    );
    process.exit(1);
  }
  const r = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (r.error) {
    console.error(r.error.message);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
