import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Reads the sources and keeps the layers honest: what may import what, and no import circles.
// The layers, from the top: main/app/cli, then routes and web (adapters), then mail and jobs,
// then the domain, then db. Imports point down, never up and never round.

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|astro)$/.test(e.name)) out.push(rel);
  }
  return out;
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s(?:type\s)?[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Each file's imports: repo-relative paths for our own modules, package names otherwise. */
function importsOf(file: string): string[] {
  const src = readFileSync(path.join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(importPattern)) {
    const spec = m[1] ?? m[2];
    if (!spec) continue;
    out.push(spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec);
  }
  return out;
}

const files = [...sourceFiles('server'), ...sourceFiles('db'), ...sourceFiles('emails')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Pairs [file, import] where a file under `from` imports something matching `forbidden`. */
function violations(from: string[], forbidden: (spec: string) => boolean): string[] {
  const out: string[] = [];
  for (const [file, specs] of graph) {
    if (!from.some((d) => file.startsWith(d))) continue;
    for (const s of specs) if (forbidden(s)) out.push(`${file} imports ${s}`);
  }
  return out;
}

/** The domain folder a module lives in (`server/domain/<folder>/...`), if any. */
function domainFolder(file: string): string | undefined {
  const m = /^server\/domain\/([^/]+)\/./.exec(file);
  return m?.[1];
}

/**
 * Pairs of server/domain/ folders that import each other (directly, in either direction, by any
 * of their files): "a <-> b", sorted. A module-level circle is caught below; this counts the
 * coarser knots that make two aggregates impossible to read or move apart.
 */
function domainFolderPairs(imports: Map<string, string[]>): string[] {
  const edges = new Set<string>();
  for (const [file, specs] of imports) {
    const from = domainFolder(file);
    if (!from) continue;
    for (const s of specs) {
      const to = domainFolder(s);
      if (to && to !== from) edges.add(`${from} -> ${to}`);
    }
  }
  const pairs: string[] = [];
  for (const e of edges) {
    const [a, b] = e.split(' -> ');
    if (a! < b! && edges.has(`${b} -> ${a}`)) pairs.push(`${a} <-> ${b}`);
  }
  return pairs.sort();
}

// Domain folders that still import each other, each with why it is left: the broadcast's send
// context reads the record for internal mail while the record's follow-ups queue an incident
// notice; incidents take their default impact from the status roll-up while the Statuspage JSON
// marks holding updates with the incident's promise text. Lower this as pairs are untied.
const MAX_DOMAIN_FOLDER_PAIRS = 2;

// The status vocabularies are plain `as const` lists with no drizzle in them: every layer
// may name a status.
const isDrizzle = (s: string) =>
  s === 'drizzle-orm' ||
  s.startsWith('drizzle-orm/') ||
  (s.startsWith('db/schema') && s !== 'db/schema/enums.ts');
const under =
  (...dirs: string[]) =>
  (s: string) =>
    dirs.some((d) => s.startsWith(d));

describe('architecture', () => {
  it('reads the whole server tree (the guard is looking at the real files)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('server/app.ts')).toContain('server/routes/admin-api.ts');
  });

  it('routes and web never touch drizzle or the schema tables', () => {
    expect(violations(['server/routes/', 'server/web/', 'server/intake/'], isDrizzle)).toEqual([]);
  });

  it('importers write through domain verbs only, never drizzle or the schema tables', () => {
    expect(violations(['server/importers/'], isDrizzle)).toEqual([]);
  });

  it('jobs, mail and the delivery wing never touch drizzle or the schema tables (the domain reads for them)', () => {
    expect(violations(['server/jobs/', 'server/mail/', 'server/delivery/'], isDrizzle)).toEqual([]);
  });

  it('the domain never imports the delivery wing: it queues rows, the wing sends them', () => {
    expect(graph.has('server/delivery/run-process.ts')).toBe(true);
    expect(
      violations(['server/domain/'], under('server/delivery/', 'server/jobs/', 'server/mail/')),
    ).toEqual([]);
  });

  it('the domain never imports hono, emails or any layer above it', () => {
    const above = under(
      'server/http/',
      'server/cache/',
      'server/routes/',
      'server/web/',
      'server/intake/',
      'server/mail/',
      'server/jobs/',
      'server/delivery/',
      'emails/',
      'server/deps.ts',
      'server/app.ts',
      'server/main.ts',
      'server/start.ts',
      'server/boot/',
    );
    expect(
      violations(['server/domain/'], (s) => s === 'hono' || s.startsWith('hono/') || above(s)),
    ).toEqual([]);
  });

  it('the domain knows no HTTP status: errors carry a code only', () => {
    const src = readFileSync(path.join(root, 'server/domain/shared/errors.ts'), 'utf8');
    expect(src).toContain('class DomainError');
    expect(src).not.toMatch(/\bstatus\s*[:=]/);
  });

  it('mail, jobs and the delivery wing never import the adapters above them', () => {
    const above = under('server/routes/', 'server/web/', 'server/http/', 'server/app.ts');
    expect(violations(['server/mail/', 'server/jobs/', 'server/delivery/'], above)).toEqual([]);
  });

  it('deps.ts, the composition root, imports nothing from http/ or web/', () => {
    expect(violations(['server/deps.ts'], under('server/http/', 'server/web/'))).toEqual([]);
  });

  it('the database layer imports nothing from server/: the domain wraps its faults, not it', () => {
    expect(violations(['db/'], under('server/'))).toEqual([]);
  });

  it('the cache imports neither the composition root nor the adapters above it', () => {
    const above = under(
      'server/deps.ts',
      'server/app.ts',
      'server/http/',
      'server/routes/',
      'server/web/',
      'server/jobs/',
    );
    expect(violations(['server/cache/'], above)).toEqual([]);
  });

  it('emails are pure templates: no database, no HTTP, no transport', () => {
    const forbidden = (s: string) =>
      isDrizzle(s) ||
      s.startsWith('db/') ||
      s === 'nodemailer' ||
      under(
        'server/http/',
        'server/routes/',
        'server/web/',
        'server/mail/',
        'server/jobs/',
        'server/delivery/',
      )(s);
    expect(violations(['emails/'], forbidden)).toEqual([]);
  });

  it('counts domain folders that import each other (the count can see a pair)', () => {
    const sample = new Map([
      ['server/domain/a/one.ts', ['server/domain/b/two.ts', 'server/domain/shared/ids.ts']],
      ['server/domain/b/two.ts', ['server/domain/c/three.ts']],
      ['server/domain/b/four.ts', ['server/domain/a/five.ts']],
      ['server/domain/c/three.ts', ['server/domain/shared/ids.ts']],
    ]);
    expect(domainFolderPairs(sample)).toEqual(['a <-> b']);
  });

  it(`at most ${MAX_DOMAIN_FOLDER_PAIRS} pairs of domain folders import each other`, () => {
    const pairs = domainFolderPairs(graph);
    expect(pairs.length, `pairs:\n${pairs.join('\n')}`).toBeLessThanOrEqual(
      MAX_DOMAIN_FOLDER_PAIRS,
    );
  });

  it('no module imports one that imports it back, however far round', () => {
    // Tarjan's strongly connected components over our own modules.
    let index = 0;
    const stack: string[] = [];
    const onStack = new Set<string>();
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const circles: string[][] = [];
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index);
      index++;
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          c.push(w);
        } while (w !== v);
        if (c.length > 1) circles.push(c.sort());
      }
    };
    for (const v of graph.keys()) if (!idx.has(v)) visit(v);
    expect(circles).toEqual([]);
  });
});
