import { describe, expect, test } from 'vitest';
import { configSchema, DEFAULT_MARKET } from '../src/config/schema.js';

describe('config schema', () => {
  test('an empty config is valid: simulated venue, generated market, one market', () => {
    const config = configSchema.parse({});
    expect(config.env).toBe('development');
    expect(config.venue).toEqual({
      kind: 'sim',
      client: 'flashmm', // its account's name on a remote simulated venue (flashmm sim serve)
      generator: { kind: 'zi', seed: 1, initialPrice: '0.4000' },
      latency: { entryMs: 5, responseMs: 5 },
      queueModel: { kind: 'power', exponent: 2 },
      matching: 'continuous', // sei-block: Sei's end-of-block matching
      blockTimeMs: 210, // the local Sei chain's block time (its default for sei-block)
    });
    expect(config.markets).toEqual([DEFAULT_MARKET]);
    expect(config.risk).toEqual({
      maxPositionLots: 100,
      maxNotional: '100',
      maxDailyLoss: '10',
      maxDrawdown: '20',
      maxOrdersPerSecond: 10,
      maxOpenOrders: 20,
      staleBookMs: 2000,
      disconnectMs: 5000,
      maxErrors: 10,
      errorWindowMs: 10000,
      autoKillOn: ['daily-loss'],
    });
    expect(config.engine).toEqual({ intervalMs: 200, largeMoveBps: 10, shutdownTimeoutMs: 5000, orderTimeoutMs: 10000 });
    expect(config.model).toEqual({ path: 'models/default.onnx', enabled: true, reloadOnChange: false });
    expect(config.api).toEqual({
      host: '127.0.0.1', port: 8080, enabled: true, tokens: [], anonymousRead: true, corsOrigins: [],
      rateLimit: { perIpPerMinute: 1200, perTokenPerMinute: 600 }, bodyLimitBytes: 16384,
      stream: { maxHz: 5, maxBufferedBytes: 262144, maxUnackedFrames: 10, maxClients: 32, depth: 10 },
    });
    expect(config.telemetry).toEqual({ logLevel: 'info', logFormat: 'auto', metrics: { enabled: true } });
    expect(config.storage).toEqual({});
    expect(config.strategy.kind).toBe('glft');
  });

  test('a venue without kind is the simulated one', () => {
    const config = configSchema.parse({ venue: { latency: { entryMs: 1 } } });
    expect(config.venue.kind).toBe('sim');
  });

  test('decimals stay exact: strings as written, short unquoted numbers accepted, long ones refused', () => {
    const market = (tickSize: unknown) => configSchema.safeParse({ markets: [{ symbol: 'X/Y', tickSize, lotSize: '1' }] });
    const ok = market(0.0001);
    expect(ok.success && ok.data.markets[0]?.tickSize).toBe('0.0001');
    const exact = market('0.00010000000000000000001');
    expect(exact.success && exact.data.markets[0]?.tickSize).toBe('0.00010000000000000000001');
    expect(market(0.1234567890123456).success).toBe(false);
    expect(market('0').success).toBe(false);
    expect(market('-1').success).toBe(false);
    expect(market('1e-4').success).toBe(false);
  });

  test('duplicate market symbols are rejected', () => {
    const m = { symbol: 'X/Y', tickSize: '1', lotSize: '1' };
    expect(configSchema.safeParse({ markets: [m, m] }).success).toBe(false);
  });

  test('on Sei every enabled market needs its pair', () => {
    const sei = {
      kind: 'sei',
      rpcUrl: 'http://127.0.0.1:26657',
      wsUrl: 'ws://127.0.0.1:26657/websocket',
      chainId: 'sei-local',
      contractAddr: `sei1${'q'.repeat(58)}`,
    };
    const without = configSchema.safeParse({ venue: sei });
    expect(without.success).toBe(false);
    expect(without.error?.issues[0]?.path).toEqual(['venue', 'pairs', 'SEI/USDC']);
    const pairs = { 'SEI/USDC': { priceDenom: 'uusdc', assetDenom: 'usei' } };
    expect(configSchema.safeParse({ venue: { ...sei, pairs } }).success).toBe(true);
  });
});
