// The API's request and response schemas (zod, with OpenAPI metadata): the OpenAPI document is
// generated from these, and requests are validated by them. They mirror the ControlPort's types.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'bad_request' }),
      message: z.string(),
      /** The request field at fault (400). */
      field: z.string().optional(),
      /** The engine hook a 501 waits for. */
      hook: z.string().optional(),
    }),
  })
  .openapi('Error');

const riskState = z.enum(['active', 'reducing', 'halted']);
const side = z.enum(['buy', 'sell']);
const level = z.object({ price: z.number().int().openapi({ description: 'ticks' }), size: z.number().openapi({ description: 'lots' }) }).openapi('Level');

export const MarketSummarySchema = z
  .object({
    symbol: z.string(), tickSize: z.string(), lotSize: z.string(), risk: riskState,
    reasons: z.array(z.string()), paused: z.boolean(),
  })
  .openapi('MarketSummary');

const modelInfo = z.object({ enabled: z.boolean(), path: z.string(), generation: z.number().int().nullable() }).openapi('ModelInfo');

const storageError = z
  .object({ atMs: z.number(), message: z.string().openapi({ description: "the server's or the client's message, secrets taken out" }) })
  .nullable()
  .openapi('StorageError', { description: 'the last failure since start; null when none' });

const storageStatus = z
  .object({
    redis: z.object({
      connected: z.boolean(), buffered: z.number().int().openapi({ description: 'writes waiting (an outage\'s backlog)' }),
      dropped: z.number().int().openapi({ description: 'journal entries dropped (buffer full) or refused, since start' }),
      state: riskState.openapi({ description: 'what the markets may do meanwhile (storage.redis.onDisconnect)' }),
      reason: z.string().nullable(), lastError: storageError,
    }).nullable().openapi({ description: 'null without storage.redis' }),
    timeseries: z.object({
      connected: z.boolean(), accepted: z.number().int(), written: z.number().int(), buffered: z.number().int(),
      dropped: z.number().int().openapi({ description: 'lines given up (retry buffer full, or refused)' }),
      skipped: z.number().int().openapi({ description: 'samples with a value that was not a finite number' }), lastError: storageError,
    }).nullable().openapi({ description: 'null without storage.influx' }),
    recovery: z.record(z.string(), z.string()).openapi({ description: "per market with Redis: 'recovering', 'recovered: …' or 'halted (code): reason'" }),
  })
  .openapi('StorageStatus');

export const StatusSchema = z
  .object({
    mode: z.string(), venue: z.string(), startedAtMs: z.number(), uptimeSeconds: z.number(),
    startToFirstQuoteMs: z.number().nullable(), killed: z.boolean(), markets: z.array(MarketSummarySchema), model: modelInfo,
    venueState: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The venue\'s own state (Sei: node, height, counters); null when it keeps none' }),
    shard: z
      .object({
        owner: z.string(), leaseTtlMs: z.number(),
        markets: z.record(z.string(), z.object({ holder: z.string().nullable(), fence: z.number().nullable().openapi({ description: "the lease's fencing token" }), mine: z.boolean() })),
      })
      .nullable()
      .optional()
      .openapi({ description: 'Sharded (--shard): this daemon\'s lease owner name and who holds each market\'s lease (null holder: free); null when not sharded' }),
    storage: storageStatus.nullable().optional(),
  })
  .openapi('Status');

export const ReadinessSchema = z
  .object({ ready: z.boolean(), checks: z.object({ booksValid: z.boolean(), venueConnected: z.boolean(), reconciled: z.boolean() }) })
  .openapi('Readiness');

export const OrderSchema = z
  .object({
    clientId: z.string(), symbol: z.string(), side, price: z.number().int(), size: z.number().int(), filled: z.number().int(),
    state: z.string(), level: z.number().int(),
  })
  .openapi('Order');

export const PnlSchema = z
  .object({
    symbol: z.string(),
    realised: z.string().nullable(), unrealised: z.string().nullable(), fees: z.string().nullable(), net: z.string().nullable(),
  })
  .openapi('Pnl', { description: 'Exact decimals of the quote currency, marked at the mid; null without a valid book.' });

