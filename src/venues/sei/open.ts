// The daemon's Sei venue from its configuration: the chain refused at once where the order-book
// module is gone (pacific-1, atlantic-2: EVM-only), the markets' pairs, the signing key (a
// keystore by name, or FLASHMM_MNEMONIC / FLASHMM_KEYSTORE_PATH from the environment; none
// when observing), then SeiVenue.open, which checks the node's version and that the module
// answers for the contract before anything else happens.
import type { Config, SeiVenueConfig } from '../../config/schema.js';
import { loadSecrets, type SigningKeySource } from '../../config/secret.js';
import type { Clock } from '../../execution/clock.js';
import { keystorePath } from '../../keys/keystore.js';
import { keystorePassword } from '../../keys/password.js';
import { loadSigner } from '../../keys/signing-key.js';
import type { Logger } from '../../telemetry/logger.js';
import { UnsupportedChainError } from './chain.js';
import type { MarketDataGrid } from './markets.js';
import { SEI_PRESETS } from './presets.js';
import { SeiVenue } from './sei-venue.js';
import type { CoreDirectSigner } from './signer.js';

export interface SeiOpenOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Follow the books with no key: no orders. */
  readonly observe?: boolean;
  /** The market data's grid (observing only; default the pair's). */
  readonly grid?: MarketDataGrid;
  /** A keystore of the keys directory by name (`flashmm keys add <name>`); its password from the environment or a prompt. */
  readonly key?: { readonly name: string; readonly dir?: string };
  readonly env?: NodeJS.ProcessEnv;
}

export class NoSigningKeyError extends Error {
  override readonly name = 'NoSigningKeyError';
  readonly code = 'SEI_NO_KEY';
}

/** Refuses a chain whose native order book is gone before any connection is made. */
export function refuseChainWithoutDex(venue: SeiVenueConfig): void {
  const known = Object.values(SEI_PRESETS).find((p) => p.chainId === venue.chainId);
  if (known === undefined || known.dexModule) return;
  throw new UnsupportedChainError(
    `${venue.chainId} cannot be traded by the sei venue: ${known.note} The venue trades Sei's native order book ` +
      '(seiprotocol.seichain.dex), which only chains running sei-chain v5.5.x or older carry: a local network ' +
      '(shared/sei/localnet.sh), a fork or a private deployment (docs/sei.md). Order books on Sei mainnet today are EVM contracts.',
  );
}

export async function openSeiVenue(config: Config, options: SeiOpenOptions): Promise<SeiVenue> {
  const venue = config.venue;
  if (venue.kind !== 'sei') throw new Error(`openSeiVenue needs venue.kind 'sei', got '${venue.kind}'`);
  refuseChainWithoutDex(venue);
  const markets = config.markets.filter((m) => m.enabled).map((m) => {
    const pair = venue.pairs[m.symbol];
    if (pair === undefined) throw new Error(`market ${m.symbol} has no pair in venue.pairs`); // the schema requires one
    return { symbol: m.symbol, ...pair };
  });
  const signer = options.observe === true ? undefined : await signerOf(options);
  const opened = await SeiVenue.open({ config: venue, markets, clock: options.clock, logger: options.logger, ...(signer === undefined ? {} : { signer }), ...(options.grid === undefined ? {} : { grid: options.grid }) });
  options.logger.info(
    {
      chainId: venue.chainId, node: opened.node, contract: venue.contractAddr, address: opened.address,
      markets: opened.markets().map((m) => ({ symbol: m.symbol, tickSize: m.tickSize, lotSize: m.lotSize })),
    },
    signer === undefined ? 'sei venue open: observing (no key, no orders)' : 'sei venue open',
  );
  return opened;
}

async function signerOf(options: SeiOpenOptions): Promise<CoreDirectSigner> {
  const env = options.env ?? process.env;
  let source: SigningKeySource | undefined;
  if (options.key !== undefined) {
    source = { kind: 'keystore', path: keystorePath(options.key.name, options.key.dir), password: await keystorePassword(env, { confirm: false }) };
  } else {
    source = loadSecrets(env).signingKey;
  }
  if (source === undefined) {
    throw new NoSigningKeyError(
      'the sei venue needs a signing key: --key <name> (a keystore made with `flashmm keys add|import`), FLASHMM_KEYSTORE_PATH ' +
        '+ FLASHMM_KEYSTORE_PASSWORD, or FLASHMM_MNEMONIC (tests and local chains); --observe follows the books without one',
    );
  }
  return loadSigner(source);
}
