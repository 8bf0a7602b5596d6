// `flashmm sei traders`: other participants of a Sei order book, as real transactions from their
// own accounts, on any chain that runs the native order-book module (a local chain: docs/sei.md).
// The core's zero-intelligence generator, seeded, or a recording's order flow (--recording: its
// book's top levels and its trades, tick for tick around the pair's mid, sizes scaled and
// rounded at random by the seed) is turned into limit orders, cancels and marketable orders each
// block (src/venues/sei/traders/). Keys: FLASHMM_TRADER_MNEMONICS (one
// mnemonic per line, or separated by ';') or keystores by name (--key, repeatable; the password
// from FLASHMM_KEYSTORE_PASSWORD). Logs JSON or pretty lines on stderr; the final counters as one
// JSON line on stdout.
import { closeSync, openSync } from 'node:fs';
import { Command, Option } from 'commander';
import { seiVenueSchema, withSeiPreset, type SeiVenueConfig } from '../config/schema.js';
import { Secret } from '../config/secret.js';
import { keystorePath } from '../keys/keystore.js';
import { keystorePassword } from '../keys/password.js';
import { loadSigner } from '../keys/signing-key.js';
import { createLogger, type LogFormat } from '../telemetry/logger.js';
import type { CoreDirectSigner } from '../venues/sei/signer.js';
import { TraderPlan } from '../venues/sei/traders/plan.js';
import { SeiTraders } from '../venues/sei/traders/runner.js';

export const TRADER_MNEMONICS_ENV = 'FLASHMM_TRADER_MNEMONICS';

interface TradersOptions {
  readonly preset?: string;
  readonly rpc?: string;
  readonly chainId?: string;
  readonly contract?: string;
  readonly pair: string;
  readonly seed: string;
  readonly rate: string;
  readonly price: string;
  readonly recording?: string;
  readonly sizeScale: string;
  readonly depth: string;
  readonly blockMs: string;
  readonly ttlBlocks: string;
  readonly blocks?: string;
  readonly record?: string;
  readonly key?: string[];
  readonly keysDir?: string;
  readonly logFormat: LogFormat;
}

function number(name: string, value: string, check: (n: number) => boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`--${name}: invalid value '${value}'`);
  return n;
}

/** The traders' signers: keystores by name, else the mnemonics of the environment. */
async function signersOf(o: TradersOptions, env: NodeJS.ProcessEnv): Promise<CoreDirectSigner[]> {
  if (o.key !== undefined && o.key.length > 0) {
    const password = await keystorePassword(env, { confirm: false });
    return Promise.all(o.key.map((name) => loadSigner({ kind: 'keystore', path: keystorePath(name, o.keysDir), password })));
  }
  const phrases = (env[TRADER_MNEMONICS_ENV] ?? '').split(/[;\n]/).map((p) => p.trim()).filter((p) => p.length > 0);
  if (phrases.length === 0) {
    throw new Error(`the traders need accounts: ${TRADER_MNEMONICS_ENV} (one mnemonic per line or separated by ';') or --key <name> (repeatable)`);
  }
  return Promise.all(phrases.map((p) => loadSigner({ kind: 'mnemonic', mnemonic: new Secret(p) })));
}

