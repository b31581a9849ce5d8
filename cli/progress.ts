/** How often the progress line is redrawn at most. */
const REDRAW_EVERY_MS = 200;

/**
 * A progress line on stderr, redrawn in place, shown only when stderr is a terminal: a pipe or a
 * file (a script, a log) gets nothing, so that stderr carries only errors there.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #shown: boolean;
  #lastDrawn = 0;
  #width = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#shown = stream.isTTY === true;
  }

  /** Redraws the line with `text` (`describe` is called only when the line is due). */
  update(describe: () => string): void {
    if (!this.#shown) return;
    const now = Date.now();
    if (now - this.#lastDrawn < REDRAW_EVERY_MS) return;
    this.#lastDrawn = now;
    this.#draw(describe());
  }

  /** Draws the final state and ends the line. */
  done(text: string): void {
    if (!this.#shown) return;
    this.#draw(text);
    this.#stream.write('\n');
  }

  #draw(text: string): void {
    // Spaces cover what a longer earlier line left.
    this.#stream.write(`\r${text.padEnd(this.#width)}`);
    this.#width = text.length;
  }
}
