import type { ClientFrame, ServerLimits } from '../protocol/frames.js';

/**
 * The open session as the client's parts see it (emit queue, subscriptions, requests): they get
 * one when a session comes up and lose it when the session ends.
 */
export interface FrameSender {
  /** Encodes and sends one frame. */
  send(frame: ClientFrame): void;
  /** Encodes a frame without sending it (to measure it first); throws when it cannot be encoded. */
  encode(frame: ClientFrame): Uint8Array;
  /** Sends a frame encoded by {@link FrameSender.encode}. */
  sendEncoded(bytes: Uint8Array): void;
  /** The optional parts of the protocol the server serves (`welcome.features`); absent means none. */
  readonly features?: readonly string[];
  /** The server's limits from `welcome`. */
  readonly limits: {
    readonly maxFrameBytes: ServerLimits['maxFrameBytes'];
    readonly maxEventsPerAppend: ServerLimits['maxEventsPerAppend'];
    readonly maxCredit: ServerLimits['maxCredit'];
  };
}
