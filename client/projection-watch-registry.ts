import { Observable } from 'rxjs';
import { ConnectionClosedError, errorFromWire, TauonError } from '../protocol/errors.js';
import type { ErrorFrame, ProjectionChangedFrame, ProjectionWatchingFrame, WatchProjectionFrame } from '../protocol/frames.js';
import { parseClientFrame } from '../protocol/validate.js';
import { asTauonError } from './errors.js';
import type { GroupSender } from './group-member.js';
import { PROJECTIONS_FEATURE, type ProjectionChange, type ProjectionState } from './projection-types.js';

/** The frames a watch receives. */
export type ProjectionWatchFrame = ProjectionWatchingFrame | ProjectionChangedFrame | ErrorFrame;

/** Reads a key's state including at least a checkpoint: how a watch of one key catches up after a reconnect. */
export type ReadState = (name: string, key: string, atLeast: number) => Promise<ProjectionState>;

/** Who hears a watch. */
interface WatchConsumer {
  change(change: ProjectionChange): void;
  error(error: TauonError): void;
  complete(): void;
}

/**
 * One `watch-projection` across connections. On each session it sends the watch again; once the
 * server says `projection-watching`, it passes each `projection-changed` on. A watch of one key
 * that comes back after a lost connection also reads the key (at least at the watching
 * checkpoint) and passes that on as a change when it is newer than the last one seen, so that
 * the watcher ends up with the key's latest value; a watch of every key does not re-read them:
 * changes of the time away are not delivered.
 */
class ProjectionWatcher {
  private sender: GroupSender | undefined;
  private ended = false;
  /** The checkpoint of the last change passed on; -1 before any. */
  private lastCheckpoint = -1;
  /** Whether a session carried this watch before the current one. */
  private resumed = false;

  constructor(
    readonly sub: number,
    private readonly name: string,
    private readonly key: string | undefined,
    private readonly consumer: WatchConsumer,
    private readonly readState: ReadState,
    private readonly onEnded: (watcher: ProjectionWatcher) => void,
  ) {}

  get frame(): WatchProjectionFrame {
    return { type: 'watch-projection', sub: this.sub, name: this.name, ...(this.key === undefined ? {} : { key: this.key }) };
  }

  attach(sender: GroupSender): void {
    if (this.ended) return;
    if (!sender.features.includes(PROJECTIONS_FEATURE)) {
      this.fail(new TauonError('unsupported', 'the server runs no projections (no "projections" in welcome.features)'));
      return;
    }
    this.sender = sender;
    sender.send(this.frame);
  }

  detach(): void {
    if (this.sender !== undefined) this.resumed = true;
    this.sender = undefined;
  }

  onWatching(frame: ProjectionWatchingFrame): void {
    if (this.ended || !this.resumed || this.key === undefined) return;
    // Back after a lost connection: the key may have changed meanwhile.
    const sender = this.sender;
    this.readState(this.name, this.key, frame.checkpoint).then(
      (state) => {
        if (this.ended || this.sender !== sender || state.checkpoint <= this.lastCheckpoint) return;
        this.pass({ name: state.name, key: state.key, found: state.found, ...(state.found ? { value: state.value } : {}), checkpoint: state.checkpoint });
      },
      // The watch goes on: its next change brings the latest value.
      () => undefined,
    );
  }

  onChanged(frame: ProjectionChangedFrame): void {
    if (this.ended) return;
    this.pass({
      name: frame.name,
      key: frame.key,
      found: frame.value !== undefined,
      ...(frame.value === undefined ? {} : { value: frame.value }),
      checkpoint: frame.checkpoint,
    });
  }

  /** Unsubscribed: the server is told, and nothing more is passed on. */
  cancel(): void {
    if (this.ended) return;
    this.sender?.send({ type: 'unsubscribe', sub: this.sub });
    this.end();
  }

  fail(error: TauonError): void {
    if (this.ended) return;
    this.end();
    this.consumer.error(error);
  }

  complete(): void {
    if (this.ended) return;
    this.end();
    this.consumer.complete();
  }

