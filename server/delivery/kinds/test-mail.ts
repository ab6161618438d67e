import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /**
     * A message rendered when it was queued: the admin's test of an incident email, as
     * previewed, or a note to the admins (a webhook paused).
     */
    test: { subject: string; text: string; html: string };
  }
}

export const testMailKinds = {
  test: emailKind<'test'>((_ctx, m) => ({
    to: m.toAddress,
    subject: m.payload.subject,
    text: m.payload.text,
    html: m.payload.html,
    messageId: m.messageId,
  })),
};
