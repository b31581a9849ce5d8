import { connect, type Client } from '../client/index.js';
import { wsTransport } from '../transports/ws/client.js';
import { currentToken } from './token-store.js';

/**
 * A client of the page's own server over WebSocket (ws: or wss: as the page was loaded), with
 * the tab's token. JSON frames: nothing to decode that a person could not read in devtools.
 */
export function connectLive(): Promise<Client> {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = currentToken();
  return connect(wsTransport(`${scheme}//${location.host}/`), {
    codec: 'json',
    clientName: 'tauon-web-view',
    ...(token === undefined ? {} : { token }),
  });
}
