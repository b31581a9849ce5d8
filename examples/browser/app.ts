/*
 * A web page that uses Tauon: connect to `tauon serve`, emit, replay a stream cold, follow it
 * live (hot-cold). Bundle it with any bundler; `tauon/client` and `tauon/transports/ws` resolve
 * to their browser builds (the client on the page's own WebSocket). See README.md beside it.
 */
import { lastValueFrom, toArray, type Subscription } from 'rxjs';
import { connect, type Client, type StoredEvent } from 'tauon/client';
import { wsTransport } from 'tauon/transports/ws';

/** The event this page writes. */
interface Message {
  readonly text: string;
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const serverInput = element<HTMLInputElement>('server');
const streamInput = element<HTMLInputElement>('stream');
const textInput = element<HTMLInputElement>('text');
const connectButton = element<HTMLButtonElement>('connect');
const actionButtons = ['emit', 'replay', 'follow'].map((id) => element<HTMLButtonElement>(id));
const stopButton = element<HTMLButtonElement>('stop');
const status = element<HTMLSpanElement>('status');
const emitted = element<HTMLSpanElement>('emitted');
const summary = element<HTMLParagraphElement>('summary');
const list = element<HTMLOListElement>('events');

let client: Client | undefined;
let following: Subscription | undefined;

function show(state: string, text: string): void {
  status.dataset['state'] = state;
  status.textContent = text;
}

/** One line per event: its seq, type and text, and how it came (replay or follow). */
function listEvent(event: StoredEvent, how: string): void {
  const item = document.createElement('li');
  item.value = event.seq;
  item.dataset['seq'] = String(event.seq);
  item.textContent = `${event.type} "${(event.data as Partial<Message> | undefined)?.text ?? ''}" (${how})`;
  list.append(item);
}

/** Runs a button's work, showing its failure on the page rather than losing it. */
function onClick(button: HTMLButtonElement, work: () => Promise<void> | void): void {
  button.addEventListener('click', () => {
    Promise.resolve()
      .then(work)
      .catch((error: unknown) => (summary.textContent = `failed: ${error instanceof Error ? error.message : String(error)}`));
  });
}

function connected(): Client {
  if (client === undefined) throw new Error('connect first');
  return client;
}

onClick(connectButton, async () => {
  await client?.close();
  show('connecting', 'connecting...');
  // A server on another origin than this page's lets it in only with --allow-origin.
  client = await connect(wsTransport(serverInput.value));
  // The client reconnects on its own and resumes its subscriptions; the page only shows it.
  client.status$.subscribe(({ state, server, error }) =>
    show(state, state === 'connected' ? `connected to ${server ?? 'the server'}` : `${state}${error === undefined ? '' : `: ${error.message}`}`),
  );
  for (const button of actionButtons) button.disabled = false;
});

onClick(actionButtons[0]!, async () => {
  const ack = await connected().emit(streamInput.value, { type: 'MessagePosted', data: { text: textInput.value } satisfies Message });
  emitted.textContent = `stored as seq ${ack.seq} of ${ack.stream}`;
});

onClick(actionButtons[1]!, async () => {
  list.replaceChildren();
  const events = await lastValueFrom(connected().replay(streamInput.value).pipe(toArray()));
  for (const event of events) listEvent(event, 'replay');
  summary.textContent = `replayed ${events.length} events`;
});

onClick(actionButtons[2]!, () => {
  following?.unsubscribe();
  list.replaceChildren();
  let count = 0;
  // Hot-cold: the stream's history, then each event as it is stored, until stopped.
  following = connected()
    .subscribe(streamInput.value, { mode: 'hot-cold' })
    .subscribe({
      next: (event) => {
        listEvent(event, 'follow');
        summary.textContent = `following: ${++count} events`;
      },
      error: (error: unknown) => (summary.textContent = `the subscription failed: ${error instanceof Error ? error.message : String(error)}`),
    });
  stopButton.disabled = false;
});

onClick(stopButton, () => {
  following?.unsubscribe();
  following = undefined;
  stopButton.disabled = true;
  summary.textContent = 'stopped following';
});
