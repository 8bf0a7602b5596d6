// The daemon's configuration schema. Every field has a default, so an empty config is valid
// and means: the embedded simulated venue fed by the zero-intelligence market generator,
// trading one market (SEI/USDC). Objects are strict: an unknown key (a typo) is an error
// naming its path. Secrets are not part of this schema (see secret.ts): files never hold them.
import { z } from 'zod';
import { decimal } from './fields.js';
import { apiConfigSchema as apiSchema } from '../api/config.js';
import { coreDefaults } from '../native.js';
import { riskConfigSchema as riskSchema } from '../risk/limits.js';
import { quotingConfigSchema as strategySchema } from '../strategy/config.js';
import { azureOpenAiConfigSchema } from '../integrations/azure-openai/config.js';
import { SEI_PRESETS, type SeiPresetName } from '../venues/sei/presets.js';
import { xConfigSchema } from '../integrations/x/config.js';

// --- field helpers: one definition of each kind of value, so errors read the same everywhere

const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().nonnegative();
const positiveNumber = () => z.number().positive();
const nonNegativeNumber = () => z.number().nonnegative();
const nonEmpty = () => z.string().trim().min(1);

/** A URL with one of `protocols`; credentials (user:password@) belong in the environment. */
function url(protocols: readonly string[]) {
  return z
    .url({ protocol: new RegExp(`^(${protocols.join('|')})$`), error: `expected a ${protocols.join(' or ')} URL` })
    .refine((u) => new URL(u).password === '', { message: 'a password in a URL is a secret: set it in the environment' });
}

// --- venue

/** The defaults of every setting the core owns (one default per setting, in the core). */
const CORE = coreDefaults();

/** Overrides of the core's ZiParams defaults (docs/market_gen.md); rates are per second. */
const ziParamsSchema = z.strictObject({
  limitRate: positiveNumber().optional(),
  depthLevels: positiveInt().optional(),
  depthExponent: nonNegativeNumber().optional(),
  cancelRate: positiveNumber().optional(),
  marketRate: positiveNumber().optional(),
  limitSizeMean: z.number().min(1).optional(),
  marketSizeMean: z.number().min(1).optional(),
  feedLatencyMs: nonNegativeNumber().optional(),
  warmupSeconds: nonNegativeNumber().optional(),
});

const simVenueSchema = z.strictObject({
  kind: z.literal('sim'),
  /**
   * The simulated venue of `flashmm sim serve` at this address instead of one in this process
   * (it outlives the daemon: restart recovery, several daemons on one venue; docs/sim-venue.md).
   * The generator, replay, latency and queue settings are then the server's.
   */
  url: url(['ws', 'wss']).optional(),
  /** Who this daemon is on a remote sim venue: its orders, fills and position are kept under this name. */
  client: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'expected 1-64 letters, digits, . _ -' }).default('flashmm'),
  /** The trading account on a remote sim venue, when daemons share one (sharded markets); default: the client's own. */
  account: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'expected 1-64 letters, digits, . _ -' }).optional(),
  generator: z
    .strictObject({
      kind: z.literal('zi').default('zi'),
      seed: nonNegativeInt().default(1),
      /** Initial best bid, on the first market's tick grid. */
      initialPrice: decimal({ positive: true }).default('0.4000'),
      ziParams: ziParamsSchema.optional(),
    })
    .prefault({}),
  /** Drive the simulated exchange from a recording instead of the generator. */
  replay: z
    .strictObject({
      path: nonEmpty(),
      /** 1 = real time; > 1 accelerated. */
      speed: positiveNumber().default(1),
    })
    .optional(),
  /** Defaults: the simulated exchange's (the core's). */
  latency: z
    .strictObject({ entryMs: nonNegativeNumber().default(CORE.entryLatencyMs), responseMs: nonNegativeNumber().default(CORE.responseLatencyMs) })
    .prefault({}),
  queueModel: z
    .strictObject({
      kind: z.enum(['risk-averse', 'power', 'log']).default(CORE.queue),
      /** Exponent of the power model. */
      exponent: positiveNumber().default(CORE.queueExponent),
    })
    .prefault({}),
});

const SEI_ADDRESS = /^sei1[02-9ac-hj-np-z]{38,58}$/;

