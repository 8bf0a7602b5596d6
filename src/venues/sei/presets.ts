// Chain presets for the sei venue (`flashmm run --venue sei --preset <name>` in the daemon's CLI).
// Only chains that run the native order-book module can trade: sei-chain v5.5.x and older. The
// public chains have moved on (v5.6.0 made PlaceOrders answer ErrNotSupported, v5.8.0 deleted the
// module's store, and pacific-1 is EVM-only under SIP-3), so their presets exist to give a clear
// refusal at start-up (the venue checks the node's version and the module), not to trade.
export interface SeiPreset {
  readonly chainId: string;
  /** Public RPC endpoints (CometBFT over HTTPS); the websocket is the same host at /websocket. */
  readonly rpcUrls: readonly string[];
  readonly feeDenom: string;
  /** The chain's usual minimum gas price, in feeDenom per gas unit. */
  readonly gasPrice: string;
  /** Whether the native order-book module accepts orders there. */
  readonly dexModule: boolean;
  readonly note: string;
}

export const SEI_PRESETS = {
  'pacific-1': {
    chainId: 'pacific-1',
    rpcUrls: ['https://rpc.sei-apis.com'],
    feeDenom: 'usei',
    gasPrice: '0.02',
    dexModule: false,
    note: 'Sei mainnet: EVM-only (SIP-3); the native order-book module was disabled in v5.6.0 and removed in v5.8.0.',
  },
  'atlantic-2': {
    chainId: 'atlantic-2',
    rpcUrls: ['https://rpc-testnet.sei-apis.com'],
    feeDenom: 'usei',
    gasPrice: '0.02',
    dexModule: false,
    note: 'Sei testnet: runs the same releases as mainnet, past v5.5.x; the native order-book module does not accept orders.',
  },
  local: {
    chainId: 'sei-local',
    rpcUrls: ['http://127.0.0.1:26657'],
    feeDenom: 'usei',
    gasPrice: '0.02',
    dexModule: true,
    note: 'shared/sei/localnet.sh: seid v5.5.5 with the order-book module, its test contract and pairs registered.',
  },
} as const satisfies Record<string, SeiPreset>;

export type SeiPresetName = keyof typeof SEI_PRESETS;
