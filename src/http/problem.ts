import type { FastifyReply } from 'fastify';
import type { RolloutErrorKind } from '../rollout/errors.js';

/** The error enum of the API: each value is a problem+json `code` with one HTTP status. */
export const ProblemCode = {
  INVALID_CURSOR: 400,
  INVALID_ID: 400,
  INVALID_QUERY: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  AMBIGUOUS_ID: 409,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  SCAN_FAILED: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ProblemCode = keyof typeof ProblemCode;

const TITLES: Record<ProblemCode, string> = {
  INVALID_CURSOR: 'Invalid cursor',
  INVALID_ID: 'Invalid session id',
  INVALID_QUERY: 'Invalid query parameter',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  NOT_ACCEPTABLE: 'Not acceptable',
  AMBIGUOUS_ID: 'Ambiguous session id',
  RANGE_NOT_SATISFIABLE: 'Range not satisfiable',
  RATE_LIMITED: 'Too many requests',
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

export function sendProblem(reply: FastifyReply, code: ProblemCode, detail: string, headers: Record<string, string> = {}) {
  return reply.code(ProblemCode[code]).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem(code, detail));
}
