import { randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';

/**
 * A WebSocket client written by hand over a plain TCP socket, so that a test can stop reading
 * the socket (as a client whose process stalls, or that ignores what it gets) and start again,
 * which no WebSocket library lets one do. It sends binary messages, masked, and hands every
 * whole message it receives to `onMessage`, in order; pings and fragments are not expected from
 * our server and fail the parse.
 */
export class RawWebSocket {
  /** Received bytes not yet parsed into messages: a list of chunks, joined only when needed. */
  private chunks: Buffer[] = [];
  private length = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly onMessage: (payload: Buffer) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.received(chunk));
  }

  /** Connects to a `ws://` URL and completes the upgrade; rejects when the server refuses it. */
  static open(url: string, onMessage: (payload: Buffer) => void): Promise<RawWebSocket> {
    const { hostname, port, pathname } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connectTcp({ host: hostname, port: Number(port) });
      socket.once('error', reject);
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        socket.off('error', reject);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!status.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          reject(new Error(`the upgrade was refused: ${status}`));
          return;
        }
        const raw = new RawWebSocket(socket, onMessage);
        // Frames that came with the upgrade's answer.
        if (head.length > end + 4) raw.received(head.subarray(end + 4));
        resolve(raw);
      };
      socket.on('data', onHead);
      socket.once('connect', () => {
        socket.write(
          `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Sends one binary message. */
  send(payload: Uint8Array): void {
    const mask = randomBytes(4);
    const size = payload.byteLength;
    const header = size < 126 ? Buffer.alloc(6) : size < 65_536 ? Buffer.alloc(8) : Buffer.alloc(14);
    header[0] = 0x82;
    if (size < 126) {
      header[1] = 0x80 | size;
    } else if (size < 65_536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(size, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(size), 2);
    }
    mask.copy(header, header.length - 4);
    const masked = Buffer.from(payload);
    for (let i = 0; i < size; i++) masked[i]! ^= mask[i & 3]!;
    this.socket.write(Buffer.concat([header, masked]));
  }

  /** Stops reading the socket: what the server sends waits in the kernel's buffers, then in the server. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads the socket again. */
  resume(): void {
    this.socket.resume();
  }

  /** Why parsing failed, if it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  close(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    try {
      this.parse();
    } catch (error) {
      this.failure = error as Error;
      this.socket.destroy();
    }
  }

  /** Takes every whole message out of the received bytes. */
  private parse(): void {
    for (;;) {
      if (this.length < 2) return;
      const head = this.peek(Math.min(this.length, 10));
      const opcode = head[0]! & 0x0f;
      if ((head[0]! & 0x80) === 0) throw new Error('a fragmented message');
      if ((head[1]! & 0x80) !== 0) throw new Error('a masked frame from the server');
      let size = head[1]! & 0x7f;
      let offset = 2;
      if (size === 126) {
        if (head.length < 4) return;
        size = head.readUInt16BE(2);
        offset = 4;
      } else if (size === 127) {
        if (head.length < 10) return;
        size = Number(head.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.length < offset + size) return;
      const frame = this.take(offset + size).subarray(offset);
      if (opcode === 0x8) return;
      if (opcode !== 0x1 && opcode !== 0x2) throw new Error(`an unexpected opcode ${opcode}`);
      this.onMessage(frame);
    }
  }

  /** The first `count` bytes received, without taking them. */
  private peek(count: number): Buffer {
    if (this.chunks[0]!.length < count) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, count);
  }

  /** Takes the first `count` bytes received. */
  private take(count: number): Buffer {
    if (this.chunks[0]!.length < count) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const taken = first.subarray(0, count);
    if (first.length === count) this.chunks.shift();
    else this.chunks[0] = first.subarray(count);
    this.length -= count;
    return taken;
  }
}
