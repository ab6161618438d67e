import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// "Never public unless meant", kept by the shape of the code: the modules that render for the
// public audience (the v2 JSON, the feeds, the embed and badge, the pages' status reader, the
// post-mortem email's source) must not be able to reach a column that holds internal text.
// Reads the sources: every module a public entry imports, directly or not, is searched for the
// names of internal columns and tables. A new public surface goes through the status reader;
// a module that needs internal text lives outside this graph.

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Where every public surface starts. */
export const publicEntries = [
  'server/domain/status/reader.ts',
  'server/routes/public-api.ts',
  'server/routes/feeds.ts',
  'server/routes/embed.ts',
  'server/domain/broadcasts/incident-notice-source.ts',
];

/** Names that read internal text: columns on public rows, and the record's tables. */
export const internalNames = [
  'internalNote',
  'internal_note',
  'internalBody',
  'internal_body',
  'priorityReason',
  'priority_reason',
  'incidentFacts',
  'incidentDecisions',
  'incidentChanges',
  'incidentSupportScripts',
  'actionItems',
  'remediationItems',
  'runbooks',
  'runbookRevisions',
  'reportEvents',
];

// Value imports only: a type-only import brings no code that could read anything.
const importPattern =
  /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function ownImports(file: string): string[] {
  const src = readFileSync(path.join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(importPattern)) {
    const spec = m[1] ?? m[2];
    if (spec?.startsWith('.')) out.push(path.normalize(path.join(path.dirname(file), spec)));
  }
  return out;
}

/**
 * The modules reachable from `entries`. The schema (db/) only declares columns and is left out:
 * reading a column takes a query in a module, and that module is in the graph. The message
 * catalogues (server/i18n/messages/) are fixed interface text that import nothing, so their
 * labels (the internal note's heading, say) cannot read anything and are left out too.
 */
export function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f) || f.startsWith('db/') || f.startsWith('server/i18n/messages/')) continue;
    if (!f.endsWith('.ts')) continue;
    seen.add(f);
    todo.push(...ownImports(f));
  }
  return seen;
}

/** Tables with public and internal columns: a public read must name the columns it takes. */
const mixedTables = ['incidentUpdates', 'postmortems'];

/** What in one module's code would let internal text through. */
export function problemsIn(file: string, source: string): string[] {
  // Comments may name internal text to say it is left out; code may not.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const name of internalNames)
    if (new RegExp(`\\b${name}\\b`).test(code)) out.push(`${file} names ${name}`);
  for (const table of mixedTables)
    if (new RegExp(`\\.select\\(\\s*\\)\\s*\\.from\\(\\s*${table}\\b`).test(code))
      out.push(`${file} reads whole rows of ${table}`);
  return out;
}

/**
 * Where a public surface's incidents come from: the public entries, plus the uptime bars, the
 * iCalendar feed and the webhook and chat payloads (which carry internal notes to staff
 * channels, so they are not public entries above, but they must never carry an incident for
 * chosen audiences only).
 */
export const incidentReaderEntries = [
  ...publicEntries,
  'server/routes/uptime.ts',
  'server/routes/maintenance-public.ts',
  'server/domain/webhooks/webhook-send-context.ts',
];

/** The one module that reads the incidents table for readers, filtering by the reader's scope. */
const incidentGuard = 'server/domain/status/incident-scope.ts';

/**
 * Modules in that graph that read an incident by id for another reason, and why that is safe.
 * A new entry needs a reason as good as these.
 */
const incidentReadsAllowed: Record<string, string> = {
  // Renders a post-mortem or follow-up mail for the broadcast's recipients, whose lists were
  // chosen by listReceivesIncident (an audience-only incident reaches internal lists only).
  'server/domain/broadcasts/incident-notice-source.ts': 'recipients chosen by the list rule',
  // The support script of a staff chat channel; the payload it joins is read through the
  // guard first and skipped when the incident is not public.
  'server/domain/support/support-script.ts': 'staff channels, after the guarded read',
};

const incidentTableRead =
  /\.(?:from|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*incidents\b|\b(?:from|join)\s+(?:incidents\b|\$\{incidents\})/i;

/** A read of the incidents table that does not go through the reader's scope. */
export function unguardedIncidentReads(file: string, source: string): string[] {
  if (file === incidentGuard || file in incidentReadsAllowed) return [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return incidentTableRead.test(code)
    ? [`${file} reads incidents without the reader's scope (use status/incident-scope.ts)`]
    : [];
}

function problems(files: Iterable<string>): string[] {
  return [...files].flatMap((f) => problemsIn(f, readFileSync(path.join(root, f), 'utf8')));
}

describe('the audience boundary', () => {
  it('no module a public surface imports names an internal column, reads whole mixed rows or reads the record', () => {
    const graph = reachable(publicEntries);
    expect(graph).toContain('server/domain/status/read-status.ts');
    expect(graph).toContain('server/domain/status/public-postmortem.ts');
    expect(problems(graph)).toEqual([]);
  });

  it('would catch a public surface that imported the staff views of the post-mortem', () => {
    // The fault: wiring the admin draft (both parts) into a public entry.
    const graph = reachable([...publicEntries, 'server/domain/postmortems/postmortem-views.ts']);
    expect(problems(graph).some((m) => m.includes('internalBody'))).toBe(true);
  });

  it('every incident a public surface shows comes through the one scoped read path', () => {
    const graph = reachable(incidentReaderEntries);
    expect(graph).toContain(incidentGuard);
    expect(graph).toContain('server/domain/uptime/read-uptime.ts');
    const found = [...graph].flatMap((f) =>
      unguardedIncidentReads(f, readFileSync(path.join(root, f), 'utf8')),
    );
    expect(found).toEqual([]);
    // Every allowed exception is still in the graph (a stale one would hide a new reader).
    for (const f of Object.keys(incidentReadsAllowed)) expect(graph).toContain(f);
  });

  it('would catch a public module that read incidents without the scope', () => {
    // The fault: a new surface (or an old one edited) selecting incidents itself.
    for (const src of [
      'const rows = await db.select().from(incidents).where(isNotNull(incidents.publishedAt));',
      'db.select({ id: incidents.id }).from(incidentComponents).innerJoin(incidents, x)',
      'await db.all(sql`select id from incidents where is_drill = 0`);',
      'await db.all(sql`select c.id from components c join ${incidents} i on 1`);',
    ])
      expect(unguardedIncidentReads('server/routes/new-surface.ts', src), src).toHaveLength(1);
    expect(
      unguardedIncidentReads('x.ts', 'await selectIncidents(db, PUBLIC_SCOPE, listedIncident);'),
    ).toEqual([]);
    // And the graph check sees such a module once a public entry imports it.
    const graph = reachable([...incidentReaderEntries, 'server/domain/incidents/admin-views.ts']);
    const found = [...graph].flatMap((f) =>
      unguardedIncidentReads(f, readFileSync(path.join(root, f), 'utf8')),
    );
    expect(found.some((m) => m.startsWith('server/domain/incidents/admin-views.ts'))).toBe(true);
  });

  it('would catch a public read of whole update rows, which carry the internal note unnamed', () => {
    const src = 'const rows = await db.select().from(incidentUpdates).where(x);';
    expect(problemsIn('x.ts', src)).toEqual(['x.ts reads whole rows of incidentUpdates']);
    expect(problemsIn('x.ts', 'db.select(publicUpdateColumns).from(incidentUpdates)')).toEqual([]);
    expect(problemsIn('x.ts', '// the internalNote stays out\nconst a = 1;')).toEqual([]);
  });
});
