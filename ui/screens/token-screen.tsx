import { useState } from 'preact/hooks';
import { currentToken, storeToken } from '../token-store.js';

/**
 * Asks for the token a server that authenticates wants. It is kept in this tab's
 * sessionStorage and sent as `Authorization: Bearer` and in the WebSocket `hello`.
 */
export function TokenScreen({ refused, onDone }: { refused: boolean; onDone: () => void }) {
  const [token, setToken] = useState('');
  const hasToken = currentToken() !== undefined;
  return (
    <section class="token">
      <h2>Token</h2>
      <p class="notice" role={refused ? 'alert' : undefined}>
        {refused
          ? hasToken
            ? 'The server refused the token: give another one.'
            : 'This server requires a token.'
          : hasToken
            ? 'A token is kept for this tab.'
            : 'No token is kept for this tab.'}
      </p>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          storeToken(token.trim());
          onDone();
        }}
      >
        <label>
          Token <input name="token" type="password" autocomplete="off" value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        </label>
        <button type="submit">Use token</button>
        <button
          type="button"
          disabled={!hasToken}
          onClick={() => {
            storeToken(undefined);
            onDone();
          }}
        >
          Forget token
        </button>
      </form>
      <p class="hint">Kept in this tab only (sessionStorage), sent to this server only.</p>
    </section>
  );
}
