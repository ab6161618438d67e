import type { ImportReport, Progress } from './source.ts';

/** Progress on stderr, one line per step, so stdout keeps only the report. */
export function stderrProgress(): Progress {
  return {
    step: (what, done, total) => process.stderr.write(`${what}: ${done} of ${total}\n`),
    note: (message) => process.stderr.write(`${message}\n`),
  };
}

/** The report an operator reads at the end: what came over, what was there, what could not. */
export function formatReport(r: ImportReport): string {
  const lines = [`Imported from ${r.source}:`];
  for (const [kind, c] of Object.entries(r.counts))
    lines.push(`  ${kind}: ${c.created} new, ${c.existing} already here`);
  if (Object.keys(r.counts).length === 0) lines.push('  nothing');
  if (r.unmapped.length) {
    lines.push(`Could not map ${r.unmapped.length}:`);
    for (const u of r.unmapped) lines.push(`  - ${u}`);
  } else lines.push('Everything was mapped.');
  lines.push('Nobody was emailed.');
  return lines.join('\n');
}
