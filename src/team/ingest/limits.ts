/** Bytes one push request may carry: the agent sends longer files in pieces of this size. */
export const MAX_PUSH_BYTES = 4 * 1024 * 1024;