  private pass(change: ProjectionChange): void {
    this.lastCheckpoint = Math.max(this.lastCheckpoint, change.checkpoint);
    this.consumer.change(change);
  }

  private end(): void {
    this.ended = true;
    this.sender = undefined;
    this.onEnded(this);
  }
}

/**
 * The client's open projection watches: gives each a subscription id from the client's one
 * sequence, routes `projection-watching`, `projection-changed` and their errors, and watches
 * again on every session that comes up.
 */
export class ProjectionWatchRegistry {
  private readonly watchers = new Map<number, ProjectionWatcher>();
  private sender: GroupSender | undefined;
  private closedWith: TauonError | undefined;

  /** @param nextSub the client's subscription ids, shared with subscriptions and group members. */
  constructor(
    private readonly nextSub: () => number,
    private readonly readState: ReadState,
  ) {}

  /** True when `sub` is a watch's. */
  has(sub: number): boolean {
    return this.watchers.has(sub);
  }

  /** A cold Observable of a watch: each subscriber opens its own, and unsubscribing ends it. */
  observe(name: string, key: string | undefined): Observable<ProjectionChange> {
    return new Observable<ProjectionChange>((subscriber) => {
      const watcher = new ProjectionWatcher(
        this.nextSub(),
        name,
        key,
        {
          change: (change) => {
            subscriber.next(change);
          },
          error: (error) => {
            subscriber.error(error);
          },
          complete: () => {
            subscriber.complete();
          },
        },
        this.readState,
        (ended) => {
          if (this.watchers.get(ended.sub) === ended) this.watchers.delete(ended.sub);
        },
      );
      const refusal = this.closedWith ?? checkFrame(watcher.frame);
      if (refusal !== undefined) {
        watcher.fail(refusal);
        return undefined;
      }
      this.watchers.set(watcher.sub, watcher);
      if (this.sender !== undefined) watcher.attach(this.sender);
      return () => {
        watcher.cancel();
      };
    });
  }

  /** A session came up: every open watch is sent on it. */
  attach(sender: GroupSender): void {
    this.sender = sender;
    for (const watcher of [...this.watchers.values()]) {
      if (this.sender !== sender) return;
      watcher.attach(sender);
    }
  }

  detach(): void {
    this.sender = undefined;
    for (const watcher of this.watchers.values()) watcher.detach();
  }

  /** Routes a watch's frame; frames of a watch that ended are ignored. */
  route(frame: ProjectionWatchFrame): void {
    if (frame.sub === undefined) return;
    const watcher = this.watchers.get(frame.sub);
    if (watcher === undefined) return;
    switch (frame.type) {
      case 'projection-watching':
        watcher.onWatching(frame);
        return;
      case 'projection-changed':
        watcher.onChanged(frame);
        return;
      case 'error':
        // Every error with a watch's sub ends it: the server answers no other frame of a watch (SPEC 18.6).
        watcher.fail(errorFromWire(frame.code, frame.message, frame.details));
        return;
    }
  }

  /** Fails every watch with `error` (the store changed): none is sent on the next session. */
  failAll(error: TauonError): void {
    for (const watcher of [...this.watchers.values()]) watcher.fail(error);
    this.watchers.clear();
  }

  /** The client closed: completes every watch (`error` undefined) or fails them; later ones fail at once. */
  endAll(error?: TauonError): void {
    this.sender = undefined;
    this.closedWith = error ?? new ConnectionClosedError('the client is closed');
    for (const watcher of [...this.watchers.values()]) {
      if (error === undefined) watcher.complete();
      else watcher.fail(error);
    }
    this.watchers.clear();
  }
}

/** Why a watch cannot be sent (a name or key the protocol does not allow), or undefined. */
function checkFrame(frame: WatchProjectionFrame): TauonError | undefined {
  try {
    parseClientFrame(frame);
    return undefined;
  } catch (error) {
    return asTauonError(error, 'bad-frame', 'the watch is not a valid frame');
  }
}
