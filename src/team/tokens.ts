import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export const ROLES = ['read', 'usage', 'push'] as const;
export type Role = (typeof ROLES)[number];

/** A machine name: what a push token writes as, and what the API shows in `machine`. */
export const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Tokens look like `cst_<43 base64url characters>`: 256 random bits, recognisable in a leaked log. */
const TOKEN_SHAPE = /^cst_[A-Za-z0-9_-]{43}$/;

export interface TokenInfo {
  id: number;
  prefix: string;
  role: Role;
  machine: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface Principal {
  tokenId: number;
  role: Role;
  machine: string | null;
}

/**
 * SHA-256, not a slow password hash: the token is 256 random bits, so nothing can be guessed from
 * the hash, and every request must be checked quickly.
 */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export async function addToken(pool: pg.Pool, role: Role, machine: string | null): Promise<{ token: string; info: TokenInfo }> {
  if (role === 'push' && machine === null) throw new TokenError('a push token needs --machine NAME: the machine it pushes as');
  if (role !== 'push' && machine !== null) throw new TokenError(`--machine is for push tokens only; a ${role} token covers every machine`);
  if (machine !== null && !MACHINE_NAME.test(machine)) {
    throw new TokenError(`machine names are 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit; got "${machine}"`);
  }
  const token = `cst_${randomBytes(32).toString('base64url')}`;
  const prefix = token.slice(0, 10);
  const { rows } = await pool.query<{ id: string; created_at: Date }>(
    'INSERT INTO cs_tokens (hash, prefix, role, machine) VALUES ($1, $2, $3, $4) RETURNING id, created_at',
    [hashToken(token), prefix, role, machine],
  );
  const row = rows[0] as { id: string; created_at: Date };
  return { token, info: { id: Number(row.id), prefix, role, machine, createdAt: row.created_at.toISOString(), revokedAt: null } };
}

export async function listTokens(pool: pg.Pool): Promise<TokenInfo[]> {
  type Row = { id: string; prefix: string; role: Role; machine: string | null; created_at: Date; revoked_at: Date | null };
  const { rows } = await pool.query<Row>(
    'SELECT id, prefix, role, machine, created_at, revoked_at FROM cs_tokens ORDER BY id',
  );
  return rows.map((r) => ({
    id: Number(r.id),
    prefix: r.prefix,
    role: r.role,
    machine: r.machine,
    createdAt: r.created_at.toISOString(),
    revokedAt: r.revoked_at === null ? null : r.revoked_at.toISOString(),
  }));
}

/** Revokes by id or by the token's listed prefix; false when no live token matched. */
export async function revokeToken(pool: pg.Pool, idOrPrefix: string): Promise<boolean> {
  const byId = /^\d{1,15}$/.test(idOrPrefix);
  const { rowCount } = await pool.query(
    `UPDATE cs_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND ${byId ? 'id = $1::bigint' : 'prefix = $1'}`,
    [idOrPrefix],
  );
  return (rowCount ?? 0) > 0;
}

/** The live token's role and machine, or null for an unknown, revoked or malformed one. */
export async function authenticate(pool: pg.Pool, token: string): Promise<Principal | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const { rows } = await pool.query<{ id: string; role: Role; machine: string | null }>({
    name: 'cs_authenticate',
    text: 'SELECT id, role, machine FROM cs_tokens WHERE hash = $1 AND revoked_at IS NULL',
    values: [hashToken(token)],
  });
  const row = rows[0];
  return row === undefined ? null : { tokenId: Number(row.id), role: row.role, machine: row.machine };
}