/** Sei's on-chain order book (seiprotocol.seichain.dex; see shared/SEI.md and docs/sei.md). */
export const seiVenueSchema = z.strictObject({
  kind: z.literal('sei'),
  /** A known chain: its chain id, endpoints and gas price unless given here (src/venues/sei/presets.ts). */
  preset: z.enum(Object.keys(SEI_PRESETS) as [SeiPresetName, ...SeiPresetName[]]).optional(),
  rpcUrl: url(['http', 'https']),
  /** Default: the RPC endpoint's own /websocket. */
  wsUrl: url(['ws', 'wss']).optional(),
  restUrl: url(['http', 'https']).optional(),
  chainId: nonEmpty(),
  /** The dex contract the markets are registered under. */
  contractAddr: z.string().regex(SEI_ADDRESS, { error: 'expected a sei1… bech32 address' }),
  /** Denoms of each market's pair, keyed by market symbol. */
  pairs: z.record(nonEmpty(), z.strictObject({ priceDenom: nonEmpty(), assetDenom: nonEmpty() })).default({}),
  feeDenom: nonEmpty().default('usei'),
  /** Gas price in feeDenom per gas unit. */
  gasPrice: decimal({ positive: true }).default('0.02'),
  /** A transaction not in a block this long after broadcast is logged as late (it still counts until its timeout height). */
  broadcastTimeoutMs: positiveInt().default(10_000),
  /** Further RPC endpoints (http[s]; the websocket is the same host at /websocket) to fail over to, in order. */
  fallbackRpcUrls: z.array(url(['http', 'https'])).default([]),
  /** Fixed gas per transaction and per operation: `simulate` fails for dex messages (shared/SEI.md). */
  gas: z
    .strictObject({
      base: positiveInt().default(150_000),
      perPlace: positiveInt().default(50_000),
      perCancel: positiveInt().default(20_000),
    })
    .prefault({}),
  /** Extra fee over the chain's minimum (gas × price, and the dex module's own rule), percent. */
  feeMarginPercent: nonNegativeNumber().default(5),
  /** A transaction whose fee would exceed this many feeDenom units is not sent. */
  maxFee: z.string().regex(/^\d+$/, { error: 'expected a whole number of feeDenom units' }).default('1000000'),
  /** The `data` every order carries for the contract. */
  orderData: nonEmpty().default('{"leverage":"1","position_effect":"Open"}'),
  /** Blocks after which an unconfirmed transaction can no longer be included (its timeout height). */
  txTimeoutBlocks: positiveInt().default(20),
  /** No new block for this long marks the books stale and reconnects. */
  stallMs: positiveInt().default(3_000),
  /** Missed blocks caught up one by one after a reconnect; a longer gap resyncs from the current state. */
  maxCatchUpBlocks: positiveInt().default(500),
  connection: z
    .strictObject({
      openTimeoutMs: positiveInt().default(5_000),
      /** Each RPC request (query, broadcast): a frozen node accepts the connection and never answers. */
      requestTimeoutMs: positiveInt().default(2_000),
      pingIntervalMs: positiveInt().default(5_000),
      pongTimeoutMs: positiveInt().default(5_000),
      backoffMinMs: positiveInt().default(250),
      backoffMaxMs: positiveInt().default(5_000),
      /** Failed connects to one endpoint (within a minute) that skip it for `breakerResetMs`. */
      breakerFailures: positiveInt().default(3),
      breakerResetMs: positiveInt().default(10_000),
    })
    .prefault({}),
});

/** A venue without `kind` is the simulated one, so `venue: { latency: … }` needs no `kind`. */
const venueSchema = z.preprocess(
  (v) => withSeiPreset(v === undefined ? { kind: 'sim' } : typeof v === 'object' && v !== null && !('kind' in v) ? { kind: 'sim', ...v } : v),
  z.discriminatedUnion('kind', [simVenueSchema, seiVenueSchema]),
);

/** A Sei venue with a preset: the preset's chain id, first endpoint and gas settings where the config has none. */
export function withSeiPreset(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const venue = v as Record<string, unknown>;
  const preset = venue['kind'] === 'sei' && typeof venue['preset'] === 'string' ? SEI_PRESETS[venue['preset'] as SeiPresetName] : undefined;
  if (preset === undefined) return v;
  const [rpcUrl, ...fallbackRpcUrls] = preset.rpcUrls;
  return { chainId: preset.chainId, rpcUrl, fallbackRpcUrls, feeDenom: preset.feeDenom, gasPrice: preset.gasPrice, ...venue };
}

