// What the storage layer keeps per market, as plain typed records, and their exact encodings.
// Integers (ticks, lots, sequence numbers) are decimal strings of safe integers; money is a
// decimal string of a bigint in the core's money units (tick × lot × 1e-6); nanosecond times are
// decimal strings of a bigint. Decoding checks every field and says which one is wrong, so a
// corrupt or foreign value is never read as a number it is not.
import { z } from 'zod';
import type { OrderState } from '../execution/order-state.js';
import type { PositionSnapshot } from '../execution/position.js';
import type { Side } from '../market/types.js';

/** The ledger's snapshot of one market (position, entry cost, realised P&L, fees, volume). */
export type PositionRecord = PositionSnapshot;

/** One of our live orders as the checkpoint keeps it: enough to reconcile it with the venue. */
export interface StoredOrder {
  readonly clientId: string;
  /** The venue's own id, once the venue has given one. */
  readonly venueId: string | null;
  readonly side: Side;
  readonly price: number;
  /** Original size, lots. */
  readonly size: number;
  /** Lots filled and booked so far. */
  readonly filled: number;
  readonly postOnly: boolean;
  readonly state: OrderState;
  /** Quote level it serves (0 = touch); -1 for an order adopted from the venue. */
  readonly level: number;
}

/** The ledger and the live orders of one market after every fill up to `throughSeq` was booked. */
export interface Checkpoint {
  /** Journal sequence number of the last fill the position includes (0 = none). */
  readonly throughSeq: number;
  readonly position: PositionRecord;
  readonly openOrders: readonly StoredOrder[];
  readonly atMs: number;
}

/** A fill as booked into the ledger: journaled before it is booked. */
export interface FillRecord {
  readonly clientId: string;
  /**
   * Stable across re-deliveries of the same fill: the venue's trade id where it has one, else the
   * order's cumulative filled lots after this fill. (clientId, fillId) is the journal's
   * idempotency key.
   */
  readonly fillId: string;
  readonly side: Side;
  readonly price: number;
  /** Lots booked (> 0). */
  readonly lots: number;
  /** Money units; negative = rebate. */
  readonly fee: bigint;
  readonly liquidity: 'maker' | 'taker';
  readonly tsNs: bigint;
}

/** The details an order event carries when the order first appears (placed, or adopted). */
export interface OrderDetails {
  readonly side: Side;
  readonly price: number;
  readonly size: number;
  readonly postOnly: boolean;
  readonly level: number;
  readonly venueId: string | null;
}

/** One state change of one order (the order manager's vocabulary). */
export interface OrderEventRecord {
  readonly clientId: string;
  readonly state: OrderState;
  readonly reason: string;
  readonly atMs: number;
  /** Present on the event that creates the order, and when the venue id becomes known. */
  readonly order?: OrderDetails;
}

/** The public book's top levels, as last seen (`orderbook:{symbol}`, short-lived). */
export interface BookRecord {
  /** Best first: [price ticks, size lots]. */
  readonly bids: readonly (readonly [number, number])[];
  readonly asks: readonly (readonly [number, number])[];
  readonly sequence: number;
  readonly exchangeTsNs: bigint;
}

/** One forecast of the model: direction probabilities per horizon. */
export interface PredictionRecord {
  readonly atMs: number;
  readonly horizons: readonly { readonly horizonMs: number; readonly down: number; readonly flat: number; readonly up: number }[];
}

export type JournalEntry =
  | { readonly seq: number; readonly type: 'fill'; readonly fill: FillRecord }
  | { readonly seq: number; readonly type: 'order'; readonly event: OrderEventRecord }
  /** Entries dropped while Redis was unreachable and the buffer full: seqs first..last, `count` of them. */
  | { readonly seq: number; readonly type: 'gap'; readonly first: number; readonly last: number; readonly count: number };

export class RecordError extends Error {
  override readonly name = 'RecordError';
}

// --- field codecs -------------------------------------------------------------------------

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const ORDER_STATES = ['new', 'pending', 'open', 'partially-filled', 'cancelling', 'unknown', 'filled', 'cancelled', 'rejected', 'expired'] as const satisfies readonly OrderState[];

