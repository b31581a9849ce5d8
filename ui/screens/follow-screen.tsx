import { useEffect, useState } from 'preact/hooks';
import type { StoredEvent } from '../../client/index.js';
import { EventTable } from '../components/event-table.js';
import { ErrorNote } from '../components/load-view.js';
import { connectLive } from '../live-client.js';
import { navigate } from '../route.js';

/** The most events the screen keeps; older ones drop off the bottom. */
const MAX_SHOWN = 200;

type FollowState = { readonly state: 'idle' | 'connecting' | 'following' } | { readonly state: 'failed'; readonly error: Error };

/**
 * Follows a stream or a pattern (`orders.*`, `$all`) live over the page's WebSocket client:
 * events committed from now on appear at the top as they arrive.
 */
export function FollowScreen({ selector }: { selector: string }) {
  const [text, setText] = useState(selector);
  const [events, setEvents] = useState<StoredEvent[]>([]);
  const [status, setStatus] = useState<FollowState>({ state: 'idle' });
  useEffect(() => {
    setEvents([]);
    if (selector === '') {
      setStatus({ state: 'idle' });
      return undefined;
    }
    let stopped = false;
    let stop = (): void => undefined;
    const fail = (error: unknown) => !stopped && setStatus({ state: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
    setStatus({ state: 'connecting' });
    connectLive().then((client) => {
      if (stopped) return void client.close();
      // Hot: only what commits from now on. The server's `caught-up` says the subscription is open.
      const subscription = client.feed(selector, { mode: 'hot' }).subscribe({
        next: (item) => {
          if (item.kind === 'caught-up') setStatus({ state: 'following' });
          else if (item.kind === 'event') setEvents((shown) => [item.event, ...shown].slice(0, MAX_SHOWN));
        },
        error: fail,
      });
      stop = () => {
        subscription.unsubscribe();
        void client.close();
      };
    }, fail);
    return () => {
      stopped = true;
      stop();
    };
  }, [selector]);
  return (
    <section>
      <h2>Follow live</h2>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          navigate({ screen: 'follow', selector: text.trim() });
        }}
      >
        <label>
          Stream or pattern <input name="selector" value={text} onInput={(event) => setText(event.currentTarget.value)} placeholder="orders, orders.*, $all" />
        </label>
        <button type="submit">Follow</button>
      </form>
      <p class="status" data-state={status.state}>
        {status.state === 'idle' ? 'Name a stream or a pattern to follow.' : null}
        {status.state === 'connecting' ? `Connecting to follow ${selector}…` : null}
        {status.state === 'following' ? `Following ${selector}: ${events.length} event${events.length === 1 ? '' : 's'} since.` : null}
      </p>
      {status.state === 'failed' ? <ErrorNote error={status.error} /> : null}
      {status.state === 'following' || events.length > 0 ? <EventTable events={events} showStream /> : null}
    </section>
  );
}
