import type { ProjectionSummary } from '../../client/index.js';
import { apiGet, segment } from '../http-api.js';
import { prettyJson } from '../format.js';
import { LoadView } from '../components/load-view.js';
import { routeHref } from '../route.js';
import { useLoad } from '../use-load.js';
import { withoutSupport } from './groups-screen.js';

/** The server-side projections the token may read, and one projection's state. */
export function ProjectionsScreen({ name }: { name?: string }) {
  const path = name === undefined ? '/projections' : `/projections/${segment(name)}`;
  const loaded = useLoad(() => withoutSupport(apiGet<ProjectionSummary[] | Record<string, unknown>>(path)), path);
  return (
    <section>
      <h2>{name === undefined ? 'Projections' : <>Projection <span class="name">{name}</span></>}</h2>
      {name === undefined ? null : (
        <p class="links">
          <a href={routeHref({ screen: 'projections' })}>All projections</a>
        </p>
      )}
      <LoadView loaded={loaded}>
        {(answer) =>
          answer === 'unsupported' ? (
            <p class="notice">This server runs no projections.</p>
          ) : Array.isArray(answer) ? (
            <ProjectionTable projections={answer} />
          ) : (
            <pre class="json">{prettyJson(answer)}</pre>
          )
        }
      </LoadView>
    </section>
  );
}

function ProjectionTable({ projections }: { projections: ProjectionSummary[] }) {
  if (projections.length === 0) return <p class="notice">No projections.</p>;
  return (
    <table class="projections">
      <thead>
        <tr>
          <th>Projection</th>
          <th>Selector</th>
          <th>Keyed</th>
          <th>Status</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {projections.map((projection) => (
          <tr key={projection.name} data-projection={projection.name}>
            <td>
              <a href={routeHref({ screen: 'projections', name: projection.name })}>{projection.name}</a>
            </td>
            <td>{projection.stream}</td>
            <td>{projection.keyed ? 'yes' : 'no'}</td>
            <td>{projection.status}</td>
            <td>{projection.error ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
