import { TauonError } from '../../protocol/errors.js';
import type { AckFrame, NackFrame, ReleaseFrame, StoredEvent } from '../../protocol/frames.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { compileFilter } from '../event-filter.js';
import type { InternalErrors } from '../internal-errors.js';
import { headOf, parseSelector, positionIn, readSelected, type Selector } from '../selector.js';
import { deepEqual } from '../stores/deep-equal.js';
import type { EventStore } from '../stores/event-store.js';
import { outstanding, type DeliveryBook, type Outstanding } from './delivery-book.js';
import { groupPageReader, type GroupPage } from './group-page.js';
import type { GroupState, GroupStore, ParkedEvent, VersionedGroupState } from './group-store.js';
import { canTake, type LocalMember } from './local-member.js';
import { PartitionRunner } from './partition-runner.js';
import { TurnBudget } from '../short-turns.js';
import { memberRecord, nextGroupState, type LiveMember, type LocalView, type PartitionReport } from './rebalance.js';

/** How often timers are checked (ack timeouts, retries). */
const TICK_MS = 50;
/** How often the group's document is read and written: rebalances across servers take about this long. */
const SYNC_EVERY_TICKS = 2;
/** Events read from the store at once. */
const READ_PAGE = 4096;
/** Most events in one `deliver` frame. */
const DELIVER_BATCH = 1024;
/** Compare-and-set attempts of one sync before it waits for the next. */
const SAVE_ATTEMPTS = 8;
/** Most parked events one replay request delivers per partition. */
const REPLAY_LIMIT = 10_000;
/** The longest backoff of a nack without `retryMs`. */
const MAX_BACKOFF_MS = 30_000;

/** What a group needs from the server's engine. */
export interface GroupHost {
  readonly store: EventStore;
  readonly groups: GroupStore;
  /** This server's instance id (GroupMember.host). */
  readonly instance: string;
  readonly errors: InternalErrors;
  /** The group has no member here any more, and nothing left to write. */
  disposed(group: LocalGroup): void;
  /** How many groups this server serves now: they share its read-ahead (read-ahead-share.ts). */
  readonly servedGroups: number;
}

/**
 * One consumer group as this server serves it (SPEC 17): the members connected here, the
 * partitions they hold, reading the selector once for all of them, delivering each partition in
 * order, acks, redelivery and parking; and, a few times a second, folding what it knows into the
 * group's document in the store by compare-and-set, and taking back what the other servers of
 * the store decided (members, owners, generations).
 */
export class LocalGroup {
  readonly selector: Selector;
  private readonly readPage: (from: number, limit: number) => Promise<GroupPage>;
  private state: GroupState;
  private readonly members = new Map<string, LocalMember>();
  /** Partitions held by members connected here, by number. */
  private readonly runners = new Map<number, PartitionRunner>();
  /** Partitions given up here and not yet written free. */
  private readonly releases = new Map<number, PartitionReport>();
  private readonly timer: ReturnType<typeof setInterval>;
  private ticks = 0;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  /** Sync passes begun and ended, and who waits for a pass begun after they asked. */
  private passesBegun = 0;
  private passesEnded = 0;
  private passWaiters: { pass: number; resolve: () => void }[] = [];
  private pumping = false;
  private pumpAgain = false;
  private ended = false;
  private lastJoined = 0;

