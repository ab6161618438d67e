import type { ComponentStatus } from '../../../db/schema/enums.ts';
import { formatLong, formatShort } from '../shared/zoned-time.ts';
import { componentStatusLabels } from '../status/labels.ts';
import { formatDuration, type MeasuredImpact } from './impact.ts';

export interface TemplateData {
  incident: { title: string; priority: number; startedAt: Date; resolvedAt: Date | null };
  impact: { name: string; measured: MeasuredImpact }[];
  timeline: { at: Date; label: string; text: string }[];
  changes: {
    at: Date;
    what: string;
    target: string;
    ranBy: string;
    reviewedBy: string | null;
    backupTaken: boolean;
    recordsTouched: number | null;
    triedOnSample: boolean;
  }[];
  decisions: { at: Date; decision: string; why: string | null; by: string }[];
  facts: { text: string; answer: string }[];
  actionItems: { title: string; kind: string; owner: string; dueAt: Date; state: string }[];
}

/** Markdown text from a user: one line, with Markdown's own markup characters escaped. */
function md(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/([\\`*_{}[\]()#+!|<>~-])/g, '\\$1');
}

/**
 * The blameless template "Start from the timeline" fills in: what happened, measured, in the
 * order it happened, and the questions the team answers together. It names systems and
 * decisions, never fault.
 */
export function buildPostmortemTemplate(d: TemplateData, tz: string): string {
  const i = d.incident;
  const span = i.resolvedAt
    ? `from ${formatLong(i.startedAt, tz)} to ${formatLong(i.resolvedAt, tz)} (${formatDuration(i.resolvedAt.getTime() - i.startedAt.getTime())})`
    : `since ${formatLong(i.startedAt, tz)}`;
  const out: string[] = [
    `# Post-mortem: ${md(i.title)}`,
    '',
    '_Blameless: we describe what the systems and the process did, and what we will change. Nobody is at fault for an incident._',
    '',
    '## Summary',
    '',
    `P${i.priority} incident ${span}. _Say in two or three sentences what happened and how it was fixed._`,
    '',
    '## Customer impact',
    '',
  ];
  if (d.impact.length === 0) out.push('No component was marked as affected.');
  for (const c of d.impact) {
    const parts = (Object.entries(c.measured.byStatus) as [ComponentStatus, number][])
      .filter(([, ms]) => ms > 0)
      .map(([s, ms]) => `${componentStatusLabels[s].toLowerCase()} ${formatDuration(ms)}`);
    out.push(
      c.measured.total > 0
        ? `- **${md(c.name)}**: not operational for ${formatDuration(c.measured.total)} (${parts.join(', ')})`
        : `- **${md(c.name)}**: no measured downtime`,
    );
  }
  out.push('', '## Timeline', '');
  for (const e of d.timeline)
    out.push(`- **${formatShort(e.at, tz)}** ${md(e.label)}: ${md(e.text)}`);
  out.push('', '## Steps taken', '');
  if (d.changes.length === 0) out.push('No change to production was logged.');
  for (const c of d.changes)
    out.push(
      `- **${formatShort(c.at, tz)}** on ${md(c.target)}: \`${c.what.replace(/\s+/g, ' ').replace(/`/g, "'")}\` (ran by ${md(c.ranBy)}, ${c.reviewedBy ? `reviewed by ${md(c.reviewedBy)}` : '**not reviewed**'}; backup ${c.backupTaken ? 'taken' : 'not taken'}; ${c.recordsTouched === null ? 'records touched unknown' : `${c.recordsTouched} records touched`}; ${c.triedOnSample ? 'tried on a handful first' : 'not tried on a handful first'})`,
    );
  out.push('', '## Decisions', '');
  if (d.decisions.length === 0) out.push('No decision was logged.');
  for (const x of d.decisions)
    out.push(
      `- **${formatShort(x.at, tz)}** ${md(x.decision)}${x.why ? ` (why: ${md(x.why)})` : ''}, ${md(x.by)}`,
    );
  out.push('', '## Fact sheet', '');
  for (const f of d.facts)
    out.push(`- **${md(f.text)}** ${f.answer ? md(f.answer) : '_not answered_'}`);
  out.push(
    '',
    '## Contributing factors (5 whys)',
    '',
    '1. Why did it happen?',
    '2. Why?',
    '3. Why?',
    '4. Why?',
    '5. Why?',
    '',
    '## What went well',
    '',
    '- ',
    '',
    '## Action items',
    '',
  );
  if (d.actionItems.length === 0)
    out.push('_Add action items on the incident page: owner, kind, due date._');
  for (const a of d.actionItems)
    out.push(
      `- [${a.state === 'open' ? ' ' : 'x'}] ${md(a.title)} (${a.kind}, ${md(a.owner)}, due ${formatShort(a.dueAt, tz)})${a.state === 'wont_do' ? " — won't do" : ''}`,
    );
  out.push('');
  return out.join('\n');
}
