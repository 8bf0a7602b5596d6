// The wire protocol between `flashmm sim serve` (the simulated venue as its own process) and
// the daemons trading on it (docs/sim-venue.md, "Remote"). One websocket per daemon:
// - text frames: JSON messages, checked against the schemas below on both ends (bigints — ns
//   times, money — are decimal strings);
// - binary frames: market data, `[u16 LE symbol length][symbol, UTF-8][the core's EventBatch
//   wire bytes]` (EventBatch.toBuffer / fromBuffer: the core's exact columnar form).
// A daemon says who it is in `hello`; the venue keeps every daemon's orders, fills and position
// apart under that name, and keeps them across the daemon's restarts.
import { z } from 'zod';
import { EventBatch } from '../../native.js';

export const PROTOCOL_VERSION = 1;

const int = () => z.number().int().refine(Number.isSafeInteger, 'not a safe integer');
const bigintText = () => z.string().regex(/^-?(0|[1-9][0-9]*)$/, 'expected an integer string').transform((s) => BigInt(s));
const side = z.enum(['buy', 'sell']);
const name = z.string().min(1).max(200);

const placeSchema = z.strictObject({ clientId: name, symbol: name, side, price: int(), size: int().positive(), postOnly: z.boolean() });
const cancelSchema = z.strictObject({ clientId: name, symbol: name });

export const clientMessageSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('hello'), version: z.number().int(), client: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ -'), account: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ -').optional(), markets: z.array(name) }),
  z.strictObject({ op: z.literal('submit'), id: int(), cancels: z.array(cancelSchema), places: z.array(placeSchema) }),
  z.strictObject({ op: z.literal('cancel-all'), id: int(), symbol: name.optional() }),
  z.strictObject({ op: z.literal('open-orders'), id: int(), symbol: name }),
  z.strictObject({ op: z.literal('account'), id: int(), symbol: name, fillsSinceNs: bigintText() }),
]);
export type ClientMessage = z.output<typeof clientMessageSchema>;
/** What a client sends (bigints still as decimal strings). */
export type ClientRequest = z.input<typeof clientMessageSchema>;

const marketSchema = z.strictObject({
  symbol: name, tickSize: z.string(), lotSize: z.string(), minSizeLots: int(), makerFeePpm: int(), takerFeePpm: int(),
});
const venueOrderSchema = z.strictObject({ clientId: name, symbol: name, side, price: int(), size: int(), filled: int() });
const fillSchema = z.strictObject({
  clientId: name, symbol: name, side, price: int(), size: int().positive(), fee: bigintText(), liquidity: z.enum(['maker', 'taker']),
  leaves: int(), tsNs: bigintText(), fillId: name,
});
const reasonEvent = <T extends string>(type: T) => z.strictObject({ type: z.literal(type), clientId: name, symbol: name, reason: z.string(), tsNs: bigintText() });
const orderEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('accepted'), clientId: name, symbol: name, tsNs: bigintText() }),
  reasonEvent('rejected'),
  reasonEvent('cancelled'),
  reasonEvent('cancel-rejected'),
  z.strictObject({ type: z.literal('fill'), fill: fillSchema }),
]);

export const serverMessageSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('welcome'), version: z.number().int(), markets: z.array(marketSchema), sequenceRules: z.record(z.string(), z.string()) }),
  z.strictObject({ op: z.literal('refused'), reason: z.string() }),
  z.strictObject({ op: z.literal('events'), events: z.array(orderEventSchema) }),
  /** `ok`: `result` holds the answer; else `error` says why. */
  z.strictObject({ op: z.literal('reply'), id: int(), ok: z.boolean(), result: z.unknown().optional(), error: z.string().optional() }),
]);
export type ServerMessage = z.output<typeof serverMessageSchema>;

export const openOrdersResult = z.array(venueOrderSchema);
export const accountResult = z.strictObject({ orders: z.array(venueOrderSchema), fills: z.array(fillSchema), complete: z.boolean(), positionLots: int() });

/** JSON with bigints as decimal strings (the schemas above turn them back). */
export function encodeMessage(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

/** A message of `schema` from a text frame, or an error saying what is wrong. */
export function decodeMessage<S extends z.ZodType>(schema: S, text: string): { ok: true; message: z.output<S> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
}

export function encodeMarketData(symbol: string, batch: EventBatch): Buffer {
  const sym = Buffer.from(symbol, 'utf8');
  const head = Buffer.alloc(2);
  head.writeUInt16LE(sym.length, 0);
  return Buffer.concat([head, sym, batch.toBuffer()]);
}

/** Throws (BAD_FRAME from the core, or a RangeError) on a frame that is not market data. */
export function decodeMarketData(frame: Buffer): { symbol: string; batch: EventBatch } {
  const length = frame.readUInt16LE(0);
  if (frame.length < 2 + length) throw new RangeError(`market data frame of ${frame.length} bytes with a ${length}-byte symbol`);
  const symbol = frame.subarray(2, 2 + length).toString('utf8');
  return { symbol, batch: EventBatch.fromBuffer(frame.subarray(2 + length)) };
}
