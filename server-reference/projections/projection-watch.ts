import { TauonError } from '../../protocol/errors.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { ProjectionChangeNotice } from './projection-service.js';

/**
 * The most keys whose change one watch holds unsent (SPEC 18.6): past it, the watch ends with
 * `overloaded`, so that a watcher that does not read cannot make the server hold changes without
 * bound.
 */
export const MAX_WATCH_PENDING_KEYS = 10_000;

/** What a watch needs of its session. */
export interface WatchLink {
  send(frame: ServerFrame): void;
  /** False while the connection holds more unsent bytes than its bound. */
  writable(): boolean;
  /** Calls `resume` once, when the connection has drained or closed. */
  whenWritable(resume: () => void): void;
  /** The server ends the watch with this error (the session frees its `sub` and says so). */
  end(error: TauonError): void;
}

/**
 * One `watch-projection` of a session (SPEC 18.6): a hot stream of a projection's changes as
 * `projection-changed` frames. It sends while the connection takes them; while it does not, it
 * holds the newest change of each key (a key's later change replaces the earlier one and moves
 * behind the others, so checkpoints still rise frame by frame), at most MAX_WATCH_PENDING_KEYS
 * keys, and ends with `overloaded` past that.
 */
export class ProjectionWatch {
  private readonly pending = new Map<string, ProjectionChangeNotice>();
  private state: 'starting' | 'open' | 'closed' = 'starting';
  private awaitingDrain = false;
  private stop: (() => void) | undefined;

  constructor(
    readonly sub: number,
    readonly name: string,
    private readonly link: WatchLink,
  ) {}

  /** A watch takes no credit: `credit` for it changes nothing (SPEC 18.6). */
  addCredit(): void {}

  get outstandingCredit(): number {
    return 0;
  }

  /** Keeps the function that stops the service's listener, called when the watch closes. */
  listening(stop: () => void): void {
    if (this.state === 'closed') stop();
    else this.stop = stop;
  }

  /** The service's listener: one committed change. */
  readonly onChange = (change: ProjectionChangeNotice): void => {
    if (this.state === 'closed') return;
    if (this.state === 'open' && this.pending.size === 0 && this.link.writable()) {
      this.link.send(changedFrame(this.sub, change));
      return;
    }
    this.pending.delete(change.key);
    if (this.pending.size >= MAX_WATCH_PENDING_KEYS) {
      this.close();
      this.link.end(new TauonError('overloaded', `the watch of "${this.name}" fell more than ${MAX_WATCH_PENDING_KEYS} changes behind`));
      return;
    }
    this.pending.set(change.key, change);
    if (this.state === 'open') this.flush();
  };

  /** Sends `projection-watching`, then the changes that came while the watch started. */
  open(checkpoint: number): void {
    if (this.state !== 'starting') return;
    this.state = 'open';
    this.link.send({ type: 'projection-watching', sub: this.sub, name: this.name, checkpoint });
    this.flush();
  }

  /** Ends the watch (unsubscribe, the session closed, or the server ended it). */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pending.clear();
    const stop = this.stop;
    this.stop = undefined;
    stop?.();
  }

  private flush(): void {
    while (this.state === 'open' && this.pending.size > 0) {
      if (!this.link.writable()) {
        if (!this.awaitingDrain) {
          this.awaitingDrain = true;
          this.link.whenWritable(() => {
            this.awaitingDrain = false;
            this.flush();
          });
        }
        return;
      }
      const [key, change] = this.pending.entries().next().value as [string, ProjectionChangeNotice];
      this.pending.delete(key);
      this.link.send(changedFrame(this.sub, change));
    }
  }
}

function changedFrame(sub: number, change: ProjectionChangeNotice): ServerFrame {
  return {
    type: 'projection-changed',
    sub,
    name: change.name,
    key: change.key,
    ...(change.value === undefined ? {} : { value: change.value }),
    checkpoint: change.checkpoint,
  };
}
