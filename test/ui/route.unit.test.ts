import { describe, expect, it } from 'vitest';
import { formatAge, prettyJson, previewData, splitList } from '../../ui/format.js';
import { NEWEST_PAGE, parseRoute, routeHref, type Route } from '../../ui/route.js';

// The web view's addresses (the URL's fragment) and the text it makes of events: pure code,
// checked without a browser.

describe('web view routes', () => {
  const routes: Route[] = [
    { screen: 'streams', prefix: '' },
    { screen: 'streams', prefix: 'orders.' },
    { screen: 'stream', stream: 'orders/eu #1?', ...NEWEST_PAGE },
    { screen: 'stream', stream: 'orders', from: 'after:25', direction: 'forward', types: 'a,b', keys: 'k&1', mark: 26 },
    { screen: 'event', stream: 'prices €', seq: 7 },
    { screen: 'surface', stream: 'orders' },
    { screen: 'follow', selector: 'orders.*' },
    { screen: 'follow', selector: '' },
    { screen: 'info' },
    { screen: 'token' },
    { screen: 'groups' },
    { screen: 'groups', name: 'billing/eu' },
    { screen: 'projections' },
    { screen: 'projections', name: 'order-count' },
  ];

  it('reads back every route from its fragment, names with any character included', () => {
    for (const route of routes) expect(parseRoute(routeHref(route)), routeHref(route)).toEqual(route);
  });

  it('shows the streams list for a fragment it does not know, and a stream from its newest page', () => {
    for (const hash of ['', '#', '#/', '#/nope', '#/stream', '#/event/orders/zero', '#/event/orders/0', '#/%E0%A4%A']) {
      expect(parseRoute(hash), hash).toEqual({ screen: 'streams', prefix: '' });
    }
    expect(parseRoute('#/stream/orders')).toEqual({ screen: 'stream', stream: 'orders', ...NEWEST_PAGE });
    expect(parseRoute('#/stream/orders?mark=-3&direction=sideways')).toEqual({ screen: 'stream', stream: 'orders', ...NEWEST_PAGE });
  });
});

describe('web view text', () => {
  it('previews data as one line of JSON, cut with an ellipsis, markup kept as text', () => {
    expect(previewData({ note: '<b>x</b>' })).toBe('{"note":"<b>x</b>"}');
    expect(previewData(undefined)).toBe('');
    const long = previewData({ text: 'x'.repeat(500) });
    expect([long.length, long.endsWith('…')]).toEqual([120, true]);
  });

  it('shows bytes, which JSON cannot carry, as their length', () => {
    expect(prettyJson({ blob: new Uint8Array(3) }, 0)).toBe('{"blob":"<3 bytes>"}');
  });

  it('says how long ago in the largest whole unit', () => {
    const now = 1_000_000_000_000;
    expect([0, 59_000, 60_000, 3_599_000, 3_600_000, 86_400_000 * 2].map((ago) => formatAge(now - ago, now))).toEqual([
      '0 s ago',
      '59 s ago',
      '1 min ago',
      '59 min ago',
      '1 h ago',
      '2 d ago',
    ]);
  });

  it('splits comma lists, trimmed, empty entries left out', () => {
    expect(splitList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitList('')).toEqual([]);
  });
});
