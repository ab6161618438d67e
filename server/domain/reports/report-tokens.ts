import { createHmac } from 'node:crypto';

// Report links follow the subscriber links: HMAC of a random row id with the server's link key,
// so the outbox can render the same link at send time while the database keeps only a hash.

const mac = (key: string, msg: string) => createHmac('sha256', key).update(msg).digest('base64url');

/** Behind the one-time "file a report" link sent to a company address. */
export function reportLinkToken(key: string, linkId: string, expiresAt: Date): string {
  return mac(key, `report-link:${linkId}:${expiresAt.getTime()}`);
}

/** Behind the reporter's private status page; stable for the report's life. */
export function reportStatusToken(key: string, reportId: string): string {
  return mac(key, `report-status:${reportId}`);
}

export const reportLinkUrl = (baseUrl: string, token: string) => `${baseUrl}/report/${token}`;
export const reportStatusUrl = (baseUrl: string, token: string) =>
  `${baseUrl}/report/status/${token}`;
export const adminReportUrl = (baseUrl: string, reportId: string) =>
  `${baseUrl}/admin/reports/${reportId}`;
