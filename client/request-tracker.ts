import { errorFromWire, TauonError } from '../protocol/errors.js';
import type {
  ClientFrame,
  ErrorFrame,
  GroupInfoFrame,
  GroupListFrame,
  PageFrame,
  ProjectionListFrame,
  ProjectionPageFrame,
  ProjectionRebuildingFrame,
  ProjectionStateFrame,
  ReplayingFrame,
  ServerInfoFrame,
  StreamListFrame,
} from '../protocol/frames.js';
import { parseClientFrame } from '../protocol/validate.js';
import { asTauonError, RequestTimeoutError } from './errors.js';
import type { FrameSender } from './frame-sender.js';

/** An answer to a request. */
export type ResponseFrame =
  | PageFrame
  | StreamListFrame
  | ServerInfoFrame
  | GroupListFrame
  | GroupInfoFrame
  | ReplayingFrame
  | ProjectionListFrame
  | ProjectionStateFrame
  | ProjectionPageFrame
  | ProjectionRebuildingFrame;

/** A request frame (its id comes from the tracker). */
type RequestBody = ClientFrame & { id: number };

interface PendingRequest {
  readonly frame: RequestBody;
  readonly expects: ResponseFrame['type'];
  readonly resolve: (frame: ResponseFrame) => void;
  readonly reject: (error: TauonError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The requests that may be sent twice (`read`, `surface`, `streams`, `info`, `groups`, `group`,
 * and `replay-parked`, whose second replay finds what is still parked): assigns ids, matches the
 * answers, and resends what is unanswered after a reconnect, until `requestTimeoutMs` from the
 * call has passed.
 */
export class RequestTracker {
  private readonly pending = new Map<number, PendingRequest>();
  private sender: FrameSender | undefined;
  private closedWith: TauonError | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly nextId: () => number,
  ) {}

  /** Requests waiting for their answer. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Sends a request (now, or when a session comes up) and resolves with its answer, which must
   * be a frame of type `expects`. A request the protocol does not allow fails at once with a
   * `bad-frame` error, whether or not a session is up. `timeoutMs` replaces the tracker's
   * timeout for this request (one the server may hold on purpose, such as a projection read
   * that waits for a position).
   */
  request<T extends ResponseFrame['type']>(
    build: (id: number) => RequestBody,
    expects: T,
    timeoutMs: number = this.timeoutMs,
  ): Promise<Extract<ResponseFrame, { type: T }>> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    let frame: RequestBody;
    try {
      // Checked before it is queued: a frame that cannot be encoded would otherwise fail only when
      // it is (re)sent, in the middle of a resume. The checked copy keeps only the protocol's fields.
      frame = parseClientFrame(build(this.nextId())) as RequestBody;
    } catch (error) {
      return Promise.reject(asTauonError(error, 'bad-frame', 'the request is not a valid frame'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(frame.id)) {
          reject(new RequestTimeoutError(`no answer to "${frame.type}" within ${timeoutMs} ms`));
        }
      }, timeoutMs);
      this.pending.set(frame.id, {
        frame,
        expects,
        resolve: resolve as (frame: ResponseFrame) => void,
        reject,
        timer,
      });
      this.sender?.send(frame);
    });
  }

  /** A session came up: send every unanswered request again, in order. */
  attach(sender: FrameSender): void {
    this.sender = sender;
    for (const request of [...this.pending.values()]) {
      if (this.sender !== sender) return;
      sender.send(request.frame);
    }
  }

  /** The session ended; unanswered requests wait for the next one. */
  detach(): void {
    this.sender = undefined;
  }

  /** True when `id` is a request of this tracker awaiting its answer. */
  handles(id: number): boolean {
    return this.pending.has(id);
  }

  /**
   * Settles the request an answer belongs to. Returns a protocol error when the answer is of
   * the wrong type for its request; an answer to an unknown id (timed out) is ignored.
   */
  onResponse(frame: ResponseFrame): TauonError | undefined {
    const request = this.pending.get(frame.id);
    if (request === undefined) return undefined;
    if (request.expects !== frame.type) {
      return new TauonError('protocol', `"${frame.type}" is no answer to "${request.frame.type}" (id ${frame.id})`);
    }
    this.settle(frame.id, request);
    request.resolve(frame);
    return undefined;
  }

  /** Fails the request an `error` belongs to. Returns false when the id is not ours. */
  onError(frame: ErrorFrame): boolean {
    if (frame.id === undefined) return false;
    const request = this.pending.get(frame.id);
    if (request === undefined) return false;
    this.settle(frame.id, request);
    request.reject(errorFromWire(frame.code, frame.message, frame.details));
    return true;
  }

  /** Fails every pending request with `error`, none sent again (the store changed); later ones are sent. */
  failPending(error: TauonError): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }

  /** Fails every pending request with `error`; later requests fail with it at once. */
  close(error: TauonError): void {
    this.closedWith = error;
    this.sender = undefined;
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }

  private settle(id: number, request: PendingRequest): void {
    clearTimeout(request.timer);
    this.pending.delete(id);
  }
}
