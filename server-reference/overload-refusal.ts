import { detectCodec } from '../protocol/codec.js';
import { SUPPORTED_VERSIONS } from '../protocol/version.js';
import { CloseCodes, type Connection } from '../transports/transport.js';

/**
 * Refuses a connection the server has no room for, the way the handshake refuses (SPEC 6.5.2):
 * the server may send nothing before the client's first frame (it says the codec), so it waits
 * for that frame, at most `waitMs`, answers `reject {code: "overloaded"}` in its codec, and
 * closes with 4001. A client takes `overloaded` as retriable and dials again later. No session
 * is made: the frame is not even decoded.
 */
export function refuseOverloaded(connection: Connection, message: string, waitMs: number): void {
  const timer = setTimeout(() => connection.close(CloseCodes.heartbeatTimeout, 'no hello'), waitMs);
  void connection.closed.then(() => clearTimeout(timer));
  let answered = false;
  connection.onFrame((bytes) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    const codec = detectCodec(bytes);
    connection.send(codec.encode({ type: 'reject', code: 'overloaded', message, versions: [...SUPPORTED_VERSIONS] }));
    connection.close(CloseCodes.handshake, 'overloaded');
  });
}
