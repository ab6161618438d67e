/** One message as the outbox worker hands it over: already rendered, headers already clean. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers?: Record<string, string>;
  /** RFC 2919 List-Id and RFC 8058 one-click unsubscribe; nodemailer formats and cleans them. */
  list?: { id: string; name: string; unsubscribeUrl: string };
}
