// A store of its own, as an outside project writes one from docs/writing-a-store.md: every event
// one line of JSON in a file, all of it held in memory too. The tests copy this file into a
// temporary project (its own package.json, `tauon` installed as a link) and serve it with
// `tauon serve --config`; it also passes the store contract.
//
// JSON keeps what the engine lets through over JSON clients (SPEC 4.9) but not binary data or
// integers beyond 2^53 from msgpack clients: fine for a test, not for production.
import { randomUUID } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { applyAppendCall, CommitListeners, compareNames, StoreClock } from 'tauon/server';
import { TauonError } from 'tauon/protocol';

/**
 * The store factory `tauon serve` calls: `options.file` is the JSON-lines file (relative to the
 * configuration file's directory), created when missing.
 * @param {unknown} options
 * @param {{ name: string, baseDir: string }} context
 */
export default async function createStore(options, context) {
  const file = /** @type {{ file?: unknown }} */ (options ?? {}).file;
  if (typeof file !== 'string' || file === '') throw new Error('options.file must name the JSON-lines file of the store');
  return JsonLinesStore.open(resolve(context.baseDir, file));
}

export class JsonLinesStore {
  kind = 'json-lines';
  /** The store's identity, kept beside its file (`<file>.id`): the same on every open. */
  id;

  /** Committed events in position order (position p at index p - 1); what every read sees. */
  #log = [];
  /** Committed events by stream and by id. */
  #streams = new Map();
  #ids = new Map();
  #clock;
  #listeners = new CommitListeners();
  /** Calls run one after another: each is planned against every commit before it. */
  #tail = Promise.resolve();
  #closed = false;
  #file;

  constructor(file, id, events) {
    this.#file = file;
    this.id = id;
    for (const event of events) this.#keep(event);
    this.#clock = new StoreClock(events.at(-1)?.recorded ?? 0);
  }

  /** Reads the file (a torn last line, from a crash in the middle of a write, is left out). */
  static async open(file) {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    const events = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        events.push(JSON.parse(line));
      } catch {
        break;
      }
    }
    return new JsonLinesStore(file, await identityOf(`${file}.id`), events);
  }

  append(requests) {
    if (this.#closed) return Promise.reject(closedError());
    const run = this.#tail.then(() => this.#commit(requests));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Plans the call against the committed events plus its own writes, writes its lines, and only
   * then makes its events visible to reads: no reader sees an append the file does not hold.
   */
  async #commit(requests) {
    const pending = [];
    const pendingOf = (stream) => pending.filter((event) => event.stream === stream);
    const target = {
      streamHead: (stream) => {
        const last = pendingOf(stream).at(-1) ?? this.#streams.get(stream)?.at(-1);
        return last === undefined ? undefined : { head: last.seq, tx: last.tx };
      },
      eventById: (id) => pending.find((event) => event.id === id) ?? this.#ids.get(id),
      newestOfKey: (stream, key) =>
        pendingOf(stream).findLast((event) => event.key === key) ?? this.#streams.get(stream)?.findLast((event) => event.key === key),
      write: (_stream, events) => {
        pending.push(...events);
      },
    };
    const result = applyAppendCall(requests, target, this.#clock, this.#log.length + 1);
    if (result.written.length > 0) {
      await appendFile(this.#file, result.written.map((event) => `${JSON.stringify(event)}\n`).join(''));
      // Kept as copies: the caller keeps its request objects and may change them later.
      for (const event of result.written) this.#keep(copy(event));
      this.#listeners.notify(result.written);
    }
    return result.outcomes;
  }

  async readStream(stream, from, direction, limit) {
    this.#assertOpen();
    const events = this.#streams.get(stream) ?? [];
    return copies(page(events, from, direction, limit, (event) => event.seq));
  }

  async readAll(from, direction, limit, prefix = '') {
    this.#assertOpen();
    const events = prefix === '' ? this.#log : this.#log.filter((event) => event.stream.startsWith(prefix));
    return copies(page(events, from, direction, limit, (event) => event.pos));
  }

  async findEvent(id) {
    this.#assertOpen();
    const event = this.#ids.get(id);
    return event === undefined ? undefined : copy(event);
  }

  async findByTime(time, stream, prefix = '') {
    this.#assertOpen();
    const events = stream !== undefined ? (this.#streams.get(stream) ?? []) : this.#log;
    const found = events.find((event) => event.recorded >= time && (stream !== undefined || event.stream.startsWith(prefix)));
    return found === undefined ? undefined : copy(found);
  }

  async streamInfo(stream) {
    this.#assertOpen();
    return summary(stream, this.#streams.get(stream));
  }

  async listStreams(prefix, after, limit) {
    this.#assertOpen();
    return [...this.#streams.keys()]
      .filter((name) => name.startsWith(prefix) && (after === undefined || compareNames(name, after) > 0))
      .sort(compareNames)
      .slice(0, Math.max(limit, 0))
      .map((name) => summary(name, this.#streams.get(name)));
  }

  async surface(stream) {
    this.#assertOpen();
    const newest = new Map();
    for (const event of this.#streams.get(stream) ?? []) if (event.key !== undefined) newest.set(event.key, event);
    return copies([...newest.values()].sort((a, b) => a.seq - b.seq));
  }

  async headPosition() {
    this.#assertOpen();
    return this.#log.length;
  }

  onCommit(listener) {
    return this.#listeners.add(listener);
  }

  /** Waits for the calls already made, then refuses every later call. */
  async close() {
    this.#closed = true;
    await this.#tail;
    this.#listeners.clear();
  }

  #keep(event) {
    this.#log.push(event);
    this.#ids.set(event.id, event);
    let events = this.#streams.get(event.stream);
    if (events === undefined) this.#streams.set(event.stream, (events = []));
    events.push(event);
  }

  #assertOpen() {
    if (this.#closed) throw closedError();
  }
}

function closedError() {
  return new TauonError('internal', 'the json-lines store is closed');
}

/** Up to `limit` events from position `from` (inclusive) in `direction`; `events` is in position order. */
function page(events, from, direction, limit, position) {
  if (limit <= 0) return [];
  const selected =
    direction === 'forward' ? events.filter((event) => position(event) >= from) : events.filter((event) => position(event) <= from).reverse();
  return selected.slice(0, limit);
}

/** A caller may change what it gets: it gets its own copy (JSON keeps `__proto__` keys own). */
function copy(event) {
  return JSON.parse(JSON.stringify(event));
}

function copies(events) {
  return events.map(copy);
}

function summary(stream, events) {
  const last = events?.at(-1);
  if (last === undefined) return undefined;
  return { stream, head: last.seq, count: events.length, tx: last.tx, lastPos: last.pos, lastRecorded: last.recorded };
}

/** The identity kept in `file`, made (a random UUID) when the store is new. */
async function identityOf(file) {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  await writeFile(file, id, { flag: 'wx' });
  return id;
}