  constructor(
    private readonly host: GroupHost,
    readonly name: string,
    loaded: VersionedGroupState,
  ) {
    this.state = loaded.state;
    this.selector = parseSelector(loaded.state.stream);
    this.readPage = groupPageReader(host.store, this.selector, compileFilter(loaded.state.filter ?? undefined));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Members in the group's document (on every server), as last read. */
  get memberCount(): number {
    return Object.keys(this.state.members).length;
  }

  /** A unique start time for a new membership here (GroupMember.joined). */
  nextJoined(): number {
    this.lastJoined = Math.max(Date.now(), this.lastJoined + 1);
    return this.lastJoined;
  }

  /** Adds a member, and resolves once it is in the group's document and told its partitions (`assigned`). */
  async join(member: LocalMember): Promise<void> {
    if (this.ended) return;
    const earlier = this.members.get(member.id);
    // The same member joining again here (a reconnect seen before the old session closed).
    if (earlier !== undefined) this.supersede(earlier);
    this.members.set(member.id, member);
    await this.syncedAfterNow();
    if (member.left) return;
    if (member.lastAssigned === '') this.sendAssigned(member, true);
  }

  /** The member left (unsubscribed, or its session closed): its partitions go to others. */
  leave(member: LocalMember): void {
    if (member.left) return;
    member.left = true;
    for (const runner of [...member.runners.values()]) this.stopRunner(runner, true);
    if (this.members.get(member.id) === member) this.members.delete(member.id);
    void this.sync();
  }

  /** Another consume took the member's id: it leaves, and its subscription ends `fenced` (SPEC 17.5). */
  private supersede(member: LocalMember): void {
    if (member.left) return;
    this.leave(member);
    member.link.end(
      new TauonError('fenced', `member "${member.id}" of group "${this.name}" joined again on another subscription`, {
        details: { group: this.name, member: member.id },
      }),
    );
  }

  addCredit(member: LocalMember, n: number): void {
    member.credit += n;
    this.deliver(member);
  }

  ack(member: LocalMember, frame: AckFrame): void {
    const runner = this.heldBy(member, frame);
    if (runner === undefined) return;
    const now = Date.now();
    for (const position of frame.pos ?? []) this.settle(runner, position, now);
    // Cumulative acks cover the partition's own order only: replayed parked events lie below it
    // and come out of that order, so they are acknowledged by position (SPEC 17.7).
    if (frame.upTo !== undefined) for (const entry of runner.book.upTo(frame.upTo)) this.settle(runner, entry.position, now);
    this.afterSettling(runner);
  }

  nack(member: LocalMember, frame: NackFrame): void {
    const runner = this.heldBy(member, frame);
    if (runner === undefined) return;
    const book = runner.replays.get(frame.pos) === undefined ? runner.book : runner.replays;
    const entry = book.get(frame.pos);
    if (entry === undefined || entry.state === 'parking') return;
    if (runner.revoking) {
      // The group wants the partition back: what failed goes to the next owner.
      this.stopRunner(runner, true);
      this.sendAssigned(member);
      return;
    }
    const now = Date.now();
    if (frame.park !== undefined) this.park(runner, book, entry, frame.park);
    else if (entry.deliveries >= member.settings.maxDeliveries) this.park(runner, book, entry, 'max-deliveries');
    else book.retry(entry, now + (frame.retryMs ?? backoff(entry.deliveries)), now);
    this.deliver(member);
  }

  release(member: LocalMember, frame: ReleaseFrame): void {
    const runner = this.heldBy(member, frame);
    if (runner === undefined) return;
    this.stopRunner(runner, true);
    this.sendAssigned(member);
  }

  /** The partitions held here share the read-ahead anew (partitions or groups served here changed). */
  shareReadAhead(): void {
    for (const runner of this.runners.values()) runner.shareReadAhead(this.host.servedGroups, this.runners.size);
  }

  /** New events were committed: read on where partitions wait at the head. */
  committed(): void {
    if (this.runners.size > 0) void this.pump();
  }

  /**
   * The server is closing, its sessions closed: writes what their members' leaving left to write
   * (free partitions, last checkpoints), so that the group goes on at once elsewhere instead of
   * after their leases; then ends.
   */
  async close(): Promise<void> {
    if (this.ended) return;
    for (const member of [...this.members.values()]) this.leave(member);
    await this.sync();
    this.end();
  }

  /** Stops the group here at once: nothing more is read or written. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    for (const runner of this.runners.values()) runner.stopped = true;
    this.runners.clear();
    this.members.clear();
    this.host.disposed(this);
  }

  // ---- the group's document ----

  /** Folds this server's view into the document and takes the result; one at a time, coalesced. */
  sync(): Promise<void> {
    if (this.syncing !== undefined) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = this.syncLoop().finally(() => {
      this.syncing = undefined;
      // Asked for while the loop was ending: one more.
      if (this.syncAgain && !this.ended) void this.sync();
      else this.afterSync();
    });
    return this.syncing;
  }

  /**
   * Resolves once a sync pass that began after this call has ended: what was changed before it is
   * in the document (or the store failed and the next tick tries again). Not the coalesced loop,
   * which requests keep going while the store is slow.
   */
  private syncedAfterNow(): Promise<void> {
    const pass = this.passesBegun + 1;
    const done = new Promise<void>((resolve) => this.passWaiters.push({ pass, resolve }));
    void this.sync();
    return done;
  }

  private async syncLoop(): Promise<void> {
    do {
      this.syncAgain = false;
      this.passesBegun += 1;
      try {
        await this.syncOnce();
      } catch (error) {
        // The store failed: the next tick tries again; meanwhile leases run down (SPEC 17.14).
        // Whoever waits is answered now rather than after a retry at once.
        this.host.errors.expose(error, `group ${this.name} sync`);
        this.syncAgain = false;
        this.passEnded(true);
        return;
      }
      this.passEnded(false);
      this.reconcile();
    } while (this.syncAgain && !this.ended);
  }

  /** A pass ended: its waiters (every waiter, when it failed) are answered. */
  private passEnded(all: boolean): void {
    this.passesEnded = this.passesBegun;
    const waiting = this.passWaiters;
    this.passWaiters = [];
    for (const waiter of waiting) {
      if (all || waiter.pass <= this.passesEnded) waiter.resolve();
      else this.passWaiters.push(waiter);
    }
  }

  private async syncOnce(): Promise<void> {
    for (let attempt = 0; attempt < SAVE_ATTEMPTS && !this.ended; attempt += 1) {
      const loaded = await this.host.groups.load(this.name);
      if (loaded === undefined) throw new TauonError('not-found', `group "${this.name}" was deleted`);
      const view = this.view(Date.now(), loaded.state);
      const next = nextGroupState(loaded.state, view);
      // Compared by value: a store may hand the document back with its keys in another order (jsonb).
      if (deepEqual(next, loaded.state)) {
        this.adopt(loaded.state, view);
        return;
      }
      const revision = await this.host.groups.save(this.name, next, loaded.revision);
      if (revision !== undefined) {
        this.adopt(next, view);
        return;
      }
    }
  }

  /** What this server knows now, for the document (see nextGroupState). */
  private view(now: number, state: GroupState): LocalView {
    const alive = new Map<string, LiveMember>();
    for (const member of this.members.values()) {
      const lastHeard = member.link.lastHeard();
      if (!member.left && now - lastHeard < member.settings.leaseMs) {
        alive.set(member.id, { leaseMs: member.settings.leaseMs, lastHeard, joined: member.joined });
      }
    }
    const checkpoints = new Map<number, PartitionReport>();
    const replayed = new Map<number, PartitionReport & { replay: number }>();
    for (const runner of this.runners.values()) {
      if (runner.stopped) continue;
      const report = { member: runner.member.id, gen: runner.gen, checkpoint: runner.checkpoint() };
      if (report.checkpoint > runner.written) checkpoints.set(runner.part, report);
      if (runner.replayTaken > (state.parts[runner.part]?.replayed ?? 0)) replayed.set(runner.part, { ...report, replay: runner.replayTaken });
    }
    return { now, host: this.host.instance, alive, releases: new Map(this.releases), checkpoints, replayed };
  }

  /** Takes the document as written (or found current): what it took of the view is done. */
  private adopt(state: GroupState, view: LocalView): void {
    this.state = state;
    for (const [part, report] of view.releases) {
      if (this.releases.get(part) === report) this.releases.delete(part);
    }
    for (const runner of this.runners.values()) {
      const part = state.parts[runner.part];
      if (part !== undefined && part.owner === runner.member.id && part.gen === runner.gen) {
        runner.written = Math.max(runner.written, part.checkpoint);
      }
    }
  }

  /** Makes the partitions held here match the document, and tells members what changed. */
  private reconcile(): void {
    if (this.ended) return;
    const state = this.state;
    for (const member of [...this.members.values()]) {
      const record = memberRecord(state.members, member.id);
      if (record !== undefined && record.joined > member.joined && record.host !== this.host.instance) this.supersede(member);
    }
    for (const runner of [...this.runners.values()]) {
      if (!this.documentGrants(runner.member, runner.part, runner.gen)) this.stopRunner(runner, false);
      else runner.revoking = state.parts[runner.part]!.revoking;
    }
    state.parts.forEach((part, index) => {
      if (part.owner === null || this.runners.has(index) || this.releases.has(index)) return;
      const member = this.members.get(part.owner);
      if (member === undefined || !this.documentGrants(member, index, part.gen)) return;
      const runner = new PartitionRunner(index, part.gen, member, part.checkpoint);
      runner.revoking = part.revoking;
      runner.replayTaken = part.replayed;
      this.runners.set(index, runner);
      member.runners.set(index, runner);
    });
    this.shareReadAhead();
    for (const runner of [...this.runners.values()]) {
      if (runner.revoking && runner.idle) this.stopRunner(runner, true);
      else if (state.replay > runner.replayTaken && !runner.revoking) void this.startReplay(runner, state.replay);
    }
    for (const member of this.members.values()) this.sendAssigned(member);
    void this.pump();
    for (const member of this.members.values()) this.deliver(member);
  }

  /** True when the document gives the partition at this generation to this membership, hosted here. */
  private documentGrants(member: LocalMember, part: number, gen: number): boolean {
    const entry = this.state.parts[part];
    const record = memberRecord(this.state.members, member.id);
    return (
      !member.left &&
      this.members.get(member.id) === member &&
      entry !== undefined &&
      entry.owner === member.id &&
      entry.gen === gen &&
      record !== undefined &&
      record.host === this.host.instance &&
      record.joined === member.joined
    );
  }

  private afterSync(): void {
    if (this.ended) return;
    if (this.members.size === 0 && this.releases.size === 0 && !this.syncAgain) this.end();
  }

  /** True while the member's lease, as last written, holds: it may be delivered to and acknowledge. */
  private leaseHolds(member: LocalMember, now: number): boolean {
    const record = memberRecord(this.state.members, member.id);
    return record !== undefined && record.joined === member.joined && record.host === this.host.instance && record.expires > now;
  }

  // ---- partitions held here ----

  /** The runner of the frame's partition when the member holds it at the frame's generation; else answers `fenced`. */
  private heldBy(member: LocalMember, frame: { part: number; gen: number }): PartitionRunner | undefined {
    const runner = member.runners.get(frame.part);
    // Held while the runner is: a lapsed lease stops runners through the document (and says so
    // with `assigned`), so that `fenced` never answers what the document still grants.
    if (runner !== undefined && runner.gen === frame.gen && !runner.stopped) return runner;
    member.link.send({
      type: 'error',
      sub: member.sub,
      code: 'fenced',
      message: `partition ${frame.part} of group "${this.name}" is not held at generation ${frame.gen}${runner === undefined || runner.stopped ? '' : ` (it is at ${runner.gen})`}`,
      details: { group: this.name, part: frame.part, gen: frame.gen },
    });
    return undefined;
  }

  /** Stops a runner; `release`: the partition is given up here and written free with its checkpoint. */
  private stopRunner(runner: PartitionRunner, release: boolean): void {
    if (runner.stopped) return;
    runner.stopped = true;
    runner.member.unacked -= runner.book.size;
    if (runner.member.runners.get(runner.part) === runner) runner.member.runners.delete(runner.part);
    if (this.runners.get(runner.part) === runner) this.runners.delete(runner.part);
    if (release) {
      this.releases.set(runner.part, { member: runner.member.id, gen: runner.gen, checkpoint: runner.checkpoint() });
      void this.sync();
    }
  }

  private sendAssigned(member: LocalMember, force = false): void {
    if (member.left) return;
    const parts = [...member.runners.values()]
      .filter((runner) => !runner.stopped)
      .sort((a, b) => a.part - b.part)
      .map((runner) => ({ part: runner.part, gen: runner.gen, ...(runner.revoking ? { revoking: true } : {}) }));
    const text = JSON.stringify(parts);
    if (!force && (text === member.lastAssigned || member.lastAssigned === '')) return;
    member.lastAssigned = text;
    member.link.send({ type: 'assigned', sub: member.sub, member: member.id, parts });
  }

  private settle(runner: PartitionRunner, position: number, now: number): void {
    const replay = runner.replays.get(position);
    if (replay !== undefined) {
      if (replay.state === 'parking') return;
      runner.replays.remove(position, now);
      this.host.groups.unpark(this.name, position).catch((error: unknown) => this.host.errors.expose(error, `group ${this.name} unpark`));
      return;
    }
    const entry = runner.book.get(position);
    if (entry === undefined || entry.state === 'parking') return;
    runner.book.remove(position, now);
    runner.member.unacked -= 1;
  }

  private afterSettling(runner: PartitionRunner): void {
    if (runner.revoking && runner.idle) {
      this.stopRunner(runner, true);
      this.sendAssigned(runner.member);
    }
    this.deliver(runner.member);
  }

  private park(runner: PartitionRunner, book: DeliveryBook, entry: Outstanding, reason: string): void {
    entry.state = 'parking';
    const replayed = book === runner.replays;
    const parking = async () => {
      // Delivered events keep no copy: what the parked record names is read again.
      const event = await this.eventAt(entry.position);
      if (event === undefined) throw new Error(`event at ${entry.position} of group ${this.name} cannot be read to park it`);
      const record: ParkedEvent = {
        position: entry.position,
        part: runner.part,
        id: event.id,
        stream: event.stream,
        seq: event.seq,
        reason,
        deliveries: entry.deliveries,
        parkedAt: Date.now(),
      };
      await this.host.groups.park(this.name, record);
    };
    parking().then(
      () => {
        if (runner.stopped) return;
        book.remove(entry.position, Date.now());
        if (!replayed) runner.member.unacked -= 1;
        this.afterSettling(runner);
      },
      (error: unknown) => {
        // Not parked: delivered again later, and parked then if the store takes it.
        this.host.errors.expose(error, `group ${this.name} park`);
        entry.state = 'out';
        book.retry(entry, Date.now() + 1000, Date.now());
      },
    );
  }

  /**
   * Takes up a replay request: the partition's parked events are delivered again, before new
   * ones (read from the store as they go out).
   */
  private async startReplay(runner: PartitionRunner, replay: number): Promise<void> {
    if (runner.replays.size > 0) return;
    runner.replayTaken = replay;
    try {
      const found: Outstanding[] = [];
      let after = 0;
      while (found.length < REPLAY_LIMIT && !runner.stopped) {
        const page = await this.host.groups.parked(this.name, after, 256, runner.part);
        for (const parked of page) found.push(outstanding(parked.position, undefined, 0, 0));
        if (page.length < 256) break;
        after = page[page.length - 1]!.position;
      }
      if (runner.stopped || runner.replays.size > 0) return;
      const now = Date.now();
      found.sort((a, b) => a.position - b.position);
      for (const entry of found) runner.replays.queueDue(entry, now);
      void this.sync();
      this.deliver(runner.member);
    } catch (error) {
      this.host.errors.expose(error, `group ${this.name} replay`);
    }
  }

  // ---- reading and delivering ----

  /**
   * Reads the selector once for every partition held here, from the lowest of their cursors,
   * and hands each event to its partition's queue (SPEC 17.8). Reading stops where a partition's
   * queue is full and goes on once it has drained, so that each event is read once; a partition
   * whose member stopped taking events, or a full one while another partition's member waits on
   * us, is passed over, so that no member holds up the others, and read again from its own cursor.
   */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    // A group catching up reads page after page: in short turns, so that the server's other
    // connections are served in between (short-turns.ts).
    const turns = new TurnBudget();
    try {
      for (;;) {
        await turns.yieldIfSpent();
        this.pumpAgain = false;
        const now = Date.now();
        const active = [...this.runners.values()].filter((runner) => !runner.stopped && !runner.revoking);
        // A partition whose member waits on us (nothing queued, room to take) is not made to wait
        // for a full one to drain: that one is passed over and read again later. Otherwise
        // reading waits for full partitions whose members take events, so that each event is
        // read once.
        const starving = active.some((runner) => runner.queued === 0 && canTake(runner.member));
        if (this.ended || (!starving && active.some((runner) => runner.isDraining(now)))) break;
        // A partition whose member takes nothing now is read for once it can: what it had read
        // ahead is let go meanwhile, so that a stalled member holds no memory here.
        const taking = new Set<PartitionRunner>();
        for (const runner of active) {
          if (runner.isMoving(now) || canTake(runner.member)) {
            if (runner.hasRoom) taking.add(runner);
          } else {
            runner.dropReadAhead();
          }
        }
        if (![...taking].some((runner) => runner.wantsMore)) break;
        let from = Number.MAX_SAFE_INTEGER;
        for (const runner of taking) from = Math.min(from, runner.cursor + 1);
        // The head first: a read that ends short of a page has examined everything up to it,
        // other streams' events included, and the checkpoints go that far (SPEC 17.11).
        const head = await headOf(this.host.store, this.selector);
        const page = await this.readPage(from, READ_PAGE);
        const read = page.positions.length;
        const whole = read === 0 || this.route(page, taking, Date.now(), !starving);
        if (whole && read < READ_PAGE) {
          for (const runner of taking) if (!runner.stopped && runner.cursor < head) runner.cursor = head;
        }
        if (read === 0) {
          if (this.pumpAgain) continue;
          break;
        }
        for (const member of this.members.values()) this.deliver(member);
        // Stopped at a partition now full: reading goes on once it drains (its deliveries call again).
        if (!whole || (read < READ_PAGE && !this.pumpAgain)) break;
      }
    } catch (error) {
      this.host.errors.expose(error, `group ${this.name} read`);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Hands the page's events to the queues of the partitions taking; false when it stopped at a
   * partition whose queue filled and is draining (the rest of the page is read again later).
   * Without `waitForFull`, or when its member has not taken events lately, a full partition is
   * passed over instead.
   */
  private route(page: GroupPage, taking: Set<PartitionRunner>, now: number, waitForFull: boolean): boolean {
    const { positions } = page;
    const partitions = this.state.partitions;
    // By partition number: the runner taking (none once passed over), and what it is given of
    // the page (indexes, bytes).
    const owners = new Array<PartitionRunner | undefined>(partitions);
    const given = new Array<number[] | undefined>(partitions);
    const givenBytes = new Array<number>(partitions).fill(0);
    for (const runner of taking) if (!runner.stopped) owners[runner.part] = runner;
    const byPart = [...owners];
    let examined = positions.length;
    for (let index = 0; index < positions.length; index += 1) {
      const position = positions[index]!;
      const part = page.partitionOf(index, partitions);
      const runner = byPart[part];
      if (runner === undefined || position <= runner.cursor) continue;
      if (page.selected(index)) {
        const indexes = given[part];
        if (!runner.roomFor(indexes?.length ?? 0, givenBytes[part]!)) {
          if (waitForFull && runner.isMoving(now)) {
            examined = index;
            break;
          }
          // Stalled (or another starving): passed over, and read again from its cursor later.
          byPart[part] = undefined;
          taking.delete(runner);
          continue;
        }
        if (indexes === undefined) given[part] = [index];
        else indexes.push(index);
        givenBytes[part] = givenBytes[part]! + page.sizeOf(index);
      }
      runner.cursor = position;
    }
    for (let part = 0; part < partitions; part += 1) {
      const indexes = given[part];
      if (indexes === undefined) continue;
      const runner = owners[part]!;
      const { bytes, ends } = page.copyOut(indexes);
      for (let i = 0; i < indexes.length; i += 1) runner.enqueue(outstanding(positions[indexes[i]!]!, bytes, i === 0 ? 0 : ends[i - 1]!, ends[i]!));
    }
    if (examined === 0) return false;
    // Partitions that took all they were given have read as far as the routing went.
    const last = positions[examined - 1]!;
    for (const runner of taking) if (!runner.stopped && runner.cursor < last) runner.cursor = last;
    return examined === positions.length;
  }

  /** Sends the member what its credit, its bound of unacknowledged events and its connection allow. */
  deliver(member: LocalMember): void {
    // Nothing before the member's first `assigned` (SPEC 17.3).
    if (member.left || member.waitingForDrain || this.ended || member.lastAssigned === '') return;
    const now = Date.now();
    if (!this.leaseHolds(member, now)) return;
    const runners = [...member.runners.values()];
    // The frames of its partitions go out in one write.
    member.link.batch(() => {
      let idle = 0;
      while (member.credit > 0 && runners.length > 0 && idle < runners.length) {
        if (!member.link.writable()) {
          member.waitingForDrain = true;
          member.link.whenWritable(() => {
            member.waitingForDrain = false;
            this.deliver(member);
          });
          return;
        }
        const runner = runners[member.turn % runners.length]!;
        member.turn += 1;
        idle = this.deliverFrom(runner, member, now) ? 0 : idle + 1;
      }
    });
    if (runners.some((runner) => runner.wantsMore && !runner.revoking)) void this.pump();
  }

  /** Sends one `deliver` frame of the runner's partition; false when it has nothing it may send now. */
  private deliverFrom(runner: PartitionRunner, member: LocalMember, now: number): boolean {
    if (!runner.deliverable) return false;
    const limit = Math.min(member.credit, DELIVER_BATCH);
    let sent: Outstanding[];
    if (runner.replays.hasDue) {
      sent = runner.replays.takeDue(limit, now);
      if (sent.length === 0) this.readAgain(runner, runner.replays);
    } else if (runner.book.hasDue) {
      sent = runner.book.takeDue(limit, now);
      if (sent.length === 0) this.readAgain(runner, runner.book);
    } else {
      const room = member.settings.maxUnacked - member.unacked;
      if (room <= 0) return false;
      sent = runner.takeQueued(Math.min(limit, room), now);
      for (const entry of sent) runner.book.delivered(entry, now);
      member.unacked += sent.length;
    }
    if (sent.length === 0) return false;
    member.credit -= sent.length;
    member.link.deliver(member.sub, runner.part, runner.gen, sent);
    for (const entry of sent) entry.chunk = undefined;
    return true;
  }

  /**
   * Reads again the due events of `book` that are not at hand (delivered events keep no copy),
   * then delivers. One read at a time per partition.
   */
  private readAgain(runner: PartitionRunner, book: DeliveryBook): void {
    if (runner.readingAgain) return;
    runner.readingAgain = true;
    void (async () => {
      try {
        for (const entry of book.due()) {
          if (runner.stopped) return;
          if (entry.chunk !== undefined || entry.state !== 'due') continue;
          const event = await this.eventAt(entry.position);
          if (event === undefined) {
            // Stores delete nothing: an event that cannot be read again is a store's fault.
            this.host.errors.expose(new Error(`event at ${entry.position} of group ${this.name} cannot be read again`), `group ${this.name} redelivery`);
            continue;
          }
          const encoding = msgpackCodec.encode(event);
          entry.chunk = encoding;
          entry.start = 0;
          entry.end = encoding.length;
        }
      } catch (error) {
        this.host.errors.expose(error, `group ${this.name} redelivery`);
      } finally {
        runner.readingAgain = false;
      }
      this.deliver(runner.member);
    })();
  }

  /** The event at `position` of the selector, read from the store. */
  private async eventAt(position: number): Promise<StoredEvent | undefined> {
    const [event] = await readSelected(this.host.store, this.selector, position, 'forward', 1);
    return event !== undefined && positionIn(this.selector, event) === position ? event : undefined;
  }

  // ---- time ----

  private tick(): void {
    if (this.ended) return;
    const now = Date.now();
    for (const runner of [...this.runners.values()]) {
      const settings = runner.member.settings;
      for (const book of [runner.replays, runner.book]) {
        if (runner.stopped) break;
        const late = book.tick(now, settings.ackTimeoutMs);
        if (late === undefined) continue;
        if (runner.revoking) {
          // The owner does not finish what the group wants back: the next owner takes it over.
          this.stopRunner(runner, true);
          this.sendAssigned(runner.member);
        } else if (late.deliveries >= settings.maxDeliveries) {
          this.park(runner, book, late, 'max-deliveries');
        } else {
          book.retry(late, now, now);
        }
      }
    }
    for (const member of this.members.values()) this.deliver(member);
    this.ticks += 1;
    if (this.ticks % SYNC_EVERY_TICKS === 0) {
      // Not while a sync runs: ticks must not keep a slow store's loop going for ever.
      if (this.syncing === undefined) void this.sync();
      // Reading goes on after a failed read, or a commit notice that did not come.
      void this.pump();
    }
  }
}

/** The wait before delivering again an event nacked without `retryMs`: 100 ms, doubling per delivery, at most 30 s. */
export function backoff(deliveries: number): number {
  return Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.max(0, deliveries - 1));
}
