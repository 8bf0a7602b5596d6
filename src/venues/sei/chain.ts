// Queries and broadcasts against one Sei node over CometBFT RPC (HTTP): the dex module's
// queries through abci_query (at a given height, so a block's book, match result and our orders
// are read as of that block), accounts, transactions and blocks. No state: the venue owns it.
// Every request can carry a timeout: a frozen node (SIGSTOP, a hung peer) accepts the TCP
// connection and never answers, and without one a query would wait for undici's 300 s.
import { fromBase64, toHex } from '@cosmjs/encoding';
import { QueryClient, StargateClient } from '@cosmjs/stargate';
import { Comet1Client, Comet38Client, HttpClient, Tendermint37Client, type CometClient } from '@cosmjs/tendermint-rpc';
import { dex, type DexParams, type DexQuery, type MatchResult, type Order } from './proto.js';

export interface Pair {
  readonly priceDenom: string;
  readonly assetDenom: string;
}

export interface BookSide {
  readonly prices: string[];
  readonly sizes: string[];
}

export interface RegisteredPair extends Pair {
  readonly priceTick: string;
  readonly quantityTick: string;
}

export interface TxOutcome {
  readonly height: number;
  readonly code: number;
  readonly log: string;
  readonly data: Uint8Array;
  readonly gasUsed: bigint;
  readonly events: readonly ChainEvent[];
}

export interface ChainEvent {
  readonly type: string;
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
}

/** Why a node cannot serve the venue: the message is shown to the operator as it is. */
export class UnsupportedChainError extends Error {
  override readonly name = 'UnsupportedChainError';
  readonly code = 'SEI_UNSUPPORTED_CHAIN';
}

/** The last sei-chain release line whose dex module accepts orders (v5.6.0 returns ErrNotSupported). */
const LAST_DEX_MINOR = [5, 5] as const;
const PAGE = 1_000n;

export class SeiChain {
  private constructor(
    readonly rpcUrl: string,
    private readonly comet: CometClient,
    private readonly abci: QueryClient,
    private readonly stargate: StargateClient,
  ) {}

  /** `timeoutMs`: each request (query, broadcast, the connect itself) fails after it; none without. */
  static async connect(rpcUrl: string, options: { timeoutMs?: number } = {}): Promise<SeiChain> {
    const comet = await connectComet(rpcUrl, options.timeoutMs);
    return new SeiChain(rpcUrl, comet, new QueryClient(comet), await StargateClient.create(comet));
  }

  /** The dex queries as of `height` (latest when omitted). */
  private query(height?: number): DexQuery {
    return new dex.QueryClientImpl({
      request: async (service: string, method: string, data: Uint8Array) =>
        (await this.abci.queryAbci(`/${service}/${method}`, data, height)).value,
    });
  }

  /**
   * Refuses a node without a working order-book module, with the reason: pacific-1 and
   * atlantic-2 run sei-chain past v5.5 (EVM-only direction, SIP-3), where the module's
   * PlaceOrders answers ErrNotSupported (v5.6.0) or its store is gone (v5.8.0).
   */
  async checkNode(expectedChainId: string, contract: string): Promise<{ version: string; chainId: string }> {
    const status = await this.comet.status();
    const chainId = status.nodeInfo.network;
    if (chainId !== expectedChainId) {
      throw new UnsupportedChainError(`${this.rpcUrl} serves chain '${chainId}', not '${expectedChainId}'`);
    }
    const version = await this.appVersion();
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
    const [major, minor] = m === null ? [NaN, NaN] : [Number(m[1]), Number(m[2])];
    if (major > LAST_DEX_MINOR[0] || (major === LAST_DEX_MINOR[0] && minor > LAST_DEX_MINOR[1])) {
      throw new UnsupportedChainError(
        `${chainId} runs sei-chain ${version}: its native order-book module (seiprotocol.seichain.dex) no longer ` +
          'accepts orders after v5.5.x (v5.6.0 answers ErrNotSupported, v5.8.0 removed it; pacific-1 is EVM-only now). ' +
          'The sei venue needs a chain that runs sei-chain v5.5.x or older, such as the local chain (docs/sei.md).',
      );
    }
    try {
      await this.query().getRegisteredContract({ contractAddr: contract });
    } catch (err) {
      throw new UnsupportedChainError(
        `${chainId} (sei-chain ${version}) does not answer the order-book module's queries for contract ${contract}: ` +
          `${(err as Error).message}. The sei venue needs the native dex module (sei-chain v5.5.x or older).`,
      );
    }
    return { version, chainId };
  }

