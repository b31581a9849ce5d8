/**
 * What consumer groups may hold of events read ahead of delivery, on one server: each group at
 * most GROUP_READ_AHEAD_BYTES, and all the groups served together at most
 * SERVER_READ_AHEAD_BYTES, so that a client that makes many groups (up to MAX_SERVED_GROUPS)
 * cannot make the server hold their read-ahead without bound. A partition's share may be smaller
 * than one event: a partition with room takes one event whatever its size (PartitionRunner).
 */
export const GROUP_READ_AHEAD_BYTES = 16 * 1024 * 1024;
export const SERVER_READ_AHEAD_BYTES = 256 * 1024 * 1024;

/** The bytes one partition may read ahead, when `groups` groups are served here and its group holds `partitions` partitions here. */
export function partitionReadAhead(groups: number, partitions: number): number {
  const group = Math.min(GROUP_READ_AHEAD_BYTES, Math.floor(SERVER_READ_AHEAD_BYTES / Math.max(1, groups)));
  return Math.max(1, Math.floor(group / Math.max(1, partitions)));
}
