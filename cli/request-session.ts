import { ConnectionSession } from '../client/connection-session.js';
import { codecByName } from '../protocol/codec.js';
import { errorFromWire, TauonError } from '../protocol/errors.js';
import type { ClientFrame, ServerFrame, WelcomeFrame } from '../protocol/frames.js';
import type { ClientTransport } from '../transports/transport.js';

/** How long the server has to welcome the command, and then to answer each request. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * One session for a command line call that asks a few requests and leaves: the handshake, then
 * each request answered by the frame with its id (an `error` rejects with that error). It does
 * not reconnect: a command should fail fast and say why. Used where the Client has no call for a
 * request yet (the consumer groups' `groups`, `group` and `replay-parked`), and to read the
 * server's `welcome` (its features) before asking.
 */
export class RequestSession {
  /** Dials, says hello (with the token when given), and resolves once welcomed. */
  static async open(transport: ClientTransport, options: { token?: string } = {}): Promise<RequestSession> {
    const connection = await transport.connect();
    const session = await ConnectionSession.open(connection, {
      codec: codecByName('msgpack'),
      token: options.token,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    });
    return new RequestSession(session);
  }

  readonly #session: ConnectionSession;
  readonly #waiting = new Map<number, (frame: ServerFrame) => void>();
  #nextId = 1;

  private constructor(session: ConnectionSession) {
    this.#session = session;
    session.start((frame) => {
      const id = 'id' in frame ? frame.id : undefined;
      if (id === undefined) return;
      const answer = this.#waiting.get(id);
      this.#waiting.delete(id);
      answer?.(frame);
    });
  }

  /** The server's `welcome`: its version, limits and features. */
  get welcome(): WelcomeFrame {
    return this.#session.welcome;
  }

  /**
   * Sends the request that `build` makes with a fresh id; resolves with the answer of type
   * `expected`. Rejects with the server's error, with the session's end, or after 30 s.
   */
  async ask<T extends ServerFrame['type']>(
    build: (id: number) => ClientFrame,
    expected: T,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const id = this.#nextId++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<ServerFrame>((resolve, reject) => {
      this.#waiting.set(id, resolve);
      timer = setTimeout(() => reject(new TauonError('timeout', `no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
    });
    const ended = this.#session.ended.then((error) => Promise.reject(error));
    // The race's loser must not reject unobserved once the session closes.
    ended.catch(() => undefined);
    try {
      this.#session.send(build(id));
      const frame = await Promise.race([answered, ended]);
      if (frame.type === 'error') throw errorFromWire(frame.code, frame.message, frame.details);
      if (frame.type !== expected) throw new TauonError('protocol', `the server answered "${frame.type}" where "${expected}" was due`);
      return frame as Extract<ServerFrame, { type: T }>;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
  }

  /** Ends the session and closes the connection. */
  close(): Promise<void> {
    return this.#session.close();
  }
}
