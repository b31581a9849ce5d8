import { useEffect, useState } from 'preact/hooks';
import { UNAUTHORIZED_EVENT } from './http-api.js';
import { navigate, parseRoute, routeHref, type Route } from './route.js';
import { EventScreen } from './screens/event-screen.js';
import { FollowScreen } from './screens/follow-screen.js';
import { GroupsScreen } from './screens/groups-screen.js';
import { InfoScreen } from './screens/info-screen.js';
import { ProjectionsScreen } from './screens/projections-screen.js';
import { StreamScreen } from './screens/stream-screen.js';
import { StreamsScreen } from './screens/streams-screen.js';
import { SurfaceScreen } from './screens/surface-screen.js';
import { TokenScreen } from './screens/token-screen.js';

/** The tabs of the header. */
const TABS: readonly { readonly label: string; readonly route: Route }[] = [
  { label: 'Streams', route: { screen: 'streams', prefix: '' } },
  { label: 'Follow', route: { screen: 'follow', selector: '' } },
  { label: 'Groups', route: { screen: 'groups' } },
  { label: 'Projections', route: { screen: 'projections' } },
  { label: 'Server', route: { screen: 'info' } },
  { label: 'Token', route: { screen: 'token' } },
];

/**
 * The web view: a header of tabs and the screen the URL's fragment names. A 401 from the
 * server puts the token prompt in front of the screen until a token is given.
 */
export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [refused, setRefused] = useState(false);
  // Bumped when the token changes: the screen mounts anew and loads again with it.
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    const onRefused = () => setRefused(true);
    window.addEventListener('hashchange', onHash);
    window.addEventListener(UNAUTHORIZED_EVENT, onRefused);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener(UNAUTHORIZED_EVENT, onRefused);
    };
  }, []);
  const tokenDone = () => {
    setRefused(false);
    setGeneration((value) => value + 1);
    if (route.screen === 'token') navigate({ screen: 'streams', prefix: '' });
  };
  return (
    <>
      <header>
        <h1>
          <a href={routeHref({ screen: 'streams', prefix: '' })}>Tauon</a>
        </h1>
        <nav>
          {TABS.map((tab) => (
            <a key={tab.label} href={routeHref(tab.route)} class={tab.route.screen === route.screen ? 'current' : undefined}>
              {tab.label}
            </a>
          ))}
        </nav>
      </header>
      <main key={generation}>
        {refused || route.screen === 'token' ? <TokenScreen refused={refused} onDone={tokenDone} /> : null}
        {refused || route.screen === 'token' ? null : <Screen route={route} />}
      </main>
    </>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.screen) {
    case 'streams':
      return <StreamsScreen key={route.prefix} prefix={route.prefix} />;
    case 'stream':
      return <StreamScreen key={route.stream} stream={route.stream} query={route} />;
    case 'event':
      return <EventScreen stream={route.stream} seq={route.seq} />;
    case 'surface':
      return <SurfaceScreen stream={route.stream} />;
    case 'follow':
      return <FollowScreen key={route.selector} selector={route.selector} />;
    case 'info':
      return <InfoScreen />;
    case 'groups':
      return <GroupsScreen name={route.name} />;
    case 'projections':
      return <ProjectionsScreen name={route.name} />;
    case 'token':
      return null;
  }
}
