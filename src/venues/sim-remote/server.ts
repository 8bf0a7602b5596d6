// `flashmm sim serve`: the simulated venue in a process of its own, so that it outlives the
// daemons trading on it (restart recovery, several daemons on one venue). It hosts the embedded
// sim venue of a config (the core's simulated exchange and market generator per market,
// src/venues/sim/) and serves it over one websocket per daemon (protocol.ts).
//
// Daemons are told apart by the name they give in `hello`: their order ids are namespaced on
// the exchange (`<client>/<client order id>`), their reports go to them only, and each has its
// own fill history and position per market (booked in the core's Ledger, as the daemon books
// its own). A daemon that disconnects leaves its orders resting: they keep trading, their fills
// are kept, and the daemon finds them when it comes back (`open-orders`, `account`). A second
// connection under a name replaces the first. Orders of two daemons on one market meet on one
// simulated exchange as one trader's (it does not match them against each other).
// Daemons that shard markets over one trading account name it in `hello` (`account`, default
// the client's own): the account's orders, fills and positions are then one, every connection of
// it gets its reports, and the venue still records which daemon placed each order.
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../execution/clock.js';
import { systemClock } from '../../execution/clock.js';
import { PositionTracker } from '../../execution/position.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { CompositeVenue } from '../composite.js';
import { createVenue } from '../create.js';
import { SimVenue } from '../sim/sim-venue.js';
import type { OrderEvent, Venue, VenueFill, VenueOrder } from '../venue.js';
import { clientMessageSchema, decodeMessage, encodeMarketData, encodeMessage, PROTOCOL_VERSION, type ClientMessage } from './protocol.js';

/** Fills kept per daemon and market for `account` (the oldest go first). */
export const FILLS_KEPT = 100_000;

export interface SimServerOptions {
  /** The markets and the simulated venue's settings (venue.kind 'sim', without a url). */
  readonly config: Config;
  readonly host?: string;
  /** 0: any free port (see `port`). */
  readonly port?: number;
  readonly log: Logger;
  readonly clock?: Clock;
}

interface Session {
  readonly socket: WebSocket;
  /** The markets the connection asked for (market data and reports go to those). */
  readonly markets: ReadonlySet<string>;
}

interface Account {
  readonly name: string;
  /** Its connections, by client name. */
  readonly sessions: Map<string, Session>;
  /** The client that placed each of its live orders (by client order id). */
  readonly placedBy: Map<string, string>;
  readonly positions: PositionTracker;
  readonly fills: Map<string, VenueFill[]>;
  /** Fills dropped from the front of each market's history. */
  readonly trimmed: Map<string, boolean>;
  /** Original size of each of its orders (by its own client id), for fill ids. */
  readonly sizes: Map<string, number>;
}

const SEP = '/';

export class SimServer {
  private readonly accounts = new Map<string, Account>();
  private readonly bySocket = new Map<WebSocket, { readonly account: Account; readonly client: string }>();

  private constructor(
    private readonly venue: Venue,
    private readonly exchanges: ReadonlyMap<string, SimVenue>,
    private readonly wss: WebSocketServer,
    private readonly log: Logger,
    private readonly rules: (symbol: string) => string,
  ) {}

  static async start(options: SimServerOptions): Promise<SimServer> {
    const { config } = options;
    if (config.venue.kind !== 'sim' || config.venue.url !== undefined || config.venue.replay !== undefined) {
      throw new Error('flashmm sim serve hosts generated markets: venue.kind sim, without a url or a replay');
    }
    const { venue, sequenceRule } = createVenue(config, options.clock ?? systemClock);
    const parts = venue instanceof CompositeVenue ? venue.venues : [venue];
    const exchanges = new Map(parts.filter((v): v is SimVenue => v instanceof SimVenue).map((v) => [v.markets()[0]!.symbol, v]));
    const wss = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    const server = new SimServer(venue, exchanges, wss, options.log, sequenceRule);
    await venue.connect({
      onMarketData: (symbol, batch) => server.broadcast(symbol, encodeMarketData(symbol, batch)),
      onOrderEvent: (event) => server.route(event),
      onConnection: () => undefined,
    });
    wss.on('connection', (socket) => server.accept(socket));
    return server;
  }

  get port(): number {
    const address = this.wss.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** A daemon's position on `symbol` as the venue books it (tests compare the daemon's with it). */
  positionOf(client: string, symbol: string): number {
    return this.accounts.get(client)?.positions.position(symbol) ?? 0;
  }

  /** A daemon's open orders on `symbol`, under its own client ids. */
  async openOrdersOf(client: string, symbol: string): Promise<readonly VenueOrder[]> {
    return this.ownOrders(client, await this.venue.openOrders(symbol));
  }

