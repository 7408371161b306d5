import type { FastifyReply } from 'fastify';
import type { RolloutErrorKind } from '../rollout/errors.js';

/** The error enum of the API: each value is a problem+json `code` with one HTTP status. */
export const ProblemCode = {
  INVALID_CURSOR: 400,
  INVALID_ID: 400,
  INVALID_QUERY: 400,
  INVALID_PATH: 400,
  PATH_OUTSIDE_LAYOUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  WRONG_ROLE: 403,
  WRONG_MACHINE: 403,
  NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  AMBIGUOUS_ID: 409,
  OFFSET_MISMATCH: 409,
  FILE_EXISTS: 409,
  CONTENT_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  SCAN_FAILED: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ProblemCode = keyof typeof ProblemCode;

const TITLES: Record<ProblemCode, string> = {
  INVALID_CURSOR: 'Invalid cursor',
  INVALID_ID: 'Invalid session id',
  INVALID_QUERY: 'Invalid query parameter',
  INVALID_PATH: 'Invalid path',
  PATH_OUTSIDE_LAYOUT: 'Path outside the Codex home layout',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  WRONG_ROLE: 'Wrong role for this request',
  WRONG_MACHINE: 'Wrong machine for this token',
  NOT_FOUND: 'Not found',
  NOT_ACCEPTABLE: 'Not acceptable',
  REQUEST_TIMEOUT: 'Request timeout',
  AMBIGUOUS_ID: 'Ambiguous session id',
  OFFSET_MISMATCH: 'Offset does not match the length held',
  FILE_EXISTS: 'File exists',
  CONTENT_TOO_LARGE: 'Content too large',
  RANGE_NOT_SATISFIABLE: 'Range not satisfiable',
  RATE_LIMITED: 'Too many requests',
  HEADERS_TOO_LARGE: 'Request header fields too large',
  SCAN_FAILED: 'Scan failed',
  SERVICE_UNAVAILABLE: 'Service unavailable',
};

export const KIND_TO_CODE: Record<RolloutErrorKind, ProblemCode> = {
  InvalidCursor: 'INVALID_CURSOR',
  InvalidId: 'INVALID_ID',
  InvalidQuery: 'INVALID_QUERY',
  NotFound: 'NOT_FOUND',
  AmbiguousId: 'AMBIGUOUS_ID',
  RangeNotSatisfiable: 'RANGE_NOT_SATISFIABLE',
  ScanFailed: 'SCAN_FAILED',
  Unavailable: 'SERVICE_UNAVAILABLE',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const STATUS_PROBLEMS: Record<number, [ProblemCode, string]> = {
  400: ['INVALID_QUERY', 'malformed request'],
  403: ['FORBIDDEN', 'forbidden'],
  404: ['NOT_FOUND', 'not found'],
  405: ['NOT_FOUND', 'no such route for this method'],
  406: ['NOT_ACCEPTABLE', 'not acceptable'],
  408: ['REQUEST_TIMEOUT', 'the request did not arrive in time'],
  413: ['CONTENT_TOO_LARGE', 'request body too large: the API takes no request bodies'],
  415: ['INVALID_QUERY', 'unsupported request body'],
  416: ['RANGE_NOT_SATISFIABLE', 'the requested range is not satisfiable'],
  429: ['RATE_LIMITED', 'too many requests'],
  431: ['HEADERS_TOO_LARGE', 'request header fields too large'],
  503: ['SERVICE_UNAVAILABLE', 'service unavailable; retry shortly'],
};

/**
 * The problem for an HTTP status that Node, Fastify or a plugin chose (a malformed request, a
 * path the static files refuse, a body too large): the code with that status, or, for a status
 * the enum has no code for, the closest one (other 4xx: INVALID_QUERY, 5xx: SCAN_FAILED).
 */
export function problemForStatus(status: number): { code: ProblemCode; detail: string } {
  const fallback: [ProblemCode, string] =
    status < 500 ? ['INVALID_QUERY', 'bad request'] : ['SCAN_FAILED', 'internal error; see the server log'];
  const [code, detail] = STATUS_PROBLEMS[status] ?? fallback;
  return { code, detail };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
}

export function problem(code: ProblemCode, detail: string): Problem {
  return {
    type: `tag:codex-sessions,2026:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[code],
    status: ProblemCode[code],
    detail,
    code,
  };
}

/** An HTTP-level failure (auth, negotiation) raised inside `src/http/`. */
export class HttpProblem extends Error {
  constructor(
    readonly code: ProblemCode,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

/** `members`: RFC 9457 extension members after the standard ones (an AMBIGUOUS_ID's `machines`). */
export function sendProblem(
  reply: FastifyReply,
  code: ProblemCode,
  detail: string,
  headers: Record<string, string> = {},
  members: Record<string, unknown> = {},
) {
  return reply.code(ProblemCode[code]).headers(headers).type(PROBLEM_CONTENT_TYPE).send({ ...problem(code, detail), ...members });
}
