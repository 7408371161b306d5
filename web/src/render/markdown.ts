// Messages as Markdown, safely: session content is hostile input. Raw HTML in a message is
// shown as text (people paste markup they mean literally), and the rendered HTML then goes
// through DOMPurify, which removes script, event handlers and javascript: URLs anyway.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

/** Beyond this, a message is shown as plain text: parsing Markdown of that size would stall the page. */
const MAX_MARKDOWN_CHARS = 200_000;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    // An image from elsewhere would tell that site who reads the session (and the CSP would
    // refuse it anyway): it becomes a link. Embedded data: images are shown.
    image: ({ href, text }) =>
      /^data:image\/(png|gif|jpeg|webp);/i.test(href)
        ? `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`
        : `<a href="${escapeHtml(href)}">[image: ${escapeHtml(text || href)}]</a>`,
  },
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

const PURIFY = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['style', 'srcset', 'action', 'formaction'],
  ALLOW_DATA_ATTR: false,
};

/** Sanitized HTML for a message's Markdown. */
export function markdownHtml(text: string): string {
  if (text.length > MAX_MARKDOWN_CHARS) return `<pre>${escapeHtml(text)}</pre>`;
  return DOMPurify.sanitize(marked.parse(text) as string, PURIFY);
}
