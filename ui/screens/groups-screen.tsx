import type { GroupInfo, GroupSummary } from '../../client/index.js';
import { apiGet, ApiError, segment } from '../http-api.js';
import { prettyJson } from '../format.js';
import { LoadView } from '../components/load-view.js';
import { routeHref } from '../route.js';
import { useLoad } from '../use-load.js';

/** The consumer groups the token may read, and one group in full. */
export function GroupsScreen({ name }: { name?: string }) {
  const path = name === undefined ? '/groups' : `/groups/${segment(name)}`;
  const loaded = useLoad(() => withoutSupport(apiGet<GroupSummary[] | GroupInfo>(path)), path);
  return (
    <section>
      <h2>{name === undefined ? 'Consumer groups' : <>Consumer group <span class="name">{name}</span></>}</h2>
      {name === undefined ? null : (
        <p class="links">
          <a href={routeHref({ screen: 'groups' })}>All groups</a>
        </p>
      )}
      <LoadView loaded={loaded}>
        {(answer) =>
          answer === 'unsupported' ? (
            <p class="notice">This server's store keeps no consumer groups.</p>
          ) : Array.isArray(answer) ? (
            <GroupTable groups={answer} />
          ) : (
            <pre class="json">{prettyJson(answer)}</pre>
          )
        }
      </LoadView>
    </section>
  );
}

function GroupTable({ groups }: { groups: GroupSummary[] }) {
  if (groups.length === 0) return <p class="notice">No consumer groups.</p>;
  return (
    <table class="groups">
      <thead>
        <tr>
          <th>Group</th>
          <th>Selector</th>
          <th>Partitions</th>
          <th>Members</th>
          <th>Lag</th>
          <th>Parked</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((group) => (
          <tr key={group.group} data-group={group.group}>
            <td>
              <a href={routeHref({ screen: 'groups', name: group.group })}>{group.group}</a>
            </td>
            <td>{group.stream}</td>
            <td class="number">{group.partitions}</td>
            <td class="number">{group.members}</td>
            <td class="number">{group.lag}</td>
            <td class="number">{group.parked}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The answer, or `unsupported` when the server keeps none of these (HTTP 501). */
export async function withoutSupport<T>(answer: Promise<T>): Promise<T | 'unsupported'> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unsupported') return 'unsupported';
    throw error;
  }
}
