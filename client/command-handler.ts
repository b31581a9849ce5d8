import { BadFrameError, ChainBrokenError, WrongExpectedVersionError } from '../protocol/errors.js';
import { CommandConflictError } from './aggregate-errors.js';
import { AggregateReader, type AggregateFold } from './aggregate-reader.js';
import type { CommandHandlerOptions, CommandResult, LoadedAggregate } from './aggregate-types.js';
import { decisionEvents, foldEvents, type Decider } from './decider.js';
import { SnapshotStream } from './snapshot-stream.js';
import type { Client, EmitAck, EmitEvent, StoredEvent } from './types.js';

/** Events asked for per page when the options do not say. */
export const DEFAULT_PAGE_SIZE = 1000;

/** Decisions again after a conflict when the options do not say. */
export const DEFAULT_MAX_RETRIES = 3;

/** Runs commands against the aggregates of one decider. Get one from {@link commandHandler}. */
export interface CommandHandler<State, Command, Event> {
  /**
   * Runs a command against the aggregate whose events are `stream`: reads and folds the stream
   * (from its newest snapshot, when snapshots are on), decides, and appends the decided events
   * with the version read as the expected version. When another writer appended first, it reads
   * the new events, folds them and decides again, up to `maxRetries` times, then fails with
   * {@link CommandConflictError}. Resolves with the ack, the new state and the events; rejects
   * with what `decide` or `evolve` threw, unchanged, or with the client's error
   * (`ConnectionClosedError`, `ForbiddenError`, `BadFrameError` for a stream name that is not
   * one, ...).
   * @example
   * ```ts
   * const { ack, state, events } = await accounts.handle('account.42', { type: 'Deposit', amount: 10 });
   * ```
   */
  handle(stream: string, command: Command): Promise<CommandResult<State, Event>>;
  /**
   * Reads and folds an aggregate, from its newest snapshot when snapshots are on; writes nothing.
   * @example
   * ```ts
   * const { state, version } = await accounts.load('account.42');
   * ```
   */
  load(stream: string): Promise<LoadedAggregate<State>>;
}

/**
 * A command handler for the aggregates of one decider: `handle(stream, command)` is read, fold,
 * decide, append with the expected version, and again on a conflict. Runtime-neutral.
 *
 * Each decision's events get fresh ids (UUIDv7) unless `decide` or `encode` gives them ids: an
 * append whose ack is lost is resent by the client with the same ids, so it is stored once.
 * Give the events ids derived from the command to make the command itself idempotent: run again,
 * a decision whose events are all stored already writes nothing and resolves with the original ack.
 * @throws BadFrameError when an option is not valid.
 * @example
 * ```ts
 * const accounts = commandHandler(client, account, { snapshot: { every: 500 } });
 * const { state, ack } = await accounts.handle('account.42', { type: 'Deposit', amount: 10 });
 * ```
 */
export function commandHandler<State, Command, Event extends { type: string }>(
  client: Client,
  decider: Decider<State, Command, Event>,
  options: CommandHandlerOptions<State, Event> = {},
): CommandHandler<State, Command, Event> {
  return new DeciderCommandHandler(client, decider, options);
}

/**
 * Runs one command against one aggregate: `commandHandler(client, decider, options).handle(stream, command)`.
 * @example
 * ```ts
 * const { state } = await handleCommand(client, account, 'account.42', { type: 'Deposit', amount: 10 });
 * ```
 */
export async function handleCommand<State, Command, Event extends { type: string }>(
  client: Client,
  decider: Decider<State, Command, Event>,
  stream: string,
  command: Command,
  options?: CommandHandlerOptions<State, Event>,
): Promise<CommandResult<State, Event>> {
  // async: an option that is not valid rejects, as every other failure of a command does.
  return commandHandler(client, decider, options).handle(stream, command);
}

class DeciderCommandHandler<State, Command, Event extends { type: string }> implements CommandHandler<State, Command, Event> {
  private readonly reader: AggregateReader<State, Event>;
  private readonly snapshots: SnapshotStream<State> | undefined;
  private readonly encode: (event: Event) => EmitEvent;
  private readonly maxRetries: number;

