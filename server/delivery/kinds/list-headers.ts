import type { PageContext, Recipient } from '../../domain/broadcasts/send-context.ts';

/** List-Id and the one-click unsubscribe pair of every message to a list's subscriber. */
export function listHeaders(page: PageContext, list: Recipient['list'], unsubscribeUrl: string) {
  return { id: `${list.slug}.${page.host}`, name: `${page.name} ${list.name}`, unsubscribeUrl };
}
