import type { Decider } from './decider.js';
import type { LoadedAggregate, SnapshotProblem } from './aggregate-types.js';
import type { SnapshotStream } from './snapshot-stream.js';
import type { Client, StartPosition, StoredEvent } from './types.js';

/** The system event that marks a transaction of its stream invalid (SPEC 5.5). */
const INVALIDATED_TYPE = '$invalidated';

/** An aggregate being folded: what a load found, and what the command handler folds on. */
export interface AggregateFold<State> extends LoadedAggregate<State> {
  /** Transactions marked invalid: their events are not folded. */
  readonly invalidTxs: Set<number>;
}

/** What a reader needs besides the client. */
export interface AggregateReaderSettings<State, Event> {
  readonly decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>;
  readonly pageSize: number;
  readonly decode: (event: StoredEvent) => Event | undefined;
  readonly snapshots: SnapshotStream<State> | undefined;
  readonly onSnapshotError: ((problem: SnapshotProblem) => void) | undefined;
}

/**
 * Reads an aggregate's stream and folds it: from its newest snapshot when there is one, then
 * page by page (each page a bounded `read`, so the server never sends more than asked), with
 * `evolve` over the events the decoder passes. System events are not folded; a transaction
 * marked invalid (`$invalidated`) is left out: met after its events were folded, it makes the
 * reader fold again from the first event, without the snapshot, skipping it.
 */
export class AggregateReader<State, Event> {
  constructor(
    private readonly client: Client,
    private readonly settings: AggregateReaderSettings<State, Event>,
  ) {}

  /** Loads an aggregate: its newest snapshot (if any), then its events after it. */
  async load(stream: string): Promise<AggregateFold<State>> {
    const fold: AggregateFold<State> = {
      state: this.settings.decider.initialState(),
      version: 0,
      snapshotVersion: 0,
      eventsRead: 0,
      invalidTxs: new Set(),
    };
    const snapshots = this.settings.snapshots;
    if (snapshots !== undefined) {
      try {
        const snapshot = await snapshots.newest(this.client, stream);
        if (snapshot !== undefined) {
          fold.eventsRead += 1;
          fold.state = snapshot.state;
          fold.version = snapshot.version;
          fold.snapshotVersion = snapshot.version;
        }
      } catch (error) {
        this.settings.onSnapshotError?.({ stream, during: 'read', version: 0, error });
      }
    }
    await this.readOn(stream, fold);
    return fold;
  }

  /** Reads the events after the fold's version and folds them in (after a conflict: what the other writers appended). */
  async readOn(stream: string, fold: AggregateFold<State>): Promise<void> {
    const { decider, decode, pageSize } = this.settings;
    let from: StartPosition = { after: fold.version };
    // Each pass ends at the head, or restarts after finding one more invalid transaction: bounded by the stream.
    for (;;) {
      const page = await this.client.read(stream, { from, limit: pageSize });
      let restart = false;
      for (const event of page.events) {
        fold.eventsRead += 1;
        const invalidTx = event.type === INVALIDATED_TYPE ? invalidatedTx(event) : undefined;
        if (invalidTx !== undefined && !fold.invalidTxs.has(invalidTx)) {
          fold.invalidTxs.add(invalidTx);
          restart = true;
          break;
        }
        fold.version = event.seq;
        if (event.type.startsWith('$') || fold.invalidTxs.has(event.tx)) continue;
        const decoded = decode(event);
        if (decoded !== undefined) fold.state = decider.evolve(fold.state, decoded);
      }
      if (restart) {
        fold.state = decider.initialState();
        fold.version = 0;
        fold.snapshotVersion = 0;
        from = 'start';
        continue;
      }
      if (page.next === null) return;
      from = page.next;
    }
  }
}

/** The transaction an `$invalidated` event names, when its data names one. */
function invalidatedTx(event: StoredEvent): number | undefined {
  const tx = (event.data as { tx?: unknown } | null | undefined)?.tx;
  return typeof tx === 'number' ? tx : undefined;
}
