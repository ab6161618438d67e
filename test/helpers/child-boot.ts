// Loaded with `node --import` before a test's child script (heraldChild in children.ts): the
// child then loads Herald as server/main.ts does, from the compile cache and through the module
// hooks. Without them every child compiled and type-stripped the server code again and let Node
// re-parse drizzle-orm's package.json per module: measured on this 2-core machine, a start-up
// child (test/helpers/start-process.ts) took 1.05 s of CPU and 300 MB; with them 0.35 s and 115 MB.
import { useCompileCache } from '../../server/boot/compile-cache.ts';
import { registerModuleHooks } from '../../server/boot/module-hooks.ts';

useCompileCache();
registerModuleHooks();
