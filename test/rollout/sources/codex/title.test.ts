import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../../../src/rollout/sources/codex/formats.js';
import { IMAGE_TITLE, isInjectedContext, stripToUserRequest, TitleFinder } from '../../../../src/rollout/sources/codex/title.js';
import { envelopeLines, legacyLines, recordTypeLines, type Line } from '../../../helper.js';

const TS = '2025-09-10T17:24:21.123Z';
const ID = '5973b6c0-94b8-487b-a530-2aeb6098ae0e';

type Raw = Record<string, unknown>;

// Envelope-generation records.
const meta = (): Raw => ({ timestamp: TS, type: 'session_meta', payload: { id: ID, timestamp: TS, cwd: '/p' } });
const userItem = (...texts: string[]): Raw => ({
  timestamp: TS,
  type: 'response_item',
  payload: { type: 'message', role: 'user', content: texts.map((text) => ({ type: 'input_text', text })) },
});
const itemWithContent = (role: string, content: unknown): Raw => ({
  timestamp: TS,
  type: 'response_item',
  payload: { type: 'message', role, content },
});
const assistantItem = (text = 'ok'): Raw => itemWithContent('assistant', [{ type: 'output_text', text }]);
const developerItem = (text: string): Raw => itemWithContent('developer', [{ type: 'input_text', text }]);
const userEvent = (message: string, extra: Raw = {}): Raw => ({
  timestamp: TS,
  type: 'event_msg',
  payload: { type: 'user_message', message, ...extra },
});
const otherEvent = (type: string): Raw => ({ timestamp: TS, type: 'event_msg', payload: { type, message: 'not a title' } });

function titleOf(records: (Raw | Line)[]): string | null {
  const finder = new TitleFinder();
  for (const r of records) finder.feed(normalizeRecord(r as Raw));
  return finder.title;
}

function finderAfter(records: Raw[]): TitleFinder {
  const finder = new TitleFinder();
  for (const r of records) finder.feed(normalizeRecord(r));
  return finder;
}

const INJECTED = [
  '<environment_context>\n  <cwd>/home/u/proj</cwd>\n  <shell>bash</shell>\n</environment_context>',
  '<user_instructions>\nAlways answer in French.\n</user_instructions>',
  '# AGENTS.md instructions for /home/u/proj\n\n<INSTRUCTIONS>\nuse pnpm\n</INSTRUCTIONS>',
  '<INSTRUCTIONS>\nuse pnpm\n</INSTRUCTIONS>',
  '<permissions instructions>\nFilesystem sandboxing: read-only\n</permissions instructions>',
  '<user_shell_command>\n<command>ls</command>\n<result>a b</result>\n</user_shell_command>',
  '<turn_aborted>\nThe user interrupted the previous turn.\n</turn_aborted>',
];

describe('isInjectedContext', () => {
  it.each(INJECTED)('recognises injected context %j', (text) => {
    expect(isInjectedContext(text)).toBe(true);
  });

  it('recognises injected context after leading whitespace and in any case', () => {
    expect(isInjectedContext('\n\n  <environment_context>x</environment_context>')).toBe(true);
    expect(isInjectedContext('# agents.md instructions for /x')).toBe(true);
    expect(isInjectedContext('<instructions>x</instructions>')).toBe(true);
  });

  it.each(['fix the failing test', 'please read <environment_context> and explain', '# Title\nbody', '', '<div>hi</div>'])(
    'does not take %j for injected context',
    (text) => {
      expect(isInjectedContext(text)).toBe(false);
    },
  );
});

describe('stripToUserRequest', () => {
  it('keeps what follows the request marker, trimmed', () => {
    expect(stripToUserRequest('# Context from my IDE setup:\n\n## Open tabs:\n- a.ts\n\n## My request for Codex:\n  fix the bug  \n')).toBe(
      'fix the bug',
    );
  });

  it('trims a message without the marker', () => {
    expect(stripToUserRequest('  hello world \n')).toBe('hello world');
  });

  it('returns an empty string when nothing follows the marker', () => {
    expect(stripToUserRequest('## My request for Codex:\n   ')).toBe('');
  });
});

