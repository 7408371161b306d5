// The text/event-stream format (WHATWG HTML §9.2), parsed from decoded text as it arrives.
// EventSource cannot send an Authorization header, so the dashboard reads event streams with
// fetch and this parser (no DOM: unit-tested in Node).

export interface SseEvent {
  event: string;
  data: string;
  /** The stream's last event id after this event (ids persist until changed). */
  id: string | null;
}

export class SseParser {
  lastEventId: string | null = null;
  /** The server's reconnection delay in ms (`retry:`), when it sent one. */
  retryMs: number | null = null;
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private sawCr = false;

  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let input = text;
    // A \r\n split across two chunks: the \n is not a second line break.
    if (this.sawCr && input.startsWith('\n')) input = input.slice(1);
    this.sawCr = input.endsWith('\r');
    this.buffer += input;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) {
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const event = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastEventId };
      this.event = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }
}
