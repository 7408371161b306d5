/** A fact's value as the mirror's filters and groupings see it. */
export type Fact = string | null;

/** Facts of a session the usage mirror groups by: a column each (MirrorSessions). */
export type FactName = 'home' | 'cwd' | 'source' | 'provider';

/** Each distinct value of a column once, by number in order of first appearance. */
class Interned {
  readonly labels: Fact[] = [];
  private readonly numbers = new Map<Fact, number>();

  of(value: Fact): number {
    let n = this.numbers.get(value);
    if (n === undefined) this.numbers.set(value, (n = this.labels.push(value) - 1));
    return n;
  }
}

const ARCHIVED = 1;
const SHADOWED = 2;

/**
 * The facts of the usage mirror's sessions, by index, in columns: typed arrays of numbers and
 * each distinct cwd, source, provider and home once. An object per session with its own copy
 * of each string (what a row read from SQLite gives) was ~300 bytes a session on the JavaScript
 * heap, kept for as long as the mirror: with 65,531 Claude and 50,000 Codex rows, and V8
 * growing its heap in proportion to what stays alive, that held the build's RSS over its target
 * (docs/performance.md, "The mixed build's peak RSS"). Here a session costs its id and 21 bytes.
 */
export class MirrorSessions {
  private readonly columns: Record<FactName, Interned> = {
    home: new Interned(),
    cwd: new Interned(),
    source: new Interned(),
    provider: new Interned(),
  };
  private codes: Record<FactName, Int32Array>;
  private flags: Uint8Array;
  private identities: Int32Array;
  private readonly ids: string[] = [];
  /** Distinct (home, id) pairs so far, while sessions are added; dropped by done(). */
  private byIdentity: Map<string, number> | null = new Map();

  constructor(expected = 1024) {
    const size = Math.max(16, expected);
    this.codes = { home: new Int32Array(size), cwd: new Int32Array(size), source: new Int32Array(size), provider: new Int32Array(size) };
    this.flags = new Uint8Array(size);
    this.identities = new Int32Array(size);
  }

  get length(): number {
    return this.ids.length;
  }

  /** How many distinct (home, id) pairs there are: sessions are counted by them. */
  identityCount = 0;

  /** Adds a session; returns its index. */
  add(id: string, home: string, archived: boolean, shadowed: boolean, cwd: Fact, source: Fact, provider: Fact): number {
    const i = this.ids.length;
    if (i === this.flags.length) this.grow(2 * i);
    // SQLite's one home: the id alone (no string built per session).
    const key = home === '' ? id : `${home}\n${id}`;
    let identity = this.byIdentity!.get(key);
    if (identity === undefined) this.byIdentity!.set(key, (identity = this.identityCount++));
    this.ids.push(id);
    this.identities[i] = identity;
    this.flags[i] = (archived ? ARCHIVED : 0) | (shadowed ? SHADOWED : 0);
    this.codes.home[i] = this.columns.home.of(home);
    this.codes.cwd[i] = this.columns.cwd.of(cwd);
    this.codes.source[i] = this.columns.source.of(source);
    this.codes.provider[i] = this.columns.provider.of(provider);
    return i;
  }

  /** Every session added: the columns cut to their length, the identities' map let go. */
  done(): this {
    this.grow(this.ids.length);
    this.byIdentity = null;
    return this;
  }

  id(i: number): string {
    return this.ids[i]!;
  }

  identity(i: number): number {
    return this.identities[i]!;
  }

  archived(i: number): boolean {
    return (this.flags[i]! & ARCHIVED) !== 0;
  }

  shadowed(i: number): boolean {
    return (this.flags[i]! & SHADOWED) !== 0;
  }

  /** The number of session i's value of `fact` (numbers from 0, in order of first appearance), and the values by number. */
  code(fact: FactName, i: number): number {
    return this.codes[fact][i]!;
  }

  labels(fact: FactName): readonly Fact[] {
    return this.columns[fact].labels;
  }

  fact(fact: FactName, i: number): Fact {
    return this.columns[fact].labels[this.codes[fact][i]!]!;
  }

  /** The bytes the columns hold besides the ids and the distinct values (tests bound it). */
  columnBytes(): number {
    const { home, cwd, source, provider } = this.codes;
    return home.byteLength + cwd.byteLength + source.byteLength + provider.byteLength + this.flags.byteLength + this.identities.byteLength;
  }

  /** The distinct strings held besides the ids (tests: each value once). */
  distinctValues(): number {
    return Object.values(this.columns).reduce((n, c) => n + c.labels.length, 0);
  }

  private grow(size: number): void {
    const resized = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const out = make(size);
      out.set(a.subarray(0, Math.min(size, a.length)));
      return out;
    };
    const int32 = (n: number) => new Int32Array(n);
    this.codes = {
      home: resized(this.codes.home, int32),
      cwd: resized(this.codes.cwd, int32),
      source: resized(this.codes.source, int32),
      provider: resized(this.codes.provider, int32),
    };
    this.flags = resized(this.flags, (n) => new Uint8Array(n));
    this.identities = resized(this.identities, int32);
  }
}
