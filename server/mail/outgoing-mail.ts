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
  /**
   * A broadcast copy rendered once for many recipients, with a stand-in where this recipient's
   * `token` goes: the transport builds the source from it without composing the whole message
   * again (`text`, `html`, `subject` and `list` above are this copy with the token in place).
   */
  shared?: { copy: SharedCopy; token: string };
}

/** One rendering of a broadcast for every recipient of a list and language. */
export interface SharedCopy {
  subject: string;
  text: string;
  html: string;
  /** With the stand-in in the unsubscribe URL. */
  list?: { id: string; name: string; unsubscribeUrl: string };
  /** Letters and digits standing in for each recipient's token in `text` and `html`. */
  standIn: string;
}
