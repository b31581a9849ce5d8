import { PositionSet } from './position-set.js';

/** The most positions one `ack` frame may list (the protocol's bound). */
export const MAX_ACK_POSITIONS = 10_000;

/** What one `ack` frame of a partition says: positions, a cumulative bound, or both. */
export interface AckBatch {
  /** Positions acknowledged one by one, ascending. */
  pos?: number[];
  /** Every event of the partition delivered at or below this is acknowledged. */
  upTo?: number;
}

/**
 * The acknowledgements of one partition at one generation, batched into `ack` frames.
 *
 * It knows every position delivered and not yet acknowledged (queued, handed out, or nacked and
 * waiting for its redelivery), and the acknowledgements made since the last frame, which it
 * lists in `pos`. Asked for cumulative frames, it says `upTo` instead for the acknowledged
 * positions below the lowest one not acknowledged (no event it knows at or below it is left
 * out); a nacked event stays unacknowledged until its redelivery is acknowledged, so `upTo`
 * never passes it.
 *
 * The member asks for positions only. A parked event delivered again (replay-parked) comes
 * below the partition's newest events, out of order, and looks like any first delivery (even
 * the first of a generation): `upTo` cannot tell it apart. Were `upTo` to cover it, a replay in
 * flight would be settled unprocessed; as SPEC 17 has it, `upTo` does not cover replays, so one
 * acknowledged only inside an `upTo` would be delivered again until parked once more.
 */
export class PartitionAcks {
  /** Delivered and not acknowledged. */
  private readonly unacked = new PositionSet();
  /** Acknowledged since the last {@link PartitionAcks.take}. */
  private pending: number[] = [];

  /** How many acknowledgements wait for the next frame. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** How many delivered events are not acknowledged. */
  get unackedCount(): number {
    return this.unacked.size;
  }

  /** An event was delivered (again): it is unacknowledged until {@link PartitionAcks.ack}. */
  received(position: number): void {
    this.unacked.add(position);
  }

  /** True when `position` was delivered and is not acknowledged. */
  isUnacked(position: number): boolean {
    return this.unacked.has(position);
  }

  /** Acknowledges a delivered event. False when it was not unacknowledged (already acknowledged, or unknown). */
  ack(position: number): boolean {
    if (!this.unacked.delete(position)) return false;
    this.pending.push(position);
    return true;
  }

  /**
   * The frames that carry the acknowledgements made since the last call (none when there were
   * none), and forgets them. With `cumulative`, the first frame has the `upTo`, if any; positions
   * beyond `maxPositions` a frame go in further frames.
   */
  take(options: { cumulative?: boolean; maxPositions?: number } = {}): AckBatch[] {
    if (this.pending.length === 0) return [];
    const maxPositions = options.maxPositions ?? MAX_ACK_POSITIONS;
    const acked = this.pending.sort((a, b) => a - b);
    this.pending = [];
    const lowestUnacked = options.cumulative === true ? (this.unacked.lowest ?? Number.POSITIVE_INFINITY) : Number.NEGATIVE_INFINITY;
    let covered = 0;
    while (covered < acked.length && (acked[covered] as number) < lowestUnacked) covered += 1;
    const rest = acked.slice(covered);
    const batches: AckBatch[] = [];
    const first: AckBatch = {};
    if (covered > 0) first.upTo = acked[covered - 1];
    if (rest.length > 0) first.pos = rest.slice(0, maxPositions);
    batches.push(first);
    for (let start = maxPositions; start < rest.length; start += maxPositions) {
      batches.push({ pos: rest.slice(start, start + maxPositions) });
    }
    return batches;
  }
}
