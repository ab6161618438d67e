import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface DrillStartEmailData {
  subject: string;
  pageName: string;
  title: string;
  scenario: string;
  incidentUrl: string;
}

/** To a drill's participants when Herald declares the practice incident. */
export function renderDrillStart(d: DrillStartEmailData): RenderedEmail {
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: `[DRILL] A practice incident has started: "${d.title}". Run it as if it were real: post the first update, keep every promise, give the all-clear, write the post-mortem. Only the drill lists get its emails; it never appears on the public page.`,
    blocks: [{ heading: 'Scenario', text: d.scenario }],
    action: { label: 'Open the drill incident', url: d.incidentUrl },
    why: 'You get this email because you are a participant in this drill.',
  });
}
