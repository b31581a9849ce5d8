import { TauonError } from '../protocol/errors.js';
import type { EventFilter, GroupInfo, GroupSummary } from '../protocol/frames.js';
import { DEFAULT_URL, parseCommand, stringFlag, UsageError } from './arguments.js';
import { tokenOf, transportFor } from './client-commands.js';
import { RequestSession } from './request-session.js';
import { partRanges, textTable } from './text-table.js';

export const GROUPS_USAGE =
  'tauon groups [--url URL] [--service NAME] [--token T] [--ca FILE] [--json] [NAME | replay-parked NAME]';

export const GROUPS_HELP = `usage: ${GROUPS_USAGE}

Shows the consumer groups a server keeps (SPEC 17), as a table, or as JSON with --json.

  tauon groups                       every group the token may read: its selector, partitions,
                                     members, lag (head - checkpoint, in positions) and parked events
  tauon groups NAME                  one group: its members (the partitions each holds, when its
                                     lease ends) and each partition (owner, generation, checkpoint,
                                     head, lag, parked events)
  tauon groups replay-parked NAME    has the group's members deliver its parked events again, and
                                     prints how many were parked (needs write on the group's selector)

  --url URL      ws://, wss://, amqp:// or amqps:// (default ${DEFAULT_URL}; --service names the queue)
  --token T      the token for a server that authenticates (default: TAUON_TOKEN)
  --ca FILE      a private CA to trust over TLS (default: TAUON_CA)
  --json         the answer as JSON: an array of groups, one group, or {"group","parked"}

A server whose store keeps no consumer groups is told apart (exit 1, code "unsupported").

Example:
  tauon groups --url ws://127.0.0.1:7600
  # GROUP    SELECTOR  PARTITIONS  MEMBERS  LAG  PARKED
  # billing  orders.*  16          2        12   0
  tauon groups billing --json`;

/** `tauon groups`: lists the groups, describes one, or replays one's parked events. */
export async function groups(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    url: { type: 'string' },
    service: { type: 'string' },
    ca: { type: 'string' },
    token: { type: 'string' },
    json: { type: 'boolean' },
  });
  const json = values['json'] === true;
  const request = requestOf(positionals);
  const session = await RequestSession.open(await transportFor(values), tokenOf(values));
  try {
    if (session.welcome.features?.includes('groups') !== true) {
      throw new TauonError(
        'unsupported',
        `the server at ${stringFlag(values, 'url', DEFAULT_URL)} serves no consumer groups (its store keeps none, or it predates them)`,
      );
    }
    switch (request.kind) {
      case 'list': {
        const list = await session.ask((id) => ({ type: 'groups', id }), 'group-list');
        for (const line of json ? [JSON.stringify(list.groups)] : groupListLines(list.groups)) out(line);
        break;
      }
      case 'info': {
        const info = await session.ask((id) => ({ type: 'group', id, group: request.name }), 'group-info');
        for (const line of json ? [JSON.stringify(info.group)] : groupInfoLines(info.group)) out(line);
        break;
      }
      case 'replay': {
        const replaying = await session.ask((id) => ({ type: 'replay-parked', id, group: request.name }), 'replaying');
        out(
          json
            ? JSON.stringify({ group: replaying.group, parked: replaying.parked })
            : `replaying ${replaying.parked} parked event${replaying.parked === 1 ? '' : 's'} of group ${replaying.group}`,
        );
        break;
      }
    }
  } finally {
    await session.close();
  }
}

type GroupsRequest = { kind: 'list' } | { kind: 'info' | 'replay'; name: string };

function requestOf(positionals: readonly string[]): GroupsRequest {
  const [first, second, ...rest] = positionals;
  if (first === undefined) return { kind: 'list' };
  if (first === 'replay-parked') {
    if (second === undefined || rest.length > 0) throw new UsageError('groups replay-parked takes one group NAME');
    return { kind: 'replay', name: second };
  }
  if (second !== undefined) throw new UsageError(`groups takes one group NAME, or replay-parked NAME; unexpected "${second}"`);
  return { kind: 'info', name: first };
}

/** The table of `tauon groups`, or a line saying there are none. */
export function groupListLines(list: readonly GroupSummary[]): string[] {
  if (list.length === 0) return ['no consumer groups'];
  return textTable(
    ['GROUP', 'SELECTOR', 'PARTITIONS', 'MEMBERS', 'LAG', 'PARKED'],
    list.map((group) => [
      group.group,
      selectorText(group.stream, group.filter),
      String(group.partitions),
      String(group.members),
      String(group.lag),
      String(group.parked),
    ]),
  );
}

/** What `tauon groups NAME` prints: the group in brief, its members, then its partitions. */
export function groupInfoLines(info: GroupInfo): string[] {
  const lines = [
    `group       ${info.group}`,
    `selector    ${selectorText(info.stream, info.filter)}`,
    `created     ${new Date(info.created).toISOString()}`,
    `partitions  ${info.partitions}, members ${info.members}, head ${info.head}, lag ${info.lag}, parked ${info.parked}`,
    '',
  ];
  if (info.memberList.length === 0) lines.push('no members');
  else {
    lines.push(
      ...textTable(
        ['MEMBER', 'PARTITIONS', 'LEASE ENDS'],
        info.memberList.map((member) => [member.member, partRanges(member.parts), new Date(member.expires).toISOString()]),
      ),
    );
  }
  lines.push('');
  lines.push(
    ...textTable(
      ['PART', 'OWNER', 'GEN', 'CHECKPOINT', 'HEAD', 'LAG', 'PARKED'],
      info.partitionList.map((part) => [
        String(part.part),
        part.owner === null ? '-' : part.revoking === true ? `${part.owner} (revoking)` : part.owner,
        String(part.gen),
        String(part.checkpoint),
        String(part.head),
        String(part.lag),
        String(part.parked),
      ]),
    ),
  );
  return lines;
}

/** The selector with its filter, if any: `orders.* types=A,B keys=k1`. */
function selectorText(stream: string, filter: EventFilter | undefined): string {
  const parts = [stream];
  if (filter?.types !== undefined) parts.push(`types=${filter.types.join(',')}`);
  if (filter?.keys !== undefined) parts.push(`keys=${filter.keys.join(',')}`);
  return parts.join(' ');
}
