import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

// Runbooks are Markdown written by staff; rendered HTML still goes through sanitize-html, so a
// pasted <script> or javascript: link never reaches a responder's browser.
const marked = new Marked({ gfm: true, breaks: false });

export const RUNBOOK_STALE_DAYS = 90;

export function renderRunbook(markdown: string): string {
  const raw = marked.parse(markdown, { async: false });
  return sanitizeHtml(raw, {
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
