import type { ComponentStatus } from '../../../db/schema/enums.ts';
import { formatLong, formatShort } from '../shared/zoned-time.ts';
import { componentStatusLabels, impactLabel } from '../status/labels.ts';
import { formatDuration, type MeasuredImpact } from './impact.ts';
import {
  type InternalText,
  internalText,
  type PublicText,
  publicText,
} from '../shared/audience.ts';

/**
 * What "Start from the timeline" reads, split by audience at the source: `incident` and `public`
 * hold only what the page already showed (title, impact, times, public update text, component
 * impact); `internal` holds the record (the priority, its changes and their reasons, changes,
 * decisions, facts, action items, remediation) with the staff names in it.
 */
export interface TemplateData {
  incident: { title: string; impact: string; startedAt: Date; resolvedAt: Date | null };
  public: {
    impact: { name: string; measured: MeasuredImpact }[];
    timeline: { at: Date; label: string; text: PublicText }[];
  };
  internal: {
    /** The team's priority now; customers hear the impact instead. */
    priority: number;
    priorityChanges: { at: Date; from: number; to: number; reason: string }[];
    changes: {
      at: Date;
      what: string;
      target: string;
      ranBy: string;
      reviewed: boolean;
      /** "review requested from Ben" until Ben confirms (`changeReviewText`). */
      review: string;
      backupTaken: boolean;
      recordsTouched: number | null;
      triedOnSample: boolean;
    }[];
    decisions: { at: Date; decision: string; why: string | null; by: string }[];
    facts: { text: string; answer: string }[];
    actionItems: { title: string; kind: string; owner: string; dueAt: Date; state: string }[];
    remediation: { what: string; priority: number; owner: string | null; state: string }[];
  };
}

export interface PostmortemParts {
  publicBody: PublicText;
  internalBody: InternalText;
}

/** Markdown text from a user: one line, with Markdown's own markup characters escaped. */
function md(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/([\\`*_{}[\]()#+!|<>~-])/g, '\\$1');
}

/**
 * The blameless template "Start from the timeline" fills in, as two parts. The public part
 * says what customers saw (the public updates and the measured component impact) and leaves
 * room for the summary and what will change; the internal part carries the record and the
 * team's questions. It names systems and decisions, never fault.
 */
export function buildPostmortemTemplate(d: TemplateData, tz: string): PostmortemParts {
  return {
    publicBody: publicText(buildPublicPart(d.incident, d.public, tz)),
    internalBody: internalText(buildInternalPart(d.incident, d.internal, tz)),
  };
}

/** "from Nov 21, 12:00 UTC to Nov 21, 13:30 UTC (1 h 30 min)", or "since ..." while open. */
function span(i: TemplateData['incident'], tz: string): string {
  return i.resolvedAt
    ? `from ${formatLong(i.startedAt, tz)} to ${formatLong(i.resolvedAt, tz)} (${formatDuration(i.resolvedAt.getTime() - i.startedAt.getTime())})`
    : `since ${formatLong(i.startedAt, tz)}`;
}

function buildPublicPart(
  i: TemplateData['incident'],
  d: TemplateData['public'],
  tz: string,
): string {
  // Customers hear the impact, as in every public email; the priority is the team's word.
  const what = i.impact === 'none' ? 'Incident' : impactLabel(i.impact);
  const out: string[] = [
    `# Post-mortem: ${md(i.title)}`,
    '',
    '## Summary',
    '',
    `${what} ${span(i, tz)}. _Say in two or three sentences what happened and how it was fixed._`,
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
  out.push(
    '',
    '## What we are changing',
    '',
    '_Say what will keep this from happening again, in words for customers._',
    '',
  );
  return out.join('\n');
}

function buildInternalPart(
  i: TemplateData['incident'],
  d: TemplateData['internal'],
  tz: string,
): string {
  const out: string[] = [
    `# Internal post-mortem: ${md(i.title)}`,
    '',
    '_Blameless: we describe what the systems and the process did, and what we will change. Nobody is at fault for an incident._',
    '',
    `P${d.priority} incident ${span(i, tz)}.`,
    '',
  ];
  if (d.priorityChanges.length > 0) {
    out.push('## Priority changes', '');
    for (const p of d.priorityChanges)
      out.push(`- **${formatShort(p.at, tz)}** P${p.from} to P${p.to}: ${md(p.reason)}`);
    out.push('');
  }
  out.push('## Steps taken', '');
  if (d.changes.length === 0) out.push('No change to production was logged.');
  for (const c of d.changes)
    out.push(
      `- **${formatShort(c.at, tz)}** on ${md(c.target)}: \`${c.what.replace(/\s+/g, ' ').replace(/`/g, "'")}\` (ran by ${md(c.ranBy)}, ${c.reviewed ? md(c.review) : '**not reviewed**'}; backup ${c.backupTaken ? 'taken' : 'not taken'}; ${c.recordsTouched === null ? 'records touched unknown' : `${c.recordsTouched} records touched`}; ${c.triedOnSample ? 'tried on a handful first' : 'not tried on a handful first'})`,
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
  if (d.remediation.length > 0) {
    out.push('', '## Remediation', '');
    for (const r of d.remediation)
      out.push(
        `- P${r.priority} ${md(r.what)} (${r.state.replace('_', ' ')}${r.owner ? `, ${md(r.owner)}` : ''})`,
      );
  }
  out.push('');
  return out.join('\n');
}
