import { type LookBackFigures, lookBackLines } from '../server/domain/record/look-back-figures.ts';
import { html, type RenderedEmail, teamEmail } from './layout.ts';

export interface LookBackData {
  pageName: string;
  /** "Sep 22, 2026" to "Nov 21, 2026". */
  fromDay: string;
  toDay: string;
  figures: LookBackFigures;
  /** The admin page with the same figures. */
  pageUrl: string;
}

/** The admins' periodic look back at the incident process itself. */
export function renderLookBack(d: LookBackData): RenderedEmail {
  const subject = `Incident look back: ${d.fromDay} to ${d.toDay}`;
  const lines = lookBackLines(d.figures);
  return teamEmail({
    pageName: d.pageName,
    subject,
    text: [
      `How the incident process went from ${d.fromDay} to ${d.toDay} (drills not counted):`,
      '',
      ...lines.map((l) => `- ${l}`),
      '',
      `The figures: ${d.pageUrl}`,
    ],
    body: html`
      <h1 style="margin:0 0 12px;font-size:20px">Incident look back</h1>
      <p style="margin:0 0 12px">
        How the incident process went from ${d.fromDay} to ${d.toDay} (drills not counted):
      </p>
      <ul style="margin:0 0 12px;padding-left:20px">
        ${lines.map((l) => html`<li>${l}</li>`)}
      </ul>
      <p style="margin:16px 0 0"><a href="${d.pageUrl}">Open the look back</a></p>
    `,
  });
}
