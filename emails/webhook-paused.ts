import { headerText, html, layout, type RenderedEmail } from './layout.ts';

export interface WebhookPausedData {
  pageName: string;
  /** Which one, without its URL (a chat URL is itself a secret): "the Slack channel at hooks.slack.com". */
  channel: string;
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
    `Herald paused ${d.channel}: its last ${d.failures} deliveries failed.`,
    d.lastError ? `The last error: ${d.lastError}` : '',
    'Nothing is lost: its deliveries wait in order, and Herald still tries the oldest now and then.',
    '',
    `Fix the receiver, or give the webhook its new URL, at ${d.adminUrl}: a test that gets through resumes it and sends what waits.`,
  ]
    .filter((l, i) => l !== '' || i === 3)
    .join('\n');
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">A webhook was paused</h1>
    <p style="margin:0 0 12px">
      Herald paused <strong>${d.channel}</strong>: its last ${d.failures} deliveries failed.
    </p>
    ${d.lastError ? html`<p style="margin:0 0 12px">The last error: ${d.lastError}</p>` : ''}
    <p style="margin:0 0 12px">
      Nothing is lost: its deliveries wait in order, and Herald still tries the oldest now and
      then.
    </p>
    <p style="margin:0">
      Fix the receiver, or give the webhook its new URL, on
      <a href="${d.adminUrl}">its page</a>: a test that gets through resumes it and sends what
      waits.
    </p>`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: `Deliveries to ${d.channel} are paused; nothing is lost.`,
      body,
      footer: { pageName: d.pageName, listName: 'admins' },
    }),
  };
}
