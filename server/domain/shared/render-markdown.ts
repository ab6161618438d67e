import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

// A private Marked instance: options set here never leak into another caller's parser.
const marked = new Marked({ gfm: true, breaks: false, async: false });

const allowedTags = [
  ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'img'),
  'del',
  'input',
];

/**
 * Post-mortem Markdown as HTML that is safe on the page, in feeds and in email: Marked renders,
 * sanitize-html keeps only plain formatting (no script, no event handlers, no style, no images
 * that track readers) and only http(s) and mailto links.
 */
export function renderMarkdown(markdown: string): string {
  const rendered = marked.parse(markdown) as string;
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
