// Every venue the daemon drives, observed the same way: each request's round trip timed into
// flashmm_venue_request_seconds{venue, op} (failed ones too: a timeout is latency an operator
// must see), the connection state as flashmm_venue_connected{venue}, and the latencies the venue
// times on its own path (decision → order resting, event in → transaction broadcast).
import type { Metrics } from '../telemetry/metrics.js';
import type { ConnectionState, Venue, VenueListener } from '../venues/venue.js';

export type VenueOp = 'submit' | 'cancel-all' | 'open-orders' | 'account';

export function observedVenue(venue: Venue, metrics: Metrics): Venue {
  const timed = <A extends unknown[], R>(op: VenueOp, call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const t0 = performance.now();
    try {
      return await call(...args);
    } finally {
      metrics.venueRequest.observe({ venue: venue.name, op }, (performance.now() - t0) / 1000);
    }
  };
  const connected = (state: ConnectionState) => metrics.venueConnected.set({ venue: venue.name }, state === 'connected' ? 1 : 0);
  // The optional members are the venue's own answers the daemon reads off the venue it holds
  // (this wrapper): dropping one silently changes behaviour (e.g. the book net of our orders).
  const { accountSnapshot } = venue;
  return {
    ...(venue.publicBookIncludesOwnOrders === undefined ? {} : { publicBookIncludesOwnOrders: venue.publicBookIncludesOwnOrders }),
    ...(venue.status === undefined ? {} : { status: () => venue.status?.() }),
    name: venue.name,
    ...(venue.ephemeral === undefined ? {} : { ephemeral: venue.ephemeral }),
    ...(accountSnapshot === undefined ? {} : { accountSnapshot: timed('account', (symbol: string, sinceNs: bigint) => accountSnapshot.call(venue, symbol, sinceNs)) }),
    markets: () => venue.markets(),
    connect: async (listener: VenueListener) => {
      connected('connecting');
      // The listener as given (its supervisor `guard` and `onBadInput` included), with the connection observed.
      await venue.connect({
        ...listener,
        onConnection: (state, reason) => {
          connected(state);
          listener.onConnection(state, reason);
        },
        onLatency: (sample) => {
          if (sample.kind === 'resting') {
            metrics.orderResting.observe({ venue: venue.name }, sample.seconds);
            if (sample.blocks !== undefined) metrics.orderRestingBlocks.observe({ venue: venue.name }, sample.blocks);
          } else {
            metrics.venueBroadcast.observe({ venue: venue.name, from: sample.from }, sample.seconds);
          }
          listener.onLatency?.(sample);
        },
      });
    },
    submit: timed('submit', (batch) => venue.submit(batch)),
    cancelAll: timed('cancel-all', (symbol?: string) => venue.cancelAll(symbol)),
    openOrders: timed('open-orders', (symbol: string) => venue.openOrders(symbol)),
    close: () => venue.close(),
  };
}