export function encodeInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RecordError(`not a safe integer: ${value}`);
  return String(value);
}

function text(fields: Readonly<Record<string, string>>, name: string): string {
  const value = fields[name];
  if (value === undefined) throw new RecordError(`missing field ${name}`);
  return value;
}

export function decodeInt(fields: Readonly<Record<string, string>>, name: string): number {
  const value = text(fields, name);
  const n = Number(value);
  if (!INTEGER.test(value) || !Number.isSafeInteger(n)) throw new RecordError(`${name}: expected an integer, got ${JSON.stringify(value)}`);
  return n;
}

export function decodeBig(fields: Readonly<Record<string, string>>, name: string): bigint {
  const value = text(fields, name);
  if (!INTEGER.test(value)) throw new RecordError(`${name}: expected an integer, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

function decodeEnum<T extends string>(fields: Readonly<Record<string, string>>, name: string, allowed: readonly T[]): T {
  const value = text(fields, name);
  if (!(allowed as readonly string[]).includes(value)) throw new RecordError(`${name}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** A flat Redis reply (HGETALL, a stream entry's fields) as a record. */
export function fieldMap(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

// --- positions ----------------------------------------------------------------------------

export function encodePosition(p: PositionRecord): { position: string; cost: string; realised: string; fees: string; volume: string } {
  return {
    position: encodeInt(p.lots),
    cost: p.entryCost.toString(),
    realised: p.realised.toString(),
    fees: p.fees.toString(),
    volume: encodeInt(p.volumeLots),
  };
}

export function decodePosition(fields: Readonly<Record<string, string>>): PositionRecord {
  return {
    lots: decodeInt(fields, 'position'),
    entryCost: decodeBig(fields, 'cost'),
    realised: decodeBig(fields, 'realised'),
    fees: decodeBig(fields, 'fees'),
    volumeLots: decodeInt(fields, 'volume'),
  };
}

// --- orders (JSON values of the orders hash, keyed by client id) ---------------------------

const safeInt = () => z.number().int().refine(Number.isSafeInteger, 'not a safe integer');
const sideSchema = z.enum(['buy', 'sell']);
const detailsShape = {
  side: sideSchema,
  price: safeInt(),
  size: safeInt().positive(),
  postOnly: z.boolean(),
  level: safeInt().min(-1),
  venueId: z.string().min(1).nullable(),
};
const storedOrderSchema = z.strictObject({ ...detailsShape, filled: safeInt().nonnegative(), state: z.enum(ORDER_STATES) });
const detailsSchema = z.strictObject(detailsShape);

function parseJson<T>(schema: z.ZodType<T>, json: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new RecordError(`${what}: not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RecordError(`${what}: ${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function encodeOrder(o: StoredOrder): string {
  for (const n of [o.price, o.size, o.filled, o.level]) encodeInt(n);
  const { side, price, size, filled, postOnly, state, level, venueId } = o;
  return JSON.stringify({ side, price, size, filled, postOnly, state, level, venueId });
}

export function decodeOrder(clientId: string, json: string): StoredOrder {
  return { clientId, ...parseJson(storedOrderSchema, json, `order ${clientId}`) };
}

// --- journal entries (stream fields) -------------------------------------------------------

export function encodeFill(f: FillRecord): string[] {
  if (f.lots <= 0) throw new RecordError(`fill ${f.clientId}/${f.fillId}: lots must be > 0, got ${f.lots}`);
  return [
    'type', 'fill', 'clientId', f.clientId, 'fillId', f.fillId, 'side', f.side, 'price', encodeInt(f.price),
    'lots', encodeInt(f.lots), 'fee', f.fee.toString(), 'liquidity', f.liquidity, 'tsNs', f.tsNs.toString(),
  ];
}

export function encodeOrderEvent(e: OrderEventRecord): string[] {
  const out = ['type', 'order', 'clientId', e.clientId, 'state', e.state, 'reason', e.reason, 'atMs', encodeInt(e.atMs)];
  if (e.order !== undefined) {
    for (const n of [e.order.price, e.order.size, e.order.level]) encodeInt(n);
    out.push('order', JSON.stringify(e.order));
  }
  return out;
}

export function encodeGap(first: number, last: number, count: number): string[] {
  return ['type', 'gap', 'first', encodeInt(first), 'last', encodeInt(last), 'count', encodeInt(count)];
}

/** The journal's idempotency key of a fill. */
export function fillKey(clientId: string, fillId: string): string {
  return `${clientId}/${fillId}`;
}

/** Stream ids are `0-<seq>`: the sequence number is the id, so ranges are by sequence. */
export function streamId(seq: number): string {
  return `0-${seq}`;
}

export function seqOfStreamId(id: string): number {
  const match = /^0-(\d+)$/.exec(id);
  const seq = match === null ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(seq)) throw new RecordError(`journal id ${JSON.stringify(id)} is not 0-<seq>`);
  return seq;
}

export function decodeEntry(id: string, flat: readonly string[]): JournalEntry {
  const seq = seqOfStreamId(id);
  const f = fieldMap(flat);
  try {
    const type = decodeEnum(f, 'type', ['fill', 'order', 'gap'] as const);
    if (type === 'gap') return { seq, type, first: decodeInt(f, 'first'), last: decodeInt(f, 'last'), count: decodeInt(f, 'count') };
    const clientId = text(f, 'clientId');
    if (type === 'fill') {
      const lots = decodeInt(f, 'lots');
      if (lots <= 0) throw new RecordError(`lots: expected > 0, got ${lots}`);
      const fill: FillRecord = {
        clientId, fillId: text(f, 'fillId'), side: decodeEnum(f, 'side', ['buy', 'sell'] as const), price: decodeInt(f, 'price'), lots,
        fee: decodeBig(f, 'fee'), liquidity: decodeEnum(f, 'liquidity', ['maker', 'taker'] as const), tsNs: decodeBig(f, 'tsNs'),
      };
      return { seq, type, fill };
    }
    const base = { clientId, state: decodeEnum(f, 'state', ORDER_STATES), reason: text(f, 'reason'), atMs: decodeInt(f, 'atMs') };
    const order = f['order'] === undefined ? undefined : parseJson(detailsSchema, f['order'], 'order details');
    return { seq, type, event: order === undefined ? base : { ...base, order } };
  } catch (err) {
    throw err instanceof RecordError ? new RecordError(`journal entry ${seq}: ${err.message}`) : err;
  }
}

// --- book and predictions -------------------------------------------------------------------

export function encodeBook(b: BookRecord): Record<string, string> {
  for (const [price, size] of [...b.bids, ...b.asks]) (encodeInt(price), encodeInt(size));
  return { bids: JSON.stringify(b.bids), asks: JSON.stringify(b.asks), sequence: encodeInt(b.sequence), tsNs: b.exchangeTsNs.toString() };
}

const levelsSchema = z.array(z.tuple([safeInt(), safeInt().nonnegative()]));

export function decodeBook(fields: Readonly<Record<string, string>>): BookRecord {
  return {
    bids: parseJson(levelsSchema, text(fields, 'bids'), 'bids'),
    asks: parseJson(levelsSchema, text(fields, 'asks'), 'asks'),
    sequence: decodeInt(fields, 'sequence'),
    exchangeTsNs: decodeBig(fields, 'tsNs'),
  };
}

const probability = () => z.number().min(0).max(1);
const predictionSchema = z.strictObject({
  atMs: safeInt(),
  horizons: z.array(z.strictObject({ horizonMs: safeInt().positive(), down: probability(), flat: probability(), up: probability() })),
});

/** Checked against the schema that reads it back: NaN would become null in JSON. */
export function encodePrediction(p: PredictionRecord): string {
  const record = { atMs: p.atMs, horizons: p.horizons.map(({ horizonMs, down, flat, up }) => ({ horizonMs, down, flat, up })) };
  const json = JSON.stringify(record);
  parseJson(predictionSchema, json, 'prediction');
  return json;
}

export function decodePrediction(json: string): PredictionRecord {
  return parseJson(predictionSchema, json, 'prediction');
}