function venueConfig(o: TradersOptions): SeiVenueConfig {
  const raw = Object.fromEntries(Object.entries({ kind: 'sei', preset: o.preset, rpcUrl: o.rpc, chainId: o.chainId, contractAddr: o.contract }).filter(([, v]) => v !== undefined));
  const parsed = seiVenueSchema.safeParse(withSeiPreset(raw));
  if (!parsed.success) throw new Error(`sei traders: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

async function runTraders(o: TradersOptions): Promise<void> {
  const log = createLogger({ format: o.logFormat, destination: process.stderr, isTTY: process.stderr.isTTY === true, base: { component: 'sei-traders' } });
  const [priceDenom = '', assetDenom = ''] = o.pair.split('/');
  if (priceDenom === '' || assetDenom === '') throw new Error(`--pair: expected <priceDenom>/<assetDenom>, got '${o.pair}'`);
  const seed = number('seed', o.seed, (n) => Number.isSafeInteger(n) && n >= 0);
  const rate = number('rate', o.rate, (n) => n > 0);
  const blockMs = number('block-ms', o.blockMs, (n) => Number.isInteger(n) && n > 0);
  const ttlBlocks = number('ttl-blocks', o.ttlBlocks, (n) => Number.isInteger(n) && n > 0);
  const blocks = o.blocks === undefined ? Infinity : number('blocks', o.blocks, (n) => Number.isInteger(n) && n > 0);
  const recording = o.recording === undefined ? undefined : {
    path: o.recording,
    sizeScale: number('size-scale', o.sizeScale, (n) => n > 0),
    depth: number('depth', o.depth, (n) => Number.isInteger(n) && n > 0),
  };
  const signers = await signersOf(o, process.env);
  const recordFd = o.record === undefined ? undefined : openSync(o.record, 'w');
  const traders = await SeiTraders.open({
    config: venueConfig(o), pair: { priceDenom, assetDenom }, signers, logger: log,
    plan: (market, mid) => {
      // A recording's first mid lands on the pair's mid (or --price while its book is one-sided).
      const initialPrice = recording !== undefined && mid !== null ? mid : o.price;
      if (recording !== undefined) log.info({ recording: recording.path, mid: initialPrice, chainMid: mid }, 'sei traders: the recording\'s flow around this price');
      return new TraderPlan({
        spec: { symbol: market.info.symbol, tickSize: market.info.tickSize, lotSize: market.info.lotSize },
        initialPrice, seed, rate, accounts: signers.length, blockMs, ttlBlocks, ...(recording === undefined ? {} : { recording }),
      });
    },
    ...(recordFd === undefined ? {} : { recordFd }),
  });
  log.info({ accounts: traders.addresses, seed, rate, pair: o.pair }, 'sei traders started');
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
    timer = setInterval(() => {
      if (traders.counters.blocks >= blocks) resolve('blocks');
      else if (traders.finished) resolve('recording ended');
    }, 50);
  });
  await traders.start();
  const reason = await stopped;
  // Cleared whatever ended the run: a live interval after a signal kept the process from exiting.
  clearInterval(timer);
  await traders.stop();
  if (recordFd !== undefined) closeSync(recordFd);
  log.info({ reason, counters: traders.counters }, 'sei traders stopped: their open orders cancelled');
  process.stdout.write(`${JSON.stringify({ reason, ...traders.counters })}\n`);
}

export function registerSei(program: Command): void {
  const sei = program.command('sei').description('tools for a Sei chain that runs the native order-book module (docs/sei.md)');
  sei
    .command('traders')
    .description('other market participants: the core\'s zero-intelligence order flow as real transactions from their own accounts')
    .option('--preset <name>', 'a known chain (local, ...)')
    .option('--rpc <url>', 'CometBFT RPC endpoint')
    .option('--chain-id <id>', 'chain id')
    .option('--contract <sei1…>', 'the dex contract the pair is registered under')
    .option('--pair <price/asset>', 'the pair traded', 'uusdc/usei')
    .option('--seed <n>', 'seed of the generator: same seed, same orders', '1')
    .option('--rate <x>', 'multiplies the generator\'s order rates (1 = 12 limit orders/s a side); with --recording its replay speed (1 = real time)', '0.25')
    .option('--price <decimal>', 'best bid of the generated book at the start; with --recording, where its first mid lands when the pair\'s book is one-sided', '1')
    .option('--recording <file>', 'a recording\'s order flow (a Binance recording, or flashmm record\'s) instead of the generator: its top levels and trades, tick for tick around the pair\'s mid')
    .option('--size-scale <x>', 'with --recording: chain lots per unit of the recording\'s size (fractions rounded at random by the seed)', '10')
    .option('--depth <n>', 'with --recording: levels of each side of its book kept on the chain', '10')
    .option('--block-ms <ms>', 'generated time per block', '210')
    .option('--ttl-blocks <n>', 'blocks a limit order rests at most before it is cancelled', '150')
    .option('--blocks <n>', 'stop after this many blocks (default: until SIGTERM/SIGINT)')
    .option('--record <file>', 'write one JSON line per order and cancel sent')
    .option('--key <name>', 'a trader keystore (repeatable; else FLASHMM_TRADER_MNEMONICS)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--keys-dir <dir>', 'the keystores\' directory')
    .addOption(new Option('--log-format <format>', 'log lines on stderr').choices(['pretty', 'json', 'auto']).default('auto'))
    .action(async (o: TradersOptions) => {
      try {
        await runTraders(o);
      } catch (err) {
        process.stderr.write(`error: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
