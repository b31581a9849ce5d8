import { once } from 'node:events';

/**
 * Writes lines to stdout and waits when its buffer is full, so that a command that prints a
 * whole store through a slow pipe holds one page in memory, not everything it read.
 */
export class StdoutWriter {
  readonly #stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream = process.stdout) {
    this.#stream = stream;
  }

  /** Writes the lines; resolves once the stream takes more. */
  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    if (!this.#stream.write(`${lines.join('\n')}\n`)) await once(this.#stream, 'drain');
  }
}