describe('TitleFinder', () => {
  it('finds nothing in nothing', () => {
    const finder = new TitleFinder();
    expect(finder.title).toBeNull();
    expect(finder.done).toBe(false);
  });

  it('takes the user_message event over the response item before it', () => {
    const finder = finderAfter([meta(), userItem('text as sent to the model'), userEvent('text as typed')]);
    expect(finder.title).toBe('text as typed');
    expect(finder.done).toBe(true);
  });

  it('stops at the first user_message event', () => {
    expect(titleOf([meta(), userEvent('first'), userEvent('second'), userItem('third')])).toBe('first');
  });

  it('takes a user_message event even when it comes before any response item', () => {
    expect(titleOf([meta(), userEvent('typed first')])).toBe('typed first');
  });

  it('falls back to the first user response item when there is no event', () => {
    const finder = finderAfter([meta(), userItem('from the item')]);
    expect(finder.title).toBe('from the item');
    expect(finder.done).toBe(false);
  });

  it('takes a plain-string content of a user response item', () => {
    expect(titleOf([itemWithContent('user', '  string content  ')])).toBe('string content');
  });

  it('takes the first non-injected text part of a user response item', () => {
    expect(titleOf([userItem(INJECTED[0]!, INJECTED[1]!, 'the real request', 'more')])).toBe('the real request');
  });

  it('keeps the first candidate when several user response items follow one another', () => {
    expect(titleOf([userItem('first'), userItem('second')])).toBe('first');
  });

  it.each(INJECTED)('never takes injected context %j from a response item', (text) => {
    expect(titleOf([meta(), userItem(text)])).toBeNull();
    expect(titleOf([meta(), userItem(text), userItem('real one')])).toBe('real one');
    expect(titleOf([meta(), itemWithContent('user', text)])).toBeNull();
  });

  it.each(INJECTED)('never takes injected context %j from a user_message event', (text) => {
    expect(titleOf([meta(), userEvent(text)])).toBeNull();
    expect(titleOf([meta(), userEvent(text), userEvent('typed')])).toBe('typed');
  });

  it('skips a whole run of injected messages (as Codex writes them) to the real one', () => {
    const records = [
      meta(),
      developerItem('<permissions instructions>\nread-only\n</permissions instructions>'),
      userItem(INJECTED[2]!),
      userItem(INJECTED[0]!),
      { timestamp: TS, type: 'world_state', payload: { full: true } },
      { timestamp: TS, type: 'turn_context', payload: { cwd: '/p' } },
      otherEvent('task_started'),
      userItem('run the linter (#1)'),
      otherEvent('item_completed'),
      assistantItem(),
    ];
    expect(titleOf(records)).toBe('run the linter (#1)');
  });

  it('strips everything up to "## My request for Codex:" in events and in response items', () => {
    const ide = '# Context from my IDE setup:\n\n## Active file: src/a.ts\n\n## My request for Codex:\nexplain this function\n';
    expect(titleOf([userEvent(ide)])).toBe('explain this function');
    expect(titleOf([userItem(ide)])).toBe('explain this function');
  });

  it('titles an image-only user_message event "[Image]" (images or local_images)', () => {
    expect(IMAGE_TITLE).toBe('[Image]');
    expect(titleOf([userEvent('', { images: ['data:image/png;base64,AAAA'] })])).toBe('[Image]');
    expect(titleOf([userEvent('', { local_images: ['/tmp/shot.png'] })])).toBe('[Image]');
    expect(titleOf([userEvent('   ', { images: [], local_images: ['/tmp/shot.png'] })])).toBe('[Image]');
  });

  it('prefers the text of an event that has both text and images', () => {
    expect(titleOf([userEvent('what is in this picture?', { images: ['data:image/png;base64,AAAA'] })])).toBe(
      'what is in this picture?',
    );
  });

  it('ignores an event with neither text nor images and keeps searching', () => {
    const finder = finderAfter([userEvent('', { images: [], local_images: [] })]);
    expect(finder.title).toBeNull();
    expect(finder.done).toBe(false);
    finder.feed(normalizeRecord(userEvent('then text')));
    expect(finder.title).toBe('then text');
  });

  it('titles an image-only user response item "[Image]"', () => {
    expect(titleOf([itemWithContent('user', [{ type: 'input_image', image_url: 'data:image/png;base64,AAAA' }])])).toBe('[Image]');
  });

  it('titles a response item with injected text and an image "[Image]"', () => {
    expect(
      titleOf([itemWithContent('user', [{ type: 'input_text', text: INJECTED[0] }, { type: 'input_image', image_url: 'data:,' }])]),
    ).toBe('[Image]');
  });

  it('prefers text over an image in the same response item, wherever the image sits', () => {
    expect(
      titleOf([itemWithContent('user', [{ type: 'input_image', image_url: 'data:,' }, { type: 'input_text', text: 'describe it' }])]),
    ).toBe('describe it');
  });

  it('does not take an empty or content-less user response item', () => {
    expect(titleOf([itemWithContent('user', [])])).toBeNull();
    expect(titleOf([itemWithContent('user', [{ type: 'input_text', text: '   ' }])])).toBeNull();
    expect(titleOf([itemWithContent('user', null)])).toBeNull();
    expect(titleOf([itemWithContent('user', '')])).toBeNull();
  });

  it('ignores user_message events whose kind is not "plain"', () => {
    expect(titleOf([userEvent('injected by kind', { kind: 'user_instructions' })])).toBeNull();
    expect(titleOf([userEvent('injected by kind', { kind: 'environment_context' }), userEvent('real', { kind: 'plain' })])).toBe(
      'real',
    );
    expect(titleOf([userEvent('plain one', { kind: 'plain' })])).toBe('plain one');
  });

  it('ignores event kinds other than user_message and roles other than user', () => {
    expect(
      titleOf([otherEvent('agent_message'), otherEvent('task_started'), assistantItem('assistant text'), developerItem('dev text')]),
    ).toBeNull();
  });

  it('does not end the search at non-user response items while there is no candidate', () => {
    const finder = finderAfter([meta(), developerItem('dev'), assistantItem(), userItem(INJECTED[0]!), assistantItem()]);
    expect(finder.done).toBe(false);
    finder.feed(normalizeRecord(userItem('late request')));
    expect(finder.title).toBe('late request');
  });

  it('ends the search at the next non-user response item once a candidate exists', () => {
    const finder = finderAfter([meta(), userItem('candidate'), otherEvent('item_completed'), assistantItem()]);
    expect(finder.done).toBe(true);
    expect(finder.title).toBe('candidate');
    finder.feed(normalizeRecord(userEvent('too late')));
    finder.feed(normalizeRecord(userItem('also too late')));
    expect(finder.title).toBe('candidate');
  });

  it('ends the search at a non-message response item (function call) after a candidate', () => {
    const call = { timestamp: TS, type: 'response_item', payload: { type: 'function_call', name: 'shell', arguments: '{}' } };
    expect(titleOf([userItem('candidate'), call, userEvent('too late')])).toBe('candidate');
  });

  it('lets an event between the candidate and the next non-user item win', () => {
    expect(titleOf([userItem('candidate'), otherEvent('item_completed'), userEvent('typed'), assistantItem()])).toBe('typed');
  });

  it('ignores everything once done', () => {
    const finder = finderAfter([userEvent('done here')]);
    finder.feed(normalizeRecord(userEvent('other')));
    finder.feed(normalizeRecord(userItem('other')));
    expect(finder.title).toBe('done here');
  });

  it('reports no title when the search was ended from outside before anything was found', () => {
    const finder = new TitleFinder();
    finder.done = true;
    finder.feed(normalizeRecord(userEvent('after the bound')));
    expect(finder.title).toBeNull();
  });

  it('finds the title in each format generation written by the fixtures', () => {
    const stamp = '2025-06-01T10-00-00';
    expect(titleOf(envelopeLines({ stamp, id: ID, title: 'envelope title' }))).toBe('envelope title');
    expect(titleOf(envelopeLines({ stamp, id: ID, title: null }))).toBeNull();
    expect(titleOf(recordTypeLines({ stamp, id: ID, title: 'record_type title' }))).toBe('record_type title');
    expect(titleOf(legacyLines({ stamp, id: ID, title: 'legacy title' }))).toBe('legacy title');
  });

  it('reads a record_type-era event with its body under msg', () => {
    expect(titleOf([{ record_type: 'event', msg: { type: 'user_message', message: 'from msg' } }])).toBe('from msg');
  });
});