  constructor(
    private readonly client: Client,
    private readonly decider: Decider<State, Command, Event>,
    private readonly options: CommandHandlerOptions<State, Event>,
  ) {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new BadFrameError(`pageSize is a positive integer (got ${String(pageSize)})`);
    }
    if (!Number.isSafeInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new BadFrameError(`maxRetries is an integer of 0 or more (got ${String(this.maxRetries)})`);
    }
    this.snapshots = options.snapshot === undefined ? undefined : new SnapshotStream(options.snapshot);
    this.encode = options.encode ?? wireEvent;
    this.reader = new AggregateReader(client, {
      decider,
      pageSize,
      decode: options.decode ?? ((event) => event as unknown as Event),
      snapshots: this.snapshots,
      onSnapshotError: options.onSnapshotError,
    });
  }

  async load(stream: string): Promise<LoadedAggregate<State>> {
    const { state, version, snapshotVersion, eventsRead } = await this.reader.load(stream);
    return { state, version, snapshotVersion, eventsRead };
  }

  async handle(stream: string, command: Command): Promise<CommandResult<State, Event>> {
    const fold = await this.reader.load(stream);
    // Bounded: one decision per try, maxRetries + 1 tries.
    for (let attempt = 1; ; attempt += 1) {
      const events = [...decisionEvents(await this.decider.decide(command, fold.state))];
      if (events.length === 0) {
        return { ack: undefined, state: fold.state, version: fold.version, events, attempts: attempt };
      }
      let ack: EmitAck;
      try {
        ack = await this.client.emit(stream, events.map(this.encode), { expected: fold.version });
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (attempt > this.maxRetries) throw new CommandConflictError(stream, attempt, error);
        await this.reader.readOn(stream, fold);
        continue;
      }
      const before = fold.snapshotVersion;
      await this.foldDecision(stream, fold, events, ack);
      await this.snapshotIfDue(stream, fold, before);
      return { ack, state: fold.state, version: fold.version, events, attempts: attempt };
    }
  }

  /** Folds the stored decision in; when some of its events were stored before (their ids), reads the stream's truth instead. */
  private async foldDecision(stream: string, fold: AggregateFold<State>, events: Event[], ack: EmitAck): Promise<void> {
    if (ack.duplicates.some(Boolean)) {
      await this.reader.readOn(stream, fold);
      return;
    }
    fold.state = foldEvents(this.decider, fold.state, events);
    fold.version = ack.seqs[ack.seqs.length - 1] ?? fold.version;
  }

  /** Stores a snapshot once the aggregate is `every` events past the one it was loaded from; a failure only tells `onSnapshotError`. */
  private async snapshotIfDue(stream: string, fold: AggregateFold<State>, loadedFrom: number): Promise<void> {
    const snapshots = this.snapshots;
    if (snapshots === undefined || fold.version - loadedFrom < snapshots.every) return;
    try {
      await snapshots.write(this.client, stream, fold.state, fold.version);
      fold.snapshotVersion = fold.version;
    } catch (error) {
      this.options.onSnapshotError?.({ stream, during: 'write', version: fold.version, error });
    }
  }
}

/** The failures a fresh decision may cure: the stream moved on, or an earlier append to it on this connection failed. */
function isConflict(error: unknown): boolean {
  return error instanceof WrongExpectedVersionError || error instanceof ChainBrokenError;
}

/** The fields of an event that travel in an append (a stored event passed on keeps none of its positions). */
function wireEvent<Event extends { type: string }>(event: Event): EmitEvent {
  const source = event as Partial<StoredEvent>;
  const wire: EmitEvent = { type: event.type };
  if (source.id !== undefined) wire.id = source.id;
  if (source.key !== undefined) wire.key = source.key;
  if (source.data !== undefined) wire.data = source.data;
  if (source.meta !== undefined) wire.meta = source.meta;
  if (source.time !== undefined) wire.time = source.time;
  if (source.causation !== undefined) wire.causation = source.causation;
  if (source.correlation !== undefined) wire.correlation = source.correlation;
  if (source.schema !== undefined) wire.schema = source.schema;
  return wire;
}
