import { ForbiddenError } from '../../protocol/errors.js';
import type { ClientFrame } from '../../protocol/frames.js';
import { parseSelector } from '../selector.js';
import type { Permissions } from './permissions.js';

/**
 * Why the session may not send this frame, or undefined when it may: `append` and `invalidate`
 * need write on their stream (and an `append` with a condition read on the condition's selector); `subscribe`, `consume`, `read` and `surface` need read on all they
 * select. Every other frame is allowed here (`streams` and `groups` are filtered instead, `group`
 * and `replay-parked` are checked against the group's selector once it is known, `info` is for
 * anyone admitted; `ack`, `nack` and `release` are about the session's own subscriptions).
 * Costs a boolean for a session that may do everything, and a few Set lookups otherwise.
 */
export function refusalOf(permissions: Permissions, frame: ClientFrame): ForbiddenError | undefined {
  if (permissions.unrestricted) return undefined;
  switch (frame.type) {
    case 'append':
      if (!permissions.mayWrite(frame.stream)) return new ForbiddenError('write', frame.stream);
      // A condition reads its selector: its failure names a position there (SPEC 5.8.1).
      if (frame.condition !== undefined && !permissions.mayRead(parseSelector(frame.condition.stream))) {
        return new ForbiddenError('read', frame.condition.stream);
      }
      return undefined;
    case 'invalidate':
      return permissions.mayWrite(frame.stream) ? undefined : new ForbiddenError('write', frame.stream);
    case 'subscribe':
    case 'consume':
    case 'read':
    case 'surface':
      return permissions.mayRead(parseSelector(frame.stream)) ? undefined : new ForbiddenError('read', frame.stream);
    default:
      return undefined;
  }
}
