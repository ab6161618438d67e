import { headerText, html, layout, type RenderedEmail } from './layout.ts';

export interface WebhookPausedData {
  pageName: string;
  webhookUrl: string;
  failures: number;
  lastError: string | null;
  adminUrl: string;
}

/** To the admins: a webhook failed too often in a row and Herald stopped sending to it. */
export function renderWebhookPaused(d: WebhookPausedData): RenderedEmail {
  const subject = headerText(
    `${d.pageName} Status: a webhook was paused after ${d.failures} failures`,
  );
  const text = [
    `Herald stopped sending to ${d.webhookUrl}: its last ${d.failures} deliveries failed.`,
    d.lastError ? `The last error: ${d.lastError}` : '',
    '',
    `Fix the receiver, then open ${d.adminUrl} and send a test: a test that gets through resumes the webhook.`,
  ]
    .filter((l, i) => l !== '' || i === 2)
    .join('\n');
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">A webhook was paused</h1>
    <p style="margin:0 0 12px">
      Herald stopped sending to <strong>${d.webhookUrl}</strong>: its last ${d.failures}
      deliveries failed.
    </p>
    ${d.lastError ? html`<p style="margin:0 0 12px">The last error: ${d.lastError}</p>` : ''}
    <p style="margin:0">
      Fix the receiver, then <a href="${d.adminUrl}">open the webhook</a> and send a test: a test
      that gets through resumes it.
    </p>`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: `Deliveries to ${d.webhookUrl} are paused.`,
      body,
      footer: { pageName: d.pageName, listName: 'admins' },
    }),
  };
}