// --- markets

export const marketSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, { error: 'expected a symbol such as "SEI/USDC"' }),
  tickSize: decimal({ positive: true }),
  lotSize: decimal({ positive: true }),
  minSizeLots: positiveInt().default(1),
  /** Parts per million of notional; negative = rebate. */
  makerFeePpm: z.number().int().default(0),
  takerFeePpm: z.number().int().default(0),
  enabled: z.boolean().default(true),
});

/**
 * The default market: SEI/USDC on the simulated venue. Tick 0.0001 USDC (2.5 bp at 0.40),
 * lot 0.1 SEI, minimum order 1 SEI, maker 1 bp, taker 5 bp.
 */
export const DEFAULT_MARKET = {
  symbol: 'SEI/USDC',
  tickSize: '0.0001',
  lotSize: '1',
  minSizeLots: 1,
  makerFeePpm: 100,
  takerFeePpm: 500,
  enabled: true,
} as const;

const marketsSchema = z
  .array(marketSchema)
  .min(1)
  .default([{ ...DEFAULT_MARKET }])
  .superRefine((markets, ctx) => {
    const seen = new Set<string>();
    markets.forEach((m, i) => {
      if (seen.has(m.symbol)) ctx.addIssue({ code: 'custom', path: [i, 'symbol'], message: `duplicate market ${m.symbol}` });
      seen.add(m.symbol);
    });
  });

// --- the rest

/**
 * Conservative defaults: small enough that a misconfigured first run cannot lose much.
 * Position and notional limits apply per market; loss, drawdown and order limits to the daemon.
 */

const engineSchema = z.strictObject({
  /** Quote tick. */
  intervalMs: positiveInt().default(200),
  /** A mid move this large (basis points) triggers a quote tick at once (default the core's). */
  largeMoveBps: positiveNumber().default(CORE.largeMoveBps),
  shutdownTimeoutMs: positiveInt().default(5_000),
  /** An order unacknowledged this long is reconciled with the venue. */
  orderTimeoutMs: positiveInt().default(10_000),
});

const modelSchema = z.strictObject({
  path: nonEmpty().default('models/default.onnx'),
  enabled: z.boolean().default(true),
  reloadOnChange: z.boolean().default(false),
  /**
   * Seconds of valid book before the model's rows start (default: the core's, the dataset's
   * 30 s, so served windows are the windows it was trained on; shorter ones see partly warm
   * features).
   */
  warmupSeconds: nonNegativeNumber().optional(),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const telemetrySchema = z.strictObject({
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** auto = pretty on a terminal, JSON otherwise. */
  logFormat: z.enum(['pretty', 'json', 'auto']).default('auto'),
  metrics: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
});

/**
 * Redis: hot state, the journal of order events and fills, restart recovery (docs/storage.md).
 * The password comes from FLASHMM_REDIS_PASSWORD, never from the URL.
 */
/** A lease per market: a daemon quotes only the markets whose lease it holds. */
const shardSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** This daemon's name on the leases (default: host name and process id). */
    owner: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, { error: 'expected 1-100 letters, digits, . _ : -' }).optional(),
    /** A lease not renewed for this long expires: another daemon may then take the market. */
    leaseTtlMs: positiveInt().default(10_000),
    /** Renew (and look for free markets) this often; well before the expiry. */
    renewMs: positiveInt().default(3_000),
  })
  .refine((s) => s.renewMs * 3 <= s.leaseTtlMs, { error: 'renewMs must be at most a third of leaseTtlMs (renewal well before expiry)', path: ['renewMs'] });

