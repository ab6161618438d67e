import { headerText, html, layout, type RenderedEmail, textFooter } from './layout.ts';

export interface MaintenanceSwitchEmailData {
  pageName: string;
  listName: string;
  on: boolean;
  /** What visitors see while it is on. */
  message: string | null;
  /** "14:30 UTC" or null when no end is expected. */
  until: string | null;
  by: string;
  pageUrl: string;
  manageUrl: string;
  unsubscribeUrl: string;
}

/** To internal lists: the emergency maintenance switch went on or off. */
export function renderMaintenanceSwitch(d: MaintenanceSwitchEmailData): RenderedEmail {
  const subject = d.on
    ? `MAINTENANCE SWITCH ON: ${headerText(d.pageName).toUpperCase()} SHOWS THE MAINTENANCE PAGE`
    : `MAINTENANCE SWITCH OFF: ${headerText(d.pageName).toUpperCase()} IS BACK`;
  const lead = d.on
    ? `${d.by} switched maintenance on: the product shows the maintenance page${d.until ? ` until about ${d.until}` : ''}.`
    : `${d.by} switched maintenance off: the maintenance page is down and the product is back.`;
  const text = [
    lead,
    ...(d.on && d.message ? ['', 'Visitors see:', d.message] : []),
    '',
    `Status page: ${d.pageUrl}`,
    '',
    '--',
    textFooter(d),
  ].join('\n');
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">
      Maintenance switch ${d.on ? 'ON' : 'OFF'}
    </h1>
    <p style="margin:0 0 12px">${lead}</p>
    ${
      d.on && d.message
        ? html`<p style="margin:0 0 4px;font-weight:bold">Visitors see:</p>
          <p style="margin:0 0 12px">${d.message}</p>`
        : ''
    }
    <p style="margin:0"><a href="${d.pageUrl}">${d.pageUrl}</a></p>`;
  return {
    subject,
    text,
    html: layout({ title: subject, preheader: lead, body, footer: d }),
  };
}
