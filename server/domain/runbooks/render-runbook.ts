import sanitizeHtml from 'sanitize-html';
import { markdownToHtml } from '../shared/render-markdown.ts';

// Runbooks are Markdown written by staff: HTML typed in them ("ssh <host>") shows as text, and
// the rendered HTML still goes through sanitize-html, so a javascript: link never reaches a
// responder's browser.

export const RUNBOOK_STALE_DAYS = 90;

export function renderRunbook(markdown: string): string {
  return sanitizeHtml(markdownToHtml(markdown), {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'h1', 'h2', 'img', 'del'],
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'], code: ['class'] },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    transformTags: {
      a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer' }),
    },
  });
}

export function isStale(lastReviewedAt: Date, now: Date): boolean {
  return now.getTime() - lastReviewedAt.getTime() > RUNBOOK_STALE_DAYS * 86_400_000;
}