const redisSchema = z.strictObject({
  url: url(['redis', 'rediss']),
  /** Prefix of every key, so that several deployments can share one Redis. */
  keyPrefix: z.string().regex(/^[A-Za-z0-9:_.-]*$/, { error: 'expected letters, digits and : _ . -' }).default('flashmm:'),
  /** While Redis is unreachable (writes buffered): trade on in-memory state, only reduce positions, or halt. */
  onDisconnect: z.enum(['continue', 'reduce', 'halt']).default('reduce'),
  /** Journal entries held while Redis is unreachable; beyond, the oldest are dropped and counted. */
  maxBufferedWrites: positiveInt().default(10_000),
  /** A command unanswered this long fails and is retried; a fill waiting on it is booked as not yet durable. */
  commandTimeoutMs: positiveInt().default(500),
  /** Longest wait between reconnection attempts (backoff from 50 ms). */
  maxReconnectDelayMs: positiveInt().default(2_000),
  /** Approximate cap of each market's journal stream (Redis MAXLEN ~). */
  journalMaxEntries: positiveInt().default(1_000_000),
});

/** An InfluxDB 2 line-protocol endpoint (InfluxDB 2, VictoriaMetrics). The token comes from FLASHMM_INFLUX_TOKEN. */
const influxSchema = z.strictObject({
  url: url(['http', 'https']),
  org: nonEmpty(),
  bucket: nonEmpty(),
  /** Lines per write request. */
  batchSize: positiveInt().default(500),
  flushIntervalMs: positiveInt().default(1_000),
  /**
   * Lines held for retry while the server is unreachable; beyond, the oldest are dropped and
   * counted. Lines are retried until written or dropped: the bound, not a retry count, limits them.
   */
  maxBufferLines: positiveInt().default(50_000),
  /** Retry backoff: exponential (randomised) from minRetryDelayMs to maxRetryDelayMs. */
  minRetryDelayMs: positiveInt().default(1_000),
  maxRetryDelayMs: positiveInt().default(30_000),
  /** One write request unanswered this long fails and is retried. */
  requestTimeoutMs: positiveInt().default(10_000),
});

/** Both optional: without them the daemon keeps its state in memory. Secrets come from the environment. */
const storageSchema = z.strictObject({
  redis: redisSchema.optional(),
  influx: influxSchema.optional(),
});

/** Outside services, each off by default (src/integrations/): no code path calls one that is off. */
const integrationsSchema = z.strictObject({
  x: xConfigSchema.prefault({}),
  azureOpenai: azureOpenAiConfigSchema.prefault({}),
});

export const ENVIRONMENTS = ['development', 'testnet', 'production', 'local'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const configSchema = z.strictObject({
  env: z.enum(ENVIRONMENTS).default('development'),
  venue: venueSchema,
  markets: marketsSchema,
  strategy: strategySchema.prefault({}),
  risk: riskSchema.prefault({}),
  engine: engineSchema.prefault({}),
  model: modelSchema.prefault({}),
  api: apiSchema.prefault({}),
  telemetry: telemetrySchema.prefault({}),
  storage: storageSchema.prefault({}),
  /** Markets sharded over the daemons sharing storage.redis (`flashmm run --shard`; docs/storage.md, Sharding). */
  shard: shardSchema.prefault({}),
  integrations: integrationsSchema.prefault({}),
}).superRefine((config, ctx) => {
  // An order below a market's minimum size is rejected by the venue on every tick.
  const sizes = config.strategy.ladder.sizesLots.filter((s) => s > 0);
  for (const m of config.markets) {
    const small = sizes.find((s) => s < m.minSizeLots);
    if (m.enabled && small !== undefined) {
      ctx.addIssue({
        code: 'custom', path: ['strategy', 'ladder', 'sizesLots'],
        message: `size ${small} lots is below market ${m.symbol}'s minimum of ${m.minSizeLots} lots`,
      });
    }
  }
  // On Sei every enabled market needs its pair's denoms: quoting a market the venue cannot
  // address must fail at start-up, not at the first order.
  const { venue } = config;
  if (venue.kind !== 'sei') return;
  for (const m of config.markets) {
    if (m.enabled && venue.pairs[m.symbol] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['venue', 'pairs', m.symbol], message: `required for enabled market ${m.symbol}` });
    }
  }
});

export type Config = z.output<typeof configSchema>;
export type VenueConfig = Config['venue'];
export type SeiVenueConfig = Extract<VenueConfig, { kind: 'sei' }>;
export type MarketConfig = Config['markets'][number];
export type RiskConfig = Config['risk'];
export type RedisConfig = NonNullable<Config['storage']['redis']>;
export type InfluxConfig = NonNullable<Config['storage']['influx']>;
