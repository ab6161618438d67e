import { html, layout, type RenderedEmail, textFooter } from './layout.ts';

export interface ConfirmationEmailData {
  pageName: string;
  listName: string;
  confirmUrl: string;
  /** "Nov 28, 2026" */
  expiresOn: string;
}

/** Double opt-in: the link lands on a page whose button confirms (mail scanners open links). */
export function renderConfirmation(d: ConfirmationEmailData): RenderedEmail {
  const subject = `Confirm your subscription to ${d.pageName} status updates`;
  const text = [
    `Someone (hopefully you) asked to receive ${d.pageName} status updates on the ${d.listName} list at this address.`,
    '',
    `Confirm here: ${d.confirmUrl}`,
    '',
    `The link works until ${d.expiresOn}. If you did not ask for this, ignore this email: nothing will be sent to you.`,
    '',
    '--',
    textFooter({ pageName: d.pageName, listName: d.listName }),
  ].join('\n');
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">Confirm your subscription</h1>
    <p style="margin:0 0 12px">
      Someone (hopefully you) asked to receive ${d.pageName} status updates on the
      <strong>${d.listName}</strong> list at this address.
    </p>
    <p style="margin:0 0 16px">
      <a
        href="${d.confirmUrl}"
        style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
        >Confirm subscription</a
      >
    </p>
    <p style="margin:0;font-size:14px;color:#555">
      The link works until ${d.expiresOn}. If you did not ask for this, ignore this email: nothing
      will be sent to you.
    </p>`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: 'One click to confirm.',
      body,
      footer: { pageName: d.pageName, listName: d.listName },
    }),
  };
}
