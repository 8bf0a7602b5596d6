// A child process for the crash test (test/storage-crash.test.ts): the engine's fill path at
// full speed against a real Redis, to be SIGKILLed at a random moment. It restores like the
// daemon (checkpoint + journal tail into the ledger), re-sends the previous session's fills as a
// venue re-delivers them after a reconnect, then journals fills one after another: journal →
// book → checkpoint, and only then prints `ack <client id>/<fill id> <seq>` with a synchronous
// write, so a line the parent reads was acknowledged before the kill.
// Runs the built code (dist/, `npm run build:ts`): plain node cannot load the TypeScript sources.
import { writeSync } from 'node:fs';
import { PositionTracker } from '../../dist/execution/position.js';
import { RedisStore } from '../../dist/storage/redis-store.js';

const [url, keyPrefix, sessionText] = process.argv.slice(2);
const session = Number(sessionText);
const SYMBOL = 'SEI/USDC';
const FILLS_PER_ORDER = 3;

/** Fill `j` (0-based) of order `n` of session `s`: deterministic, so a re-delivery is identical. */
function fillOf(s, n, j) {
  const side = (s + n) % 2 === 0 ? 'buy' : 'sell';
  const lots = 1 + ((n * 7 + j * 3) % 5);
  return {
    clientId: `fm-s${s}-${n}`, fillId: String(j + 1), side, price: 4_000 + ((n * 13 + j) % 40), lots,
    fee: BigInt(((n + j) % 3) - 1) * 37n, liquidity: 'maker', tsNs: BigInt(s) * 10n ** 15n + BigInt(n * 10 + j),
  };
}

const say = (line) => writeSync(1, `${line}\n`);

const store = new RedisStore({
  url, keyPrefix, onDisconnect: 'halt', maxBufferedWrites: 10_000, commandTimeoutMs: 1_000, maxReconnectDelayMs: 100, journalMaxEntries: 1_000_000,
});
const outcome = await store.restore([SYMBOL], 5_000);
if (!outcome.ok) {
  say(`error ${outcome.reason}`);
  process.exit(2);
}
const restored = outcome.markets.get(SYMBOL);
const market = store.market(SYMBOL);
const ledger = new PositionTracker();
if (restored.checkpoint !== null) ledger.restore(SYMBOL, restored.checkpoint.position);
for (const f of restored.fillsToReplay) ledger.applyFill(SYMBOL, f.side, f.price, f.lots, f.fee);
let open = restored.openOrders;
market.checkpoint({ throughSeq: restored.lastSeq, position: ledger.snapshot(SYMBOL), openOrders: open });
say(`ready ${restored.lastSeq}`);

async function book(fill) {
  const receipt = await market.journalFill(fill);
  if (receipt.status === 'duplicate') return;
  ledger.applyFill(SYMBOL, fill.side, fill.price, fill.lots, fill.fee);
  open = open.map((o) => (o.clientId === fill.clientId ? { ...o, filled: o.filled + fill.lots } : o));
  market.checkpoint({ throughSeq: receipt.seq, position: ledger.snapshot(SYMBOL), openOrders: open });
  say(`ack ${fill.clientId}/${fill.fillId} ${receipt.seq}`);
}

// The venue re-delivers the previous session's first fills: the journal has most of them.
for (let n = 0; n < 20 && session > 1; n += 1) for (let j = 0; j < FILLS_PER_ORDER; j += 1) await book(fillOf(session - 1, n, j));

for (let n = 0; ; n += 1) {
  const first = fillOf(session, n, 0);
  const order = { clientId: first.clientId, venueId: null, side: first.side, price: first.price, size: 100, filled: 0, postOnly: true, state: 'open', level: 0 };
  market.journalOrder({ clientId: order.clientId, state: 'pending', reason: 'place sent', atMs: n, order: { side: order.side, price: order.price, size: 100, postOnly: true, level: 0, venueId: null } });
  open = [...open.filter((o) => o.clientId.startsWith(`fm-s${session}-`)), order];
  for (let j = 0; j < FILLS_PER_ORDER; j += 1) await book(fillOf(session, n, j));
  market.journalOrder({ clientId: order.clientId, state: 'cancelled', reason: 'not desired', atMs: n });
  open = open.filter((o) => o.clientId !== order.clientId);
}
