import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A private Marked instance: options set here never leak into another caller's parser. HTML
// typed into the Markdown ("users of <Chrome>", "ssh <host>", "<b>") is text, shown as typed:
// post-mortems and runbooks are written in Markdown, and a tag the sanitizer dropped would take
// the words along.
const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html: ({ text, block }) => (block ? `<p>${escapeHtml(text.trim())}</p>\n` : escapeHtml(text)),
  },
});

const allowedTags = [
  ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'img'),
  'del',
  'input',
];

/** Markdown as HTML, raw HTML in it as escaped text; still to be sanitised by the caller. */
export function markdownToHtml(markdown: string): string {
  return marked.parse(markdown) as string;
}

/**
 * Post-mortem Markdown as HTML that is safe on the page, in feeds and in email: Marked renders
 * (raw HTML as escaped text), and sanitize-html keeps only plain formatting (no script, no event
 * handlers, no style, no images that track readers) and only http(s) and mailto links.
 */
export function renderMarkdown(markdown: string): string {
  const rendered = markdownToHtml(markdown);
  return sanitizeHtml(rendered, {
    allowedTags,
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      th: ['align'],
      td: ['align'],
      input: ['type', 'checked', 'disabled'],
      code: ['class'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener' }),
    },
    exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
  });
}