export const PositionSchema = z
  .object({ symbol: z.string(), lots: z.number().int(), averageEntryTicks: z.number().nullable(), volumeLots: z.number().int() })
  .openapi('Position');

export const MarketViewSchema = z
  .object({
    symbol: z.string(), tickSize: z.string(), lotSize: z.string(), risk: riskState, reasons: z.array(z.string()),
    book: z.object({
      valid: z.boolean(), bid: level.nullable(), ask: level.nullable(), mid: z.number().nullable(),
      bids: z.array(level), asks: z.array(level), ageMs: z.number().nullable(),
    }),
    quotes: z.array(OrderSchema), position: PositionSchema, pnl: PnlSchema,
    sigma: z.number().nullable().openapi({ description: 'σ of the mid, ticks/√s' }),
    A: z.number().nullable(), k: z.number().nullable(),
    prediction: z.object({
      probs: z.array(z.array(z.number())).openapi({ description: '[down, flat, up] per horizon, shortest first' }),
      confidence: z.number().openapi({ description: "the shortest horizon's, 0–1" }),
    }).nullable(),
    scores: z.array(z.object({
      horizonMs: z.number(), forecasts: z.number().int(), correct: z.number().int(), wrong: z.number().int(), unscored: z.number().int(),
      accuracy: z.number().nullable().openapi({ description: 'share right of the last (up to 500) scored forecasts' }),
    })).openapi({ description: "the model's forecasts scored against what the mid did, per horizon (the core's label rule)" }),
    features: z.record(z.string(), z.number()).nullable().openapi({ description: 'a few features of the latest row the model read' }),
    unavailable: z.array(z.string()).openapi({ description: 'fields this engine cannot report yet' }),
  })
  .openapi('MarketView');

export const FillPageSchema = z
  .object({
    fills: z.array(z.object({
      id: z.string(), symbol: z.string(), clientId: z.string(), side, price: z.number().int(), size: z.number().int(),
      fee: z.string(), liquidity: z.enum(['maker', 'taker']), tsNs: z.string(),
    })),
    nextCursor: z.string().nullable(),
  })
  .openapi('FillPage');

export const ParamsSchema = z
  .object({ strategy: z.record(z.string(), z.unknown()), risk: z.record(z.string(), z.unknown()) })
  .openapi('Params', { description: "The config's strategy and risk sections as running." });

export const SymbolParam = z.object({
  symbol: z.string().min(1).max(64).openapi({ param: { name: 'symbol', in: 'path' }, example: 'SEI/USDC', description: 'URL-encoded: SEI%2FUSDC' }),
});

export const DepthQuery = z.object({
  depth: z.coerce.number().int().min(1).max(50).default(10).openapi({ param: { name: 'depth', in: 'query' }, description: 'levels per side' }),
});

export const OrdersQuery = z.object({
  symbol: z.string().min(1).max(64).optional().openapi({ param: { name: 'symbol', in: 'query' } }),
});

export const FillsQuery = z.object({
  cursor: z.string().regex(/^\d{1,15}$/, { error: 'expected a fill id' }).optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: "the last page's nextCursor (or the id of the last fill seen)" }),
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ param: { name: 'limit', in: 'query' } }),
});

export const ReasonBody = z
  .object({ reason: z.string().max(200).optional().openapi({ description: 'recorded in the audit log' }) })
  .strict()
  .openapi('ActionReason');

export const ParamsPatchBody = z
  .object({
    strategy: z.record(z.string(), z.unknown()).optional().openapi({ description: 'any subset of the strategy section' }),
    risk: z.record(z.string(), z.unknown()).optional().openapi({ description: 'any subset of the risk section' }),
    reason: z.string().max(200).optional(),
  })
  .strict()
  .openapi('ParamsPatch', { description: "Validated by the config's schema against the running values; applied at the next tick." });

export const ChangeSchema = (name: string, value: z.ZodType) =>
  z.object({ action: z.string(), target: z.string(), before: value, after: value }).openapi(name);

export const KillResultSchema = z
  .object({
    action: z.string(), target: z.string(), before: z.object({ killed: z.boolean() }), after: z.object({ killed: z.boolean() }),
    settled: z.boolean().openapi({ description: 'the venue showed no open orders' }), detail: z.string(),
  })
  .openapi('KillResult');
