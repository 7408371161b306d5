import type { ConversationItem, ConversationsPage, SessionSummary } from './types.js';
import { parseRecordBytes } from './session-reader.js';

/** A listed session whose head and tail records are their JSON text (UTF-8), as read from the file. */
export interface RawConversationItem extends SessionSummary {
  head: Buffer[];
  tail: Buffer[];
}

/** A page of the listing with raw records: the HTTP layer splices them into the response as they are. */
export interface RawConversationsPage extends Omit<ConversationsPage, 'items'> {
  items: RawConversationItem[];
}

/** The same page with every record parsed. */
export function parsePage(page: RawConversationsPage): ConversationsPage {
  return {
    ...page,
    items: page.items.map((item): ConversationItem => ({ ...item, head: item.head.map(parseRecordBytes), tail: item.tail.map(parseRecordBytes) })),
  };
}
