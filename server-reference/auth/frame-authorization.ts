import { ForbiddenError } from '../../protocol/errors.js';
import type { ClientFrame } from '../../protocol/frames.js';
import { parseSelector } from '../selector.js';
import type { Permissions } from './permissions.js';

/**
 * Why the session may not send this frame, or undefined when it may: `append` and `invalidate`
 * need write on their stream; `subscribe`, `read` and `surface` need read on all they select.
 * Every other frame is allowed (`streams` is filtered instead, `info` is for anyone admitted).
 * Costs a boolean for a session that may do everything, and a few Set lookups otherwise.
 */
export function refusalOf(permissions: Permissions, frame: ClientFrame): ForbiddenError | undefined {
  if (permissions.unrestricted) return undefined;
  switch (frame.type) {
    case 'append':
    case 'invalidate':
      return permissions.mayWrite(frame.stream) ? undefined : new ForbiddenError('write', frame.stream);
    case 'subscribe':
    case 'read':
    case 'surface':
      return permissions.mayRead(parseSelector(frame.stream)) ? undefined : new ForbiddenError('read', frame.stream);
    default:
      return undefined;
  }
}
