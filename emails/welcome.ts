import { html, layout, type RenderedEmail, textFooter } from './layout.ts';

export interface WelcomeEmailData {
  pageName: string;
  listName: string;
  pageUrl: string;
  /** Names of the chosen components, or null for everything. */
  components: string[] | null;
  manageUrl: string;
  unsubscribeUrl: string;
}

export function renderWelcome(d: WelcomeEmailData): RenderedEmail {
  const subject = `You are subscribed to ${d.pageName} status updates`;
  const what = d.components ? `incidents affecting ${d.components.join(', ')}` : 'every incident';
  const text = [
    `You are on the ${d.listName} list. We will email you about ${what} that needs your attention right away.`,
    '',
    `The status page is always at ${d.pageUrl}`,
    '',
    '--',
    textFooter(d),
  ].join('\n');
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">You are subscribed</h1>
    <p style="margin:0 0 12px">
      You are on the <strong>${d.listName}</strong> list. We will email you about ${what} that needs
      your attention right away.
    </p>
    <p style="margin:0">The status page is always at <a href="${d.pageUrl}">${d.pageUrl}</a>.</p>`;
  return {
    subject,
    text,
    html: layout({ title: subject, preheader: `Subscribed to ${d.listName}.`, body, footer: d }),
  };
}
