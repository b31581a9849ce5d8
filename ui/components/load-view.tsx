import type { ComponentChildren } from 'preact';
import { ApiError } from '../http-api.js';
import type { Loaded } from '../use-load.js';

/** What a screen shows while it loads, when it failed, or its content once done. */
export function LoadView<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p class="notice">Loading…</p>;
  if (loaded.state === 'failed') return <ErrorNote error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}

/** An error, with the server's code when it gave one. */
export function ErrorNote({ error }: { error: Error }) {
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <p class="error" role="alert">
      {code === undefined ? null : (
        <>
          <code>{code}</code>:{' '}
        </>
      )}
      {error.message}
    </p>
  );
}
