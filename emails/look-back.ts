import { type LookBackFigures, lookBackLines } from '../server/domain/record/look-back-figures.ts';
import { html, type RenderedEmail } from './layout.ts';

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
  const text = [
    `How the incident process went from ${d.fromDay} to ${d.toDay} (drills not counted):`,
    '',
    ...lines.map((l) => `- ${l}`),
    '',
    `The figures: ${d.pageUrl}`,
    '',
    '--',
    `${d.pageName} status page (Herald)`,
  ].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${subject}</title>
      </head>
      <body
        style="margin:0;padding:0;background:#f4f4f5;color:#18181b;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5"
      >
        <div style="max-width:600px;margin:0 auto;padding:16px">
          <div style="background:#ffffff;border-radius:6px;padding:20px">
            <h1 style="margin:0 0 12px;font-size:20px">Incident look back</h1>
            <p style="margin:0 0 12px">
              How the incident process went from ${d.fromDay} to ${d.toDay} (drills not counted):
            </p>
            <ul style="margin:0 0 12px;padding-left:20px">
              ${lines.map((l) => html`<li>${l}</li>`)}
            </ul>
            <p style="margin:16px 0 0"><a href="${d.pageUrl}">Open the look back</a></p>
          </div>
          <p style="font-size:13px;color:#555;padding:12px 4px">${d.pageName} status page (Herald)</p>
        </div>
      </body>
    </html>`;
  return { subject, text, html: String(body) };
}
