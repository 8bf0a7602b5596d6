// Several single-market venues behind the one Venue interface, routed by symbol: the sim venue
// simulates one market per exchange, and the daemon trades several markets at once.
import type { MarketInfo } from '../market/types.js';
import type { OrderBatch, Venue, VenueListener, VenueOrder } from './venue.js';

export class CompositeVenue implements Venue {
  readonly name: string;
  readonly ephemeral: boolean;
  private readonly bySymbol = new Map<string, Venue>();

  constructor(readonly venues: readonly Venue[]) {
    if (venues.length === 0) throw new Error('CompositeVenue needs at least one venue');
    this.name = venues[0]?.name ?? 'composite';
    this.ephemeral = venues.every((v) => v.ephemeral === true);
    for (const v of venues) {
      for (const m of v.markets()) {
        if (this.bySymbol.has(m.symbol)) throw new Error(`market ${m.symbol} is listed by two venues`);
        this.bySymbol.set(m.symbol, v);
      }
    }
  }

  markets(): readonly MarketInfo[] {
    return this.venues.flatMap((v) => v.markets());
  }

  async connect(listener: VenueListener): Promise<void> {
    await Promise.all(this.venues.map((v) => v.connect(listener)));
  }

  async submit(batch: OrderBatch): Promise<void> {
    await Promise.all(
      this.venues.map((v) => {
        const mine = (s: string) => this.bySymbol.get(s) === v;
        const part = { cancels: batch.cancels.filter((c) => mine(c.symbol)), places: batch.places.filter((p) => mine(p.symbol)) };
        return part.cancels.length + part.places.length > 0 ? v.submit(part) : Promise.resolve();
      }),
    );
  }

  async cancelAll(symbol?: string): Promise<void> {
    if (symbol === undefined) await Promise.all(this.venues.map((v) => v.cancelAll()));
    else await this.bySymbol.get(symbol)?.cancelAll(symbol);
  }

  async openOrders(symbol: string): Promise<readonly VenueOrder[]> {
    return (await this.bySymbol.get(symbol)?.openOrders(symbol)) ?? [];
  }

  async close(): Promise<void> {
    await Promise.all(this.venues.map((v) => v.close()));
  }
}
