import { ForbiddenError, TauonError } from '../../protocol/errors.js';
import type { GroupFrame, GroupsFrame, ReplayParkedFrame, ServerFrame } from '../../protocol/frames.js';
import type { Permissions } from '../auth/permissions.js';
import { parseSelector } from '../selector.js';
import type { GroupsEngine } from './groups-engine.js';

/** The requests about groups (SPEC 17.12), for a session and for the HTTP API alike. */
export type GroupRequest = GroupsFrame | GroupFrame | ReplayParkedFrame;

/**
 * Answers `groups` (the groups whose selector the caller may read), `group` (read on its
 * selector) and `replay-parked` (write on all of its selector); `unsupported` when the server's
 * store keeps no groups.
 */
export async function answerGroupRequest(engine: GroupsEngine | undefined, frame: GroupRequest, permissions: Permissions): Promise<ServerFrame> {
  if (engine === undefined) throw new TauonError('unsupported', 'this server keeps no consumer groups: its store has none');
  switch (frame.type) {
    case 'groups': {
      const groups = await engine.list();
      return { type: 'group-list', id: frame.id, groups: groups.filter((group) => permissions.mayRead(parseSelector(group.stream))) };
    }
    case 'group': {
      const info = await engine.info(frame.group);
      if (info === undefined) throw new TauonError('not-found', `no consumer group "${frame.group}"`);
      if (!permissions.mayRead(parseSelector(info.stream))) throw new ForbiddenError('read', info.stream);
      return { type: 'group-info', id: frame.id, group: info };
    }
    case 'replay-parked': {
      const stream = await engine.selectorOf(frame.group);
      if (stream === undefined) throw new TauonError('not-found', `no consumer group "${frame.group}"`);
      if (!permissions.unrestricted && !permissions.write.covers(parseSelector(stream))) throw new ForbiddenError('write', stream);
      const parked = await engine.replayParked(frame.group);
      return { type: 'replaying', id: frame.id, group: frame.group, parked };
    }
  }
}
