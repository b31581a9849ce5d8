// The reference server as the figures run it: `tauon serve` in its own process on the lmdb
// store, started fresh per figure and always stopped, its temporary data directory removed.
import { connect, type Client, type ConnectOptions } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { startServe, type ServeProcess } from '../../test/support/cli-process.js';
import { tempDir } from '../../test/support/temp-dir.js';

/**
 * Runs `work` against a `tauon serve` process on the lmdb store in `dataDir` (a fresh temporary
 * directory, removed afterwards, when not given), and stops the server whatever happens.
 * The server runs from dist/: `npm run build` after changing it.
 */
export async function withReferenceServer<T>(
  work: (server: ServeProcess) => Promise<T>,
  dataDir?: string,
): Promise<T> {
  const temporary = dataDir === undefined ? await tempDir('bench-figure') : undefined;
  try {
    const server = await startServe(['--data', dataDir ?? temporary!.path, '--port', '0']);
    try {
      return await work(server);
    } finally {
      await server.stop();
    }
  } finally {
    await temporary?.remove();
  }
}

/** Connects the Tauon client over WebSocket and closes it whatever happens in `work`. */
export async function withClient<T>(
  url: string,
  work: (client: Client) => Promise<T>,
  options?: ConnectOptions,
): Promise<T> {
  const client = await connect(wsTransport(url), options);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** Closes every client, waiting for all of them even when one fails. */
export async function closeAll(clients: readonly Client[]): Promise<void> {
  await Promise.allSettled(clients.map((client) => client.close()));
}
