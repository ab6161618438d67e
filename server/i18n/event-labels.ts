import type { WebhookEvent } from '../../db/schema/enums.ts';
import type { MessageKey, Translator } from './catalogue.ts';

// What a visitor reads for a webhook event (the subscribe form, a webhook's manage page): one
// label per event Herald sends, so a new event cannot reach those pages without words.
const labels: Record<WebhookEvent | 'test', MessageKey> = {
  'incident.created': 'sub.eventCreated',
  'incident.updated': 'sub.eventUpdated',
  'incident.resolved': 'sub.eventResolved',
  'component.updated': 'sub.eventComponent',
  maintenance: 'sub.eventMaintenance',
  'maintenance.switch': 'sub.eventSwitch',
  test: 'sub.eventTest',
};

/** A webhook event in the reader's words; one Herald does not know is shown as stored. */
export function eventLabel(tr: Translator, event: string): string {
  return Object.hasOwn(labels, event) ? tr.t(labels[event as keyof typeof labels]) : event;
}
