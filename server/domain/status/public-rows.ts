import { incidentUpdates } from '../../../db/schema/index.ts';
import { type PublicText, publicText } from '../shared/audience.ts';

/**
 * The columns of an incident update a public reader is given: everything but the internal
 * note and the priority-change reason. The public read path selects only these, so internal
 * text never leaves the database for a public surface, and `PublicUpdateRow` has no field a
 * renderer could leak.
 */
export const publicUpdateColumns = {
  id: incidentUpdates.id,
  incidentId: incidentUpdates.incidentId,
  status: incidentUpdates.status,
  statusChanged: incidentUpdates.statusChanged,
  body: incidentUpdates.body,
  // The PM's own translations of the public text (never of the internal note).
  translations: incidentUpdates.translations,
  notify: incidentUpdates.notify,
  nextUpdateDueAt: incidentUpdates.nextUpdateDueAt,
  automatic: incidentUpdates.automatic,
  displayAt: incidentUpdates.displayAt,
  createdAt: incidentUpdates.createdAt,
  updatedAt: incidentUpdates.updatedAt,
};

type Selected = Pick<typeof incidentUpdates.$inferSelect, keyof typeof publicUpdateColumns>;

export type PublicUpdateRow = Omit<Selected, 'body'> & { body: PublicText };

export const asPublicUpdate = (r: Selected): PublicUpdateRow => ({
  ...r,
  body: publicText(r.body),
});
