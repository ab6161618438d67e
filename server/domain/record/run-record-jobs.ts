import type { DomainDeps } from '../shared/deps.ts';
import { proposeFollowUps } from './propose-follow-ups.ts';
import { sendDueFollowUps } from './send-due-follow-ups.ts';
import { sendActionItemReminders } from './send-action-item-reminders.ts';
import { sendLookBack } from './send-look-back.ts';

export type RecordJobEvent =
  | { job: 'follow_up_proposed'; incidentId: string; scheduledFor: Date }
  | { job: 'follow_up_sent'; incidentId: string; broadcastId: string | null; recipients: number }
  | { job: 'look_back'; lookBackId: string; recipients: number }
  | {
      job: 'action_item_reminder';
      actionItemId: string;
      reminder: 'before' | 'overdue';
      sentTo: string | null;
    };

/**
 * What the record needs from the clock, in one scheduler task: follow-ups proposed after a
 * P0/P1 all-clear and sent once at their time; action item reminders, once each; the admins'
 * look back every LOOK_BACK_DAYS. Each step claims its rows with a conditional write, so
 * several Herald processes can run it together.
 */
export async function runRecordJobs(deps: DomainDeps): Promise<RecordJobEvent[]> {
  const out: RecordJobEvent[] = [];
  for (const p of await proposeFollowUps(deps)) out.push({ job: 'follow_up_proposed', ...p });
  for (const s of await sendDueFollowUps(deps)) out.push({ job: 'follow_up_sent', ...s });
  for (const r of await sendActionItemReminders(deps))
    out.push({ job: 'action_item_reminder', ...r });
  for (const l of await sendLookBack(deps)) out.push({ job: 'look_back', ...l });
  return out;
}