  /** Every fill of a daemon on `symbol` the venue still keeps, oldest first. */
  fillsOf(client: string, symbol: string): readonly VenueFill[] {
    return this.accounts.get(client)?.fills.get(symbol) ?? [];
  }

  /** Who placed the account's open orders on `symbol`: client name → number of orders. */
  async placersOf(account: string, symbol: string): Promise<ReadonlyMap<string, number>> {
    const a = this.accounts.get(account);
    const out = new Map<string, number>();
    for (const o of await this.openOrdersOf(account, symbol)) {
      const client = a?.placedBy.get(o.clientId) ?? '?';
      out.set(client, (out.get(client) ?? 0) + 1);
    }
    return out;
  }

  clients(): readonly string[] {
    return [...this.accounts.keys()];
  }

  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.venue.close();
  }

  // ---- connections --------------------------------------------------------------------

  private accept(socket: WebSocket): void {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.refuse(socket, 'binary frames are not requests');
      const decoded = decodeMessage(clientMessageSchema, String(data));
      if (!decoded.ok) return this.refuse(socket, decoded.error);
      void this.handle(socket, decoded.message);
    });
    socket.on('close', () => {
      const session = this.bySocket.get(socket);
      this.bySocket.delete(socket);
      if (session !== undefined && session.account.sessions.get(session.client)?.socket === socket) {
        session.account.sessions.delete(session.client);
        this.log.info({ client: session.client, account: session.account.name }, 'daemon disconnected: its orders stay on the venue');
      }
    });
    socket.on('error', () => undefined); // 'close' follows
  }

  private refuse(socket: WebSocket, reason: string): void {
    this.log.warn({ reason }, 'request refused');
    socket.send(encodeMessage({ op: 'refused', reason }));
    socket.close(1008, reason.slice(0, 120));
  }

  private async handle(socket: WebSocket, m: ClientMessage): Promise<void> {
    if (m.op === 'hello') return this.hello(socket, m);
    const session = this.bySocket.get(socket);
    if (session === undefined) return this.refuse(socket, 'say hello first');
    try {
      const result = await this.request(session.account, session.client, m);
      socket.send(encodeMessage({ op: 'reply', id: m.id, ok: true, result }));
    } catch (err) {
      socket.send(encodeMessage({ op: 'reply', id: m.id, ok: false, error: errorMessage(err) }));
    }
  }

  private hello(socket: WebSocket, m: Extract<ClientMessage, { op: 'hello' }>): void {
    if (m.version !== PROTOCOL_VERSION) return this.refuse(socket, `protocol version ${m.version}, this venue speaks ${PROTOCOL_VERSION}`);
    const listed = new Map(this.venue.markets().map((info) => [info.symbol, info]));
    const unknown = m.markets.filter((s) => !listed.has(s));
    if (unknown.length > 0) return this.refuse(socket, `no market ${unknown.join(', ')} on this venue (it has ${[...listed.keys()].join(', ')})`);
    const account = this.account(m.account ?? m.client);
    const previous = account.sessions.get(m.client);
    if (previous !== undefined && previous.socket !== socket) {
      this.log.warn({ client: m.client }, 'a new connection replaces the old one');
      previous.socket.terminate();
    }
    account.sessions.set(m.client, { socket, markets: new Set(m.markets) });
    this.bySocket.set(socket, { account, client: m.client });
    const markets = m.markets.map((s) => listed.get(s)!);
    socket.send(encodeMessage({ op: 'welcome', version: PROTOCOL_VERSION, markets, sequenceRules: Object.fromEntries(m.markets.map((s) => [s, this.rules(s)])) }));
    // The book as it stands (the generator's own snapshot went out at its start): the diffs
    // that follow chain onto it. Between two pumps, so nothing is missed or sent twice.
    for (const symbol of m.markets) {
      const snapshot = this.exchanges.get(symbol)?.snapshot();
      if (snapshot != null) socket.send(encodeMarketData(symbol, snapshot));
    }
    this.log.info({ client: m.client, account: account.name, markets: m.markets }, 'daemon connected');
  }

  private async request(account: Account, client: string, m: Exclude<ClientMessage, { op: 'hello' }>): Promise<unknown> {
    const known = (symbol: string) => {
      if (!this.venue.markets().some((x) => x.symbol === symbol)) throw new Error(`no market ${symbol} on this venue`);
    };
    switch (m.op) {
      case 'submit': {
        for (const r of [...m.cancels, ...m.places]) known(r.symbol);
        for (const p of m.places) {
          account.sizes.set(p.clientId, p.size);
          account.placedBy.set(p.clientId, client);
        }
        await this.venue.submit({
          cancels: m.cancels.map((c) => ({ ...c, clientId: this.venueId(account, c.clientId) })),
          places: m.places.map((p) => ({ ...p, clientId: this.venueId(account, p.clientId) })),
        });
        return null;
      }
      case 'cancel-all': {
        // Only this daemon's orders: the exchange's own cancel-all would take everyone's.
        const symbols = m.symbol === undefined ? this.venue.markets().map((x) => x.symbol) : [m.symbol];
        for (const symbol of symbols) {
          known(symbol);
          const mine = await this.openOrdersOf(account.name, symbol);
          if (mine.length > 0) await this.venue.submit({ cancels: mine.map((o) => ({ clientId: this.venueId(account, o.clientId), symbol })), places: [] });
        }
        return null;
      }
      case 'open-orders':
        known(m.symbol);
        return this.openOrdersOf(account.name, m.symbol);
      case 'account': {
        known(m.symbol);
        // One instant: the orders are read now (the promise is already settled), the fills and
        // position too, before any other event can run.
        const orders = this.venue.openOrders(m.symbol);
        const history = account.fills.get(m.symbol) ?? [];
        const fills = history.filter((f) => f.tsNs >= m.fillsSinceNs);
        const complete = !(account.trimmed.get(m.symbol) ?? false) || (history[0] !== undefined && history[0].tsNs <= m.fillsSinceNs);
        const positionLots = account.positions.position(m.symbol);
        return { orders: this.ownOrders(account.name, await orders), fills, complete, positionLots };
      }
    }
  }

  // ---- the exchange's side ------------------------------------------------------------

  private broadcast(symbol: string, frame: Buffer): void {
    for (const account of this.accounts.values()) {
      for (const session of account.sessions.values()) if (session.socket.readyState === 1 && session.markets.has(symbol)) session.socket.send(frame);
    }
  }

  /** A report of the exchange to the daemon that owns the order (its fills booked and kept first). */
  private route(event: OrderEvent): void {
    const venueId = event.type === 'fill' ? event.fill.clientId : event.clientId;
    const cut = venueId.indexOf(SEP);
    const account = cut < 0 ? undefined : this.accounts.get(venueId.slice(0, cut));
    if (account === undefined) {
      this.log.error({ venueId, type: event.type }, 'a report for an order of no known daemon');
      return;
    }
    const clientId = venueId.slice(cut + 1);
    let own: OrderEvent;
    const symbol = event.type === 'fill' ? event.fill.symbol : event.symbol;
    if (event.type === 'fill') {
      const f = event.fill;
      const size = account.sizes.get(clientId) ?? f.size + f.leaves;
      // The order's cumulative filled lots after this fill: stable, and the id the daemon's own
      // fallback gives a fill without one, so both name a fill the same way.
      const fill: VenueFill = { ...f, clientId, fillId: String(size - f.leaves) };
      account.positions.applyFill(f.symbol, f.side, f.price, f.size, f.fee);
      this.keep(account, fill);
      if (f.leaves === 0) this.forget(account, clientId);
      own = { type: 'fill', fill };
    } else {
      own = { ...event, clientId };
      if (event.type === 'rejected' || event.type === 'cancelled') this.forget(account, clientId);
    }
    const frame = encodeMessage({ op: 'events', events: [own] });
    for (const session of account.sessions.values()) if (session.socket.readyState === 1 && session.markets.has(symbol)) session.socket.send(frame);
  }

  private forget(account: Account, clientId: string): void {
    account.sizes.delete(clientId);
    account.placedBy.delete(clientId);
  }

  private keep(account: Account, fill: VenueFill): void {
    let list = account.fills.get(fill.symbol);
    if (list === undefined) account.fills.set(fill.symbol, (list = []));
    list.push(fill);
    if (list.length > FILLS_KEPT) {
      list.splice(0, list.length - FILLS_KEPT);
      account.trimmed.set(fill.symbol, true);
    }
  }

  private account(name: string): Account {
    let a = this.accounts.get(name);
    if (a === undefined) {
      a = { name, sessions: new Map(), placedBy: new Map(), positions: new PositionTracker(), fills: new Map(), trimmed: new Map(), sizes: new Map() };
      this.accounts.set(name, a);
    }
    return a;
  }

  private venueId(account: Account, clientId: string): string {
    return `${account.name}${SEP}${clientId}`;
  }

  private ownOrders(client: string, orders: readonly VenueOrder[]): VenueOrder[] {
    const prefix = `${client}${SEP}`;
    return orders.filter((o) => o.clientId.startsWith(prefix)).map((o) => ({ ...o, clientId: o.clientId.slice(prefix.length) }));
  }
}
