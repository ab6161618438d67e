import { z } from 'zod';
import { reportCloseReasons, reportKinds, reportStates } from '../../../db/schema/reports.ts';

export { reportStates };
import { emailInput, idList, tokenInput } from '../subscribers/inputs.ts';
import { pickPriorityInput } from '../shared/inputs.ts';

/** 5 MB: a screenshot or a short PDF, not a screen recording. */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

const answer = (max: number) =>
  z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(max, `must be at most ${max.toLocaleString('en')} characters`);

export const attachmentInput = z.object({
  fileName: z.string().trim().min(1).max(200),
  contentType: z.string().max(100),
  bytes: z.instanceof(Uint8Array),
});
export type AttachmentInput = z.infer<typeof attachmentInput>;

export const reportAnswersInput = z.object({
  kind: z.enum(reportKinds, { error: 'pick one: broken, or something new' }),
  priority: pickPriorityInput,
  whatHappened: answer(5000),
  expected: answer(5000),
  reproduce: answer(5000),
  affected: answer(2000),
  startedWhen: answer(200),
  componentIds: idList.optional(),
  attachment: attachmentInput.nullish(),
});
export type ReportAnswersInput = z.input<typeof reportAnswersInput>;
/** What an adapter hands over before parsing: every answer may be missing or wrong. */
export type ReportAnswersRaw = { [K in keyof ReportAnswersInput]?: unknown };

export const requestReportLinkInput = z.object({ email: emailInput });

export const fileReportWithLinkInput = reportAnswersInput.extend({ token: tokenInput });

export const reportActions = ['accept', 'rerate', 'declare', 'merge', 'close'] as const;
export type ReportAction = (typeof reportActions)[number];

export const decideReportInput = z
  .strictObject({
    reportId: z.string().min(1),
    action: z.enum(reportActions, { error: 'must be accept, rerate, declare, merge or close' }),
    priority: pickPriorityInput.optional(),
    reason: z.string().trim().max(2000).optional(),
    incidentId: z.string().min(1).optional(),
    closeReason: z.enum(reportCloseReasons).optional(),
    /** The incident's public title when declaring: the PM's words, never the reporter's. */
    title: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  })
  .superRefine((v, ctx) => {
    const need = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (v.action === 'rerate') {
      if (v.priority === undefined) need('priority', 'pick the new priority');
      if (!v.reason) need('reason', 'say why: the reporter is told');
    }
    if (v.action === 'declare' && !v.title)
      need('title', 'write what customers notice: the title is public, the report is not');
    if (v.action === 'merge' && !v.incidentId) need('incidentId', 'pick the open incident');
    if (v.action === 'close') {
      if (!v.closeReason) need('closeReason', 'pick why it is closed');
      if (!v.reason) need('reason', 'write a note to the reporter');
    }
  });
export type DecideReportInput = z.input<typeof decideReportInput>;

export const escalateReportInput = z.object({
  token: tokenInput,
  reason: answer(2000),
});