  /** The application's version from abci_info ("v5.5.5"); cosmjs does not parse this field. */
  private async appVersion(): Promise<string> {
    const res = await fetch(new URL('/abci_info', this.rpcUrl), { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { result?: { response?: { version?: string } }; response?: { version?: string } };
    return (body.result?.response ?? body.response)?.version ?? 'unknown';
  }

  async params(): Promise<DexParams> {
    const { params } = await this.query().params({});
    if (params === undefined) throw new UnsupportedChainError(`${this.rpcUrl}: the dex module returned no Params`);
    return params;
  }

  async registeredPairs(contract: string): Promise<RegisteredPair[]> {
    const { pairs } = await this.query().getRegisteredPairs({ contractAddr: contract });
    return pairs.map((p) => ({ priceDenom: p.priceDenom, assetDenom: p.assetDenom, priceTick: p.priceTicksize ?? '', quantityTick: p.quantityTicksize ?? '' }));
  }

  /** Bids (the long book) and asks (the short book) of `pair` as of `height`. */
  async book(contract: string, pair: Pair, height: number): Promise<{ bids: BookSide; asks: BookSide }> {
    const q = this.query(height);
    const [bids, asks] = await Promise.all([
      this.pages((pagination) => q.longBookAll({ contractAddr: contract, ...pair, pagination }).then((r) => ({ entries: r.LongBook, next: r.pagination?.nextKey }))),
      this.pages((pagination) => q.shortBookAll({ contractAddr: contract, ...pair, pagination }).then((r) => ({ entries: r.ShortBook, next: r.pagination?.nextKey }))),
    ]);
    return { bids, asks };
  }

  private async pages(
    page: (p: { key: Uint8Array; offset: bigint; limit: bigint; countTotal: boolean; reverse: boolean }) => Promise<{
      entries: readonly { entry?: { price: string; quantity: string } | undefined }[];
      next: Uint8Array | undefined;
    }>,
  ): Promise<BookSide> {
    const out: BookSide = { prices: [], sizes: [] };
    let key: Uint8Array = new Uint8Array();
    for (;;) {
      const { entries, next } = await page({ key, offset: 0n, limit: PAGE, countTotal: false, reverse: false });
      for (const e of entries) {
        if (e.entry === undefined) continue;
        out.prices.push(e.entry.price);
        out.sizes.push(e.entry.quantity);
      }
      if (next === undefined || next.length === 0) return out;
      key = next;
    }
  }

  /** The contract's match result of block `height` (null when the block matched nothing). */
  async matchResult(contract: string, height: number): Promise<MatchResult | null> {
    const { result } = await this.query(height).getMatchResult({ contractAddr: contract });
    return result !== undefined && Number(result.height) === height ? result : null;
  }

  async orders(contract: string, account: string, height?: number): Promise<Order[]> {
    return (await this.query(height).getOrders({ contractAddr: contract, account })).orders;
  }

  async account(address: string): Promise<{ accountNumber: bigint; sequence: number }> {
    const { accountNumber, sequence } = await this.stargate.getSequence(address);
    return { accountNumber, sequence: Number(sequence) };
  }

  async latestHeight(): Promise<number> {
    return (await this.comet.status()).syncInfo.latestBlockHeight;
  }

  /** The block's transaction hashes (upper-case hex) and time. */
  async block(height: number): Promise<{ txs: readonly Uint8Array[]; timeMs: number }> {
    const { block } = await this.comet.block(height);
    return { txs: block.txs as readonly Uint8Array[], timeMs: block.header.time.getTime() };
  }

  /** Result of the `index`-th transaction of block `height`. */
  async txResult(height: number, index: number): Promise<TxOutcome | null> {
    const results = await this.comet.blockResults(height);
    const r = results.results[index];
    if (r === undefined) return null;
    return { height, code: r.code, log: r.log ?? '', data: r.data ?? new Uint8Array(), gasUsed: r.gasUsed, events: r.events };
  }

  /** A transaction by hash, or null while the node does not know it. */
  async tx(hash: string): Promise<TxOutcome | null> {
    try {
      const t = await this.comet.tx({ hash: Uint8Array.from(Buffer.from(hash, 'hex')) });
      const r = t.result;
      return { height: t.height, code: r.code, log: r.log ?? '', data: r.data ?? new Uint8Array(), gasUsed: r.gasUsed, events: r.events };
    } catch (err) {
      if (/not found/i.test((err as Error).message)) return null;
      throw err;
    }
  }

  async broadcastSync(tx: Uint8Array): Promise<{ code: number; log: string; hash: string }> {
    const r = await this.comet.broadcastTxSync({ tx });
    return { code: r.code, log: r.log ?? '', hash: toHex(r.hash).toUpperCase() };
  }

  disconnect(): void {
    this.stargate.disconnect();
  }
}

/**
 * cosmjs's connectComet with a request timeout (cosmjs's own takes none): the client of the
 * node's CometBFT version, 0.37 the fallback (Sei's fork says "0.35.0-unreleased").
 */
async function connectComet(rpcUrl: string, timeoutMs: number | undefined): Promise<CometClient> {
  const http = () => new HttpClient(rpcUrl, timeoutMs);
  const tm37 = Tendermint37Client.create(http());
  const version = (await tm37.status()).nodeInfo.version;
  if (version.startsWith('0.38.')) return Comet38Client.create(http());
  if (version.startsWith('1.')) return Comet1Client.create(http());
  return tm37;
}

/** Values of attribute `key` in events of `type` (cosmjs 0.38+ keeps them base64-encoded). */
export function eventValues(events: readonly ChainEvent[], type: string, key: string): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type !== type) continue;
    for (const a of e.attributes) {
      if (a.key === key) out.push(a.value);
      else if (decodes(a.key) === key) out.push(decodes(a.value) ?? a.value);
    }
  }
  return out;
}

function decodes(b64: string): string | null {
  try {
    return Buffer.from(fromBase64(b64)).toString('utf8');
  } catch {
    return null;
  }
}

const SEQUENCE_MISMATCH = /account sequence mismatch, expected (\d+), got (\d+)/;

/** The sequence the node expects, from a CheckTx refusal for a wrong one (code 32); else null. */
export function expectedSequence(result: { readonly code: number; readonly log: string }): number | null {
  const m = result.code === 32 ? SEQUENCE_MISMATCH.exec(result.log) : null;
  return m === null ? null : Number(m[1]);
}
