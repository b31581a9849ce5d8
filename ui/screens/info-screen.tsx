import type { ServerInfo } from '../../client/index.js';
import { apiGet } from '../http-api.js';
import { prettyJson } from '../format.js';
import { LoadView } from '../components/load-view.js';
import { useLoad } from '../use-load.js';

/** The server's `info`: what it is, its store, protocol versions, limits and features. */
export function InfoScreen() {
  const loaded = useLoad(() => apiGet<ServerInfo & Record<string, unknown>>('/info'), 'info');
  return (
    <section>
      <h2>Server</h2>
      <LoadView loaded={loaded}>
        {(info) => (
          <>
            <table class="facts">
              <tbody>
                {Object.entries(info)
                  .filter(([name]) => name !== 'type')
                  .map(([name, value]) => (
                    <tr key={name} data-fact={name}>
                      <th>{name}</th>
                      <td>{typeof value === 'string' || typeof value === 'number' ? String(value) : prettyJson(value, 0)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </>
        )}
      </LoadView>
    </section>
  );
}
