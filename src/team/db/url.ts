/** A PostgreSQL URL as given (flag or environment); anything else is a user error, said plainly. Null when fine. */
export function checkDatabaseUrl(url: string): string | null {
  return /^postgres(ql)?:\/\//i.test(url) ? null : `the database URL must start with postgres:// or postgresql://, got "${url.replace(/:[^:@/]*@/, ':***@')}"`;
}
