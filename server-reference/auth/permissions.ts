import { StreamSelector } from '../../protocol/frames.js';
import { parseSelector, type Selector } from '../selector.js';

/**
 * What a token grants, as written in a configuration or returned by an authenticator: selectors
 * it may read and selectors it may write. A selector is a stream name (`orders.42`), a prefix
 * pattern (`orders.*`: every stream whose name starts with `orders.`), or `$all` (every stream;
 * `*` is the same).
 *
 * @example
 * const access: Access = { read: ['orders.*', 'prices'], write: ['orders.eu.*'] };
 */
export interface Access {
  /** What the session may subscribe to, read, surface and see in `streams`. */
  readonly read?: readonly string[];
  /** Where the session may append and invalidate. */
  readonly write?: readonly string[];
}

/**
 * A set of selectors compiled for the questions the session asks on every frame: is this stream
 * covered (exact names in a Set, then one Set lookup per distinct prefix length), and is this
 * whole pattern covered (a grant's prefix is a prefix of the pattern's).
 */
export class SelectorSet {
  /** True when `$all` (or `*`) is in the set: everything is covered. */
  readonly everything: boolean;
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: ReadonlySet<string>;
  /** The distinct lengths of the prefixes, shortest first. */
  private readonly lengths: readonly number[];

  /** @throws TypeError naming the first entry that is not a selector. */
  constructor(selectors: readonly string[]) {
    const exact = new Set<string>();
    const prefixes = new Set<string>();
    for (const text of selectors) {
      if (!StreamSelector.safeParse(text).success) {
        throw new TypeError(`"${text}" is not a selector: a stream name, a prefix ending in "*", or "$all"`);
      }
      const selector = parseSelector(text);
      if (selector.kind === 'stream') exact.add(selector.stream);
      else prefixes.add(selector.prefix);
    }
    this.everything = prefixes.has('');
    this.exact = exact;
    this.prefixes = prefixes;
    this.lengths = [...new Set([...prefixes].map((prefix) => prefix.length))].sort((a, b) => a - b);
  }

  /** True when the set covers this one stream. */
  coversStream(stream: string): boolean {
    return this.everything || this.exact.has(stream) || this.hasPrefixOf(stream);
  }

  /**
   * True when the set covers every stream a pattern with this prefix selects: a granted prefix
   * is a prefix of it (`orders.*` covers `orders.eu.*`; only `$all` covers `$all`).
   */
  coversPrefix(prefix: string): boolean {
    return this.everything || this.hasPrefixOf(prefix);
  }

  /** True when the set covers what the selector selects, all of it. */
  covers(selector: Selector): boolean {
    return selector.kind === 'stream' ? this.coversStream(selector.stream) : this.coversPrefix(selector.prefix);
  }

  /**
   * The parts of the set that lie under a listing prefix, for listing only what is covered: the
   * granted prefixes that start with it (none inside another), and the exact names that start
   * with it and no granted prefix covers. Meaningful when {@link coversPrefix} is false.
   */
  under(listingPrefix: string): { prefixes: string[]; streams: string[] } {
    const inside = [...this.prefixes].filter((prefix) => prefix.startsWith(listingPrefix)).sort((a, b) => a.length - b.length);
    const prefixes: string[] = [];
    for (const prefix of inside) if (!prefixes.some((shorter) => prefix.startsWith(shorter))) prefixes.push(prefix);
    const streams = [...this.exact].filter(
      (stream) => stream.startsWith(listingPrefix) && !prefixes.some((prefix) => stream.startsWith(prefix)),
    );
    return { prefixes, streams };
  }

  private hasPrefixOf(text: string): boolean {
    for (const length of this.lengths) {
      if (length > text.length) return false;
      if (this.prefixes.has(text.slice(0, length))) return true;
    }
    return false;
  }
}

/**
 * One session's permissions, compiled once at `hello` (or once per HTTP request) from an
 * {@link Access}, and asked on every frame: `append` and `invalidate` need write on their
 * stream; `subscribe`, `read` and `surface` need read on all that they select.
 *
 * @example
 * const permissions = Permissions.of({ read: ['orders.*'], write: ['orders.eu.*'] });
 * permissions.mayWrite('orders.eu.7'); // true
 * permissions.mayRead(parseSelector('$all')); // false
 */
export class Permissions {
  /** Read and write everything: a server that does not authenticate, or a token granted `$all`. */
  static readonly all = new Permissions({ read: ['$all'], write: ['$all'] });
  /** Nothing but `info`, `ping` and the frames about the session's own subscriptions. */
  static readonly none = new Permissions({});

  readonly read: SelectorSet;
  readonly write: SelectorSet;
  /** True when the session may read and write everything: no frame needs a check. */
  readonly unrestricted: boolean;

  private constructor(access: Access) {
    this.read = new SelectorSet(access.read ?? []);
    this.write = new SelectorSet(access.write ?? []);
    this.unrestricted = this.read.everything && this.write.everything;
  }

  /**
   * Compiles an access grant (a Permissions is returned as it is).
   * @throws TypeError naming an entry that is not a selector.
   */
  static of(access: Access | Permissions): Permissions {
    if (access instanceof Permissions) return access;
    return new Permissions(access);
  }

  /** True when the session may read all of what the selector selects. */
  mayRead(selector: Selector): boolean {
    return this.read.covers(selector);
  }

  /** True when the session may append to (and invalidate in) the stream. */
  mayWrite(stream: string): boolean {
    return this.write.coversStream(stream);
  }
}
