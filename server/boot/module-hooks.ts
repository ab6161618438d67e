import { registerHooks } from 'node:module';

/**
 * Node 24 parses the nearest package.json again for every module it resolves (to learn the
 * module's format), and drizzle-orm's package.json is 179 KB while drizzle-orm is 448 modules:
 * importing it cost half a second and left about 130 MB of RSS behind, the largest part of a
 * Herald process's memory (measured: `drizzle-orm` alone 41 -> 168 MB on Node 24.21, 41 -> 50 MB
 * on Node 20). These hooks answer the two lookups that repeat:
 *
 * - a relative import inside drizzle-orm is that package's own ESM (it ships `"type": "module"`
 *   and one package.json): its URL against the importing module, format `module`;
 * - a bare `drizzle-orm…` specifier from Herald's own files resolves the same from every one
 *   of them (one package scope, the same conditions): resolved once by Node, then remembered.
 *
 * Everything else goes through Node's resolver untouched. Registered before anything imports
 * drizzle-orm: the entry points import this module first and the rest of Herald dynamically.
 */
const DRIZZLE = '/node_modules/drizzle-orm/';
const ours = new URL('../../', import.meta.url).href;
const bare = new Map<string, { url: string; format?: string | null }>();

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

let registered = false;

export function registerModuleHooks(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (parent?.includes(DRIZZLE) && isRelative(specifier)) {
        return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
      }
      const fromOurs = parent?.startsWith(ours) && !parent.includes('/node_modules/');
      if (fromOurs && (specifier === 'drizzle-orm' || specifier.startsWith('drizzle-orm/'))) {
        const key = `${specifier} ${context.conditions?.join(',') ?? ''}`;
        const known = bare.get(key);
        if (known) return { ...known, shortCircuit: true };
        const resolved = nextResolve(specifier, context);
        bare.set(key, { url: resolved.url, format: resolved.format });
        return resolved;
      }
      return nextResolve(specifier, context);
    },
  });
}
