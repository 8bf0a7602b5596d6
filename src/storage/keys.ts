// Redis key names. Every key of one market carries the symbol as a Redis Cluster hash tag
// (`{SEI/USDC}`), so the multi-key scripts of a market (journal append, checkpoint) stay on one
// slot if the Redis is ever a cluster. Symbols cannot contain braces (config: marketSchema).

export interface MarketKeys {
  /** Hash: top levels, sequence, exchange time; expires (10 s). */
  readonly book: string;
  /** Hash: the ledger's snapshot and the journal sequence it includes. */
  readonly positions: string;
  /** Hash: client id → live order (JSON), replaced with the positions in one checkpoint. */
  readonly orders: string;
  /** List: the latest forecasts, newest first, capped. */
  readonly predictions: string;
  /** Stream: the journal of order events and fills, ids `0-<seq>`. */
  readonly journal: string;
  /** Sorted set: fill idempotency keys (client id/fill id) scored by their sequence number. */
  readonly fillKeys: string;
  /** String: the last sequence number written to the journal. */
  readonly lastSeq: string;
  /** String, with an expiry: the market's lease when sharded, `<fencing token> <owner>`. */
  readonly lease: string;
  /** String: the market's fencing counter (the latest lease token issued); every write of a sharded market checks it. */
  readonly leaseToken: string;
}

export function marketKeys(prefix: string, symbol: string): MarketKeys {
  const key = (name: string) => `${prefix}${name}:{${symbol}}`;
  return {
    book: key('orderbook'),
    positions: key('positions'),
    orders: key('orders'),
    predictions: key('predictions'),
    journal: key('journal'),
    fillKeys: key('journal-fills'),
    lastSeq: key('journal-seq'),
    lease: key('lease'),
    leaseToken: key('lease-token'),
  };
}
