import { html, lines, type RenderedEmail } from './layout.ts';

type Html = ReturnType<typeof html>;

/** One paragraph of an email about a report: plain text, escaped in the HTML part. */
export interface Block {
  heading?: string;
  text: string;
}

/**
 * The frame of the mails about reports and triage. They go to one person (the reporter, the
 * people on duty, the final authority), so there is no list footer or unsubscribe link; every
 * value is escaped by hono/html.
 */
export function reportEmail(d: {
  subject: string;
  pageName: string;
  intro: string;
  blocks: Block[];
  action: { label: string; url: string };
  why: string;
}): RenderedEmail {
  const text = [
    d.intro,
    '',
    ...d.blocks.flatMap((b) => [...(b.heading ? [`${b.heading}:`] : []), b.text, '']),
    `${d.action.label}: ${d.action.url}`,
    '',
    '--',
    `${d.pageName} status page (Herald). ${d.why}`,
  ].join('\n');
  const blocks: Html[] = d.blocks.map(
    (b) =>
      html`${b.heading ? html`<p style="margin:0 0 4px;font-weight:bold">${b.heading}</p>` : ''}
        <p style="margin:0 0 12px">${lines(b.text)}</p>`,
  );
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${d.subject}</title>
      </head>
      <body
        style="margin:0;padding:0;background:#f4f4f5;color:#18181b;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5"
      >
        <div style="max-width:600px;margin:0 auto;padding:16px">
          <div style="background:#ffffff;border-radius:6px;padding:20px">
            <p style="margin:0 0 12px">${lines(d.intro)}</p>
            ${blocks}
            <p style="margin:16px 0">
              <a
                href="${d.action.url}"
                style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
                >${d.action.label}</a
              >
            </p>
          </div>
          <p style="font-size:13px;color:#555;padding:12px 4px">
            ${d.pageName} status page (Herald). ${d.why}
          </p>
        </div>
      </body>
    </html>`;
  return { subject: d.subject, text, html: String(body) };
}
