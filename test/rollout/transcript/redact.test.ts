// The redaction rules (src/rollout/transcript/redact.ts, docs/export.md): for each kind, secrets it
// must replace and near misses it must leave alone. Fake secrets are assembled from parts so that
// no scanner takes this file for a leak.
import { describe, expect, it } from 'vitest';
import { Redactor, type RedactionKind } from '../../../src/rollout/transcript/redact.js';

const j = (...parts: string[]) => parts.join('');
const A36 = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

/** [kind, text, what must remain of the text around the secret] */
const TRUE_POSITIVES: [RedactionKind, string, string][] = [
  ['aws_key', j('key id ', 'AKIA', 'IOSFODNN7EXAMPLE', ' used'), 'key id [REDACTED:aws_key] used'],
  ['aws_key', j('ASIA', 'XYZ1234567890ABC'), '[REDACTED:aws_key]'],
  ['aws_key', j('aws_secret_access_key = ', 'AKIA', 'IOSFODNN7EXAMPLE'), 'aws_secret_access_key = [REDACTED:aws_key]'],
  [
    'secret_assignment',
    j('aws_secret_access_key=', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
    'aws_secret_access_key=[REDACTED:secret_assignment]',
  ],
  ['github_token', j('token ', 'ghp_', A36), 'token [REDACTED:github_token]'],
  ['github_token', j('github_pat_', '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'), '[REDACTED:github_token]'],
  ['github_token', j('GITHUB_TOKEN=', 'gho_', A36), 'GITHUB_TOKEN=[REDACTED:github_token]'],
  ['gitlab_token', j('glpat-', 'xxxxXXXX1234abcdEFGH'), '[REDACTED:gitlab_token]'],
  ['slack_token', j('xoxb-', '1234567890-abcdefghijkl'), '[REDACTED:slack_token]'],
  ['slack_token', j('https://hooks.slack.com/services/', 'T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX'), '[REDACTED:slack_token]'],
  ['stripe_key', j('sk_live_', '4eC39HqLyjWDarjtT1zdp7dc'), '[REDACTED:stripe_key]'],
  ['stripe_key', j('rk_test_', '4eC39HqLyjWDarjtT1zdp7dc'), '[REDACTED:stripe_key]'],
  ['google_key', j('AIza', 'SyA-1234567890abcdefghijklmnopqrstu'), '[REDACTED:google_key]'],
  ['google_key', j('GOCSPX-', 'abcdefghijklmnopqrstuvwxyz12'), '[REDACTED:google_key]'],
  ['openai_key', j('OPENAI: ', 'sk-proj-', 'abc123DEF456ghi789JKL012mno345'), 'OPENAI: [REDACTED:openai_key]'],
  ['openai_key', j('sk-', 'abcdefghij1234567890ABCDEFGHIJ'), '[REDACTED:openai_key]'],
  ['anthropic_key', j('sk-ant-', 'api03-', 'abcdefghijklmnopqrstuvwxyz0123456789'), '[REDACTED:anthropic_key]'],
  [
    'private_key',
    j('-----BEGIN RSA ', 'PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA ', 'PRIVATE KEY-----\nafter'),
    '[REDACTED:private_key]\nafter',
  ],
  ['private_key', j('-----BEGIN OPENSSH ', 'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (cut off)'), '[REDACTED:private_key]'],
  ['jwt', j('eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'), '[REDACTED:jwt]'],
  ['bearer', j('Authorization: Bearer ', 'abc123def456ghi789jkl'), 'Authorization: Bearer [REDACTED:bearer]'],
  ['bearer', j('-H "authorization: bearer ', 'tok_0123456789abcdef"'), '-H "authorization: bearer [REDACTED:bearer]"'],
  [
    'basic_auth',
    j('Authorization: Basic ', Buffer.from('alice:s3cret-pass').toString('base64')),
    'Authorization: Basic [REDACTED:basic_auth]',
  ],
  [
    'url_password',
    j('postgres://app:', 'hunter2pw', '@db.internal:5432/prod'),
    'postgres://app:[REDACTED:url_password]@db.internal:5432/prod',
  ],
  [
    'url_password',
    j('git clone https://bob:', 'p%40ss', '@git.example.com/r.git'),
    'git clone https://bob:[REDACTED:url_password]@git.example.com/r.git',
  ],
  ['secret_assignment', 'password = swordfish', 'password = [REDACTED:secret_assignment]'],
  ['secret_assignment', 'DB_PASSWORD=correct-horse-battery', 'DB_PASSWORD=[REDACTED:secret_assignment]'],
  ['secret_assignment', '"api_key": "0123abcd4567efgh"', '"api_key": "[REDACTED:secret_assignment]"'],
  ['secret_assignment', "client_secret: 'my literal secret'", "client_secret: '[REDACTED:secret_assignment]'"],
  ['secret_assignment', 'export SLACK_SIGNING_SECRET=8f742231b10e8888abcd', 'export SLACK_SIGNING_SECRET=[REDACTED:secret_assignment]'],
  ['secret_assignment', 'apiKey: "live_key_for_prod"', 'apiKey: "[REDACTED:secret_assignment]"'],
];

/** Text that looks close to a secret and must come out unchanged. */
const NEAR_MISSES: [string, string][] = [
  ['a UUID', '01a20b7c-dbe8-70c2-9828-678afb8f6bf7'],
  ['a git hash', 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 on main'],
  ['a long hex id', 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['a base64 image', j('data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk',
    'YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==')],
  ['an AWS-like word too short', 'AKIAEXAMPLE is the documented prefix'],
  ['a GitHub prefix without a token', 'the ghp_ prefix marks personal tokens'],
  ['a gitlab prefix in prose', 'glpat- tokens expire'],
  ['a Stripe publishable key', j('pk_live_', '4eC39HqLyjWDarjtT1zdp7dc')],
  ['scikit-learn', 'pip install sk-learn-extensions-for-everyone'],
  ['a hyphenated sk- name', 'the sk-long-descriptive-component-name widget'],
  ['a JWT-like prefix', 'eyJ is how base64 JSON starts'],
  ['bearer in prose', 'use the Bearer authentication scheme'],
  ['basic in prose', 'Basic authentication is weak; Basic usage below'],
  ['a URL with a port', 'http://localhost:8080/path?q=1'],
  ['an scp-like git remote', 'git@github.com:owner/repo.git'],
  ['a URL with a user only', 'https://user@example.com/x'],
  ['max_tokens', 'max_tokens = 4096, "input_tokens": 1203'],
  ['a token counter', '"type": "token_count"'],
  ['a password from the environment', 'password = process.env.DB_PASSWORD'],
  ['a token from a call', 'token = getToken(user)'],
  ['a member', 'const secret = opts.secret'],
  ['an identifier', 'token = refreshed_token'],
  ['a placeholder', 'api_key = <your-key-here>'],
  ['a variable reference', 'password=${DB_PASSWORD}'],
  ['stars', 'password: ********'],
  ['a boolean', 'requires_token: true'],
  ['a secretary', 'secretary = "Bob Smith"'],
  ['a TypeScript type', 'token: string'],
];

describe('redaction rules', () => {
  it.each(TRUE_POSITIVES)('redacts %s: %s', (kind, text, expected) => {
    const r = new Redactor();
    expect(r.redact(text)).toBe(expected);
    expect(r.total).toBe(1);
    expect([...r.counts.keys()]).toEqual([kind]);
  });

  it.each(NEAR_MISSES)('leaves %s alone', (_what, text) => {
    const r = new Redactor();
    expect(r.redact(text)).toBe(text);
    expect(r.total).toBe(0);
  });

  it('counts every secret in a text, and leaves the text around them', () => {
    const r = new Redactor();
    const text = j('a ', 'AKIA', 'IOSFODNN7EXAMPLE', ' b ', 'ghp_', A36, ' c password=swordfish d');
    expect(r.redact(text)).toBe('a [REDACTED:aws_key] b [REDACTED:github_token] c password=[REDACTED:secret_assignment] d');
    expect(r.total).toBe(3);
  });

  it('never leaves a redacted value redacted twice', () => {
    const r = new Redactor();
    const once = r.redact(j('Bearer ', 'eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.dozjgNryP4J3jVmNHl0w5N'));
    expect(once).toBe('Bearer [REDACTED:jwt]');
    expect(r.redact(once)).toBe(once);
    expect(r.total).toBe(1);
  });
});
