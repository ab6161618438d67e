import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every repository path a document or a comment names must exist, so moving a file without
// fixing what points at it fails here instead of sending a reader to nothing.

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Files read for paths: documentation whole, source files only in their comments. */
const sourceDirs = [
  'server',
  'db',
  'emails',
  'site/src',
  'site/public',
  'test',
  'bench',
  'scripts',
];
const skipDirs = new Set(['node_modules', 'dist', 'migrations', '.astro']);

function walk(dir: string): string[] {
  const out: string[] = [];
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return out;
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipDirs.has(e.name)) out.push(...walk(rel));
    } else out.push(rel);
  }
  return out;
}

const docs = [
  ...readdirSync(root).filter((f) => f.endsWith('.md')),
  ...walk('docs').filter((f) => f.endsWith('.md')),
  ...[...sourceDirs, 'deploy'].flatMap(walk).filter((f) => f.endsWith('.md')),
  '.env.example',
];
// This file's own examples of dead paths are meant to be dead.
const self = 'test/unit/doc-paths.test.ts';
const sources = [...sourceDirs.flatMap(walk), ...walk('deploy')].filter(
  (f) => /\.(ts|mjs|js|astro|sh|vcl|service)$/.test(f) && f !== self,
);

const topDirs = ['server', 'db', 'site', 'emails', 'test', 'docs', 'bench', 'deploy', 'scripts'];
// A path starts at a top-level folder (not inside a URL or a longer word) and runs over path
// characters; a trailing dot or bracket is prose, not path.
const repoPath = new RegExp(
  `(?<![\\w./:-])((?:${topDirs.join('|')})/[\\w./\\[\\]@-]*[\\w/\\]])`,
  'g',
);
// Examples and patterns, not files: `server/routes/xxx.ts`, `server/admin/<feature>.ts`, `*.vcl`.
const placeholder = /xxx|<|\*|\{|…|\.\.\./;

/** The comment text of a source file: `//` and `#` lines, and block comments. */
function commentsOf(file: string, src: string): string {
  const hash = /\.(sh|vcl|service)$/.test(file);
  const out: string[] = [];
  for (const block of src.matchAll(/\/\*[\s\S]*?\*\/|<!--[\s\S]*?-->/g)) out.push(block[0]);
  for (const line of src.split('\n')) {
    const slash = line.indexOf('//');
    // `//` inside a URL ("https://") is not a comment.
    if (slash >= 0 && line[slash - 1] !== ':') out.push(line.slice(slash));
    if (hash && /^\s*#/.test(line)) out.push(line);
  }
  return out.join('\n');
}

interface Named {
  file: string;
  target: string;
}

function pathsNamedIn(file: string, text: string, isDoc: boolean): Named[] {
  const out: Named[] = [];
  for (const m of text.matchAll(repoPath)) {
    // `[id].astro` is a path; the `]` closing a Markdown link's text is not.
    let target = m[1]!.replace(/\/+$/, '/');
    if (target.endsWith(']') && !target.includes('[')) target = target.slice(0, -1);
    if (!placeholder.test(text.slice(m.index, m.index + m[0].length + 1)))
      out.push({ file, target });
  }
  if (isDoc) {
    // Relative Markdown links: [jobs](../jobs/README.md), [api](api.md#the-admin-api).
    for (const m of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      const href = m[1]!;
      if (/^[a-z]+:/i.test(href) || href.startsWith('/')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), href));
      out.push({ file, target });
    }
  }
  return out;
}

function allNamed(): Named[] {
  const named: Named[] = [];
  for (const f of docs) {
    if (existsSync(path.join(root, f)))
      named.push(...pathsNamedIn(f, readFileSync(path.join(root, f), 'utf8'), true));
  }
  for (const f of sources) {
    const src = readFileSync(path.join(root, f), 'utf8');
    named.push(...pathsNamedIn(f, commentsOf(f, src), false));
  }
  return named;
}

describe('paths named in documents and comments', () => {
  const named = allNamed();

  it('finds the paths the documents and comments name (the check is reading real text)', () => {
    const targets = new Set(named.map((n) => n.target));
    expect(targets).toContain('server/jobs/README.md');
    expect(targets).toContain('test/unit/architecture.test.ts');
    expect(named.some((n) => n.file.endsWith('.ts'))).toBe(true);
    expect(named.length).toBeGreaterThan(100);
  });

  it('every path a document or a comment names exists in the repository', () => {
    const dead = named
      .filter((n) => !existsSync(path.join(root, n.target)))
      .map((n) => `${n.file} names ${n.target}`);
    expect([...new Set(dead)]).toEqual([]);
  });

  it('a dead path is caught, in a document and in a comment', () => {
    const inDoc = pathsNamedIn('docs/x.md', 'See `server/gone/away.ts` and [y](y-gone.md).', true);
    const inComment = pathsNamedIn(
      'server/x.ts',
      commentsOf(
        'server/x.ts',
        'const a = 1; // kept in server/site.ts\nconst u = "server/no.ts";',
      ),
      false,
    );
    expect([...inDoc, ...inComment].map((n) => n.target)).toEqual([
      'server/gone/away.ts',
      'docs/y-gone.md',
      'server/site.ts',
    ]);
  });

  it('the docs index names every document in docs/', () => {
    const index = readFileSync(path.join(root, 'docs/README.md'), 'utf8');
    for (const f of walk('docs').filter((f) => f.endsWith('.md') && f !== 'docs/README.md'))
      expect(index).toContain(`(${path.posix.basename(f)})`);
  });
});

describe('the settings table in docs/operating.md', () => {
  it('names every variable server/config.ts reads, and .env.example comments each', () => {
    const config = readFileSync(path.join(root, 'server/config.ts'), 'utf8');
    const schema = config.slice(config.indexOf('const schema = z.object({'));
    const variables = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
    expect(variables).toContain('SMTP_URL');
    expect(variables).toContain('COMPANY_DOMAINS');
    const operating = readFileSync(path.join(root, 'docs/operating.md'), 'utf8');
    const settings = operating.slice(operating.indexOf('## Settings'));
    const table = settings.slice(0, settings.indexOf('\n## '));
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    for (const v of variables) {
      expect(table, v).toMatch(new RegExp(`^\\| \`${v}\` +\\|`, 'm'));
      expect(example, v).toMatch(new RegExp(`^#? ?${v}=`, 'm'));
    }
  });
});
