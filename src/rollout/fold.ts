// No imports on purpose: the list's `q`, search, the index (an SQL function and the trigram
// table's text) and the scan all fold with this one function.

/**
 * Case folding for every case-insensitive substring test: lower case, then the final sigma
 * `ς` as `σ`. JavaScript's toLowerCase writes `Σ` as `ς` at the end of a word and as `σ`
 * inside one, so a word's lower case depends on what follows it: `ΠΡΟΣ` alone is `προς`,
 * inside `ΠΡΟΣΟΧΗ` it is `προσ`. With one sigma the fold of a string is the fold of its
 * characters one by one, so a needle found in a text is found whatever its place in a word.
 * Each code unit stays one code unit (offsets map back as toLowerCase's do).
 *
 * Changing this function changes what the index stores: bump SCHEMA_VERSION (index/sqlite-store.ts),
 * and add a team migration that empties the PostgreSQL index's tables (src/team/db/index-schema.ts).
 */
export function fold(text: string): string {
  return text.toLowerCase().replaceAll('ς', 'σ');
}
