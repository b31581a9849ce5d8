/*
 * The page's screens, addressed by the URL's fragment (#/streams, #/stream/orders?from=end...),
 * so that each view can be linked to, and the back button works.
 */

/** Where a page of a stream starts and which way it goes: the HTTP API's `from` and `direction`. */
export interface PageQuery {
  /** `start`, `end`, a seq (at), `after:N`, `before:N`, `event:ID`, `time:MS`. */
  readonly from: string;
  readonly direction: 'forward' | 'backward';
  /** Comma-separated event types to keep (empty: all). */
  readonly types: string;
  /** Comma-separated keys to keep (empty: all). */
  readonly keys: string;
  /** The seq to mark in the page (after a jump), or undefined. */
  readonly mark?: number;
}

/** One screen of the page, with what it shows. */
export type Route =
  | { readonly screen: 'streams'; readonly prefix: string }
  | ({ readonly screen: 'stream'; readonly stream: string } & PageQuery)
  | { readonly screen: 'event'; readonly stream: string; readonly seq: number }
  | { readonly screen: 'surface'; readonly stream: string }
  | { readonly screen: 'follow'; readonly selector: string }
  | { readonly screen: 'info' }
  | { readonly screen: 'groups'; readonly name?: string }
  | { readonly screen: 'projections'; readonly name?: string }
  | { readonly screen: 'token' };

/** The first page of a stream: its newest events. */
export const NEWEST_PAGE: PageQuery = { from: 'end', direction: 'backward', types: '', keys: '' };

/** The route a fragment names; the streams list for anything else. */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const query = new URLSearchParams(search);
  const [screen, ...rest] = path.split('/').filter((part) => part !== '').map(decode);
  const name = rest[0];
  switch (screen) {
    case 'stream':
      if (name === undefined) break;
      return {
        screen,
        stream: name,
        from: query.get('from') ?? NEWEST_PAGE.from,
        direction: query.get('direction') === 'forward' ? 'forward' : 'backward',
        types: query.get('types') ?? '',
        keys: query.get('keys') ?? '',
        ...markOf(query.get('mark')),
      };
    case 'event': {
      const seq = Number(rest[1]);
      if (name === undefined || !Number.isSafeInteger(seq) || seq < 1) break;
      return { screen, stream: name, seq };
    }
    case 'surface':
      if (name === undefined) break;
      return { screen, stream: name };
    case 'follow':
      return { screen, selector: query.get('selector') ?? '' };
    case 'info':
    case 'token':
      return { screen };
    case 'groups':
    case 'projections':
      return name === undefined ? { screen } : { screen, name };
  }
  return { screen: 'streams', prefix: query.get('prefix') ?? '' };
}

/** The fragment of a route (with its `#`). */
export function routeHref(route: Route): string {
  switch (route.screen) {
    case 'streams':
      return withQuery('#/streams', { prefix: route.prefix });
    case 'stream':
      return withQuery(`#/stream/${encode(route.stream)}`, {
        from: route.from,
        direction: route.direction,
        types: route.types,
        keys: route.keys,
        mark: route.mark === undefined ? '' : String(route.mark),
      });
    case 'event':
      return `#/event/${encode(route.stream)}/${route.seq}`;
    case 'surface':
      return `#/surface/${encode(route.stream)}`;
    case 'follow':
      return withQuery('#/follow', { selector: route.selector });
    case 'groups':
    case 'projections':
      return route.name === undefined ? `#/${route.screen}` : `#/${route.screen}/${encode(route.name)}`;
    case 'info':
    case 'token':
      return `#/${route.screen}`;
  }
}

/** Shows another screen (a new history entry). */
export function navigate(route: Route): void {
  location.hash = routeHref(route);
}

function markOf(text: string | null): { mark?: number } {
  const mark = Number(text ?? '');
  return text !== null && Number.isSafeInteger(mark) && mark > 0 ? { mark } : {};
}

function withQuery(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== ''));
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

const encode = (part: string): string => encodeURIComponent(part);

/** A decoded path part; a malformed one stays as it was. */
function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
