// The bounded, ordered write buffer on its own: journal entries first in first out, drops of
// the oldest recorded as one gap entry per market ahead of that market's survivors, state
// writes latest-wins (forecasts accumulate), failed writes back at the front in order.
import { describe, expect, it } from 'vitest';
import { WriteQueue, type WriteOp } from '../src/storage/write-queue.js';

/** A pipeline stand-in that records what each write would send. */
type Sent = string[];

function journal(market: string, seq: number, settled?: unknown[]): WriteOp<Sent> {
  return { journal: { market, seq }, send: (p) => void p.push(`${market}#${seq}`), settle: (r) => void settled?.push([seq, r]) };
}

function state(key: string, value: string): WriteOp<Sent> {
  return { key, send: (p) => void p.push(`${key}=${value}`) };
}

function accumulating(key: string, values: readonly string[]): WriteOp<Sent> {
  return { key, send: (p) => void p.push(`${key}=${values.join(',')}`), mergeAfter: (older) => accumulating(key, [...sent(older)[0]!.split('=')[1]!.split(','), ...values]) };
}

function sent(...ops: WriteOp<Sent>[]): string[] {
  const p: Sent = [];
  for (const op of ops) op.send(p);
  return p;
}

const queue = (capacity: number) => new WriteQueue<Sent>(capacity, (market, first, last, count) => ({
  journal: { market, seq: last, gap: { first, last, count } }, send: (p) => void p.push(`${market}:gap ${first}..${last} (${count})`),
}));

describe('WriteQueue', () => {
  it('hands out journal entries in order, then state writes in the order last written', () => {
    const q = queue(10);
    q.push(state('book', 'b1'));
    q.push(journal('A', 1));
    q.push(state('ckpt', 'c1'));
    q.push(journal('A', 2));
    q.push(state('book', 'b2'));
    expect(q.size).toBe(4);
    expect(sent(...q.take(3))).toEqual(['A#1', 'A#2', 'ckpt=c1']);
    expect(sent(...q.take(10))).toEqual(['book=b2']);
    expect(q.size).toBe(0);
  });

  it('drops the oldest journal entries past capacity into one gap entry per market, ahead of its survivors', () => {
    const q = queue(3);
    const settled: unknown[] = [];
    for (const [market, seq] of [['A', 1], ['B', 1], ['A', 2], ['A', 3], ['B', 2], ['A', 4], ['A', 5]] as const) {
      q.push(journal(market, seq, settled));
    }
    // Seven pushed for three places: A1, B1, A2, A3 dropped (their receipts settled with null).
    expect(settled).toEqual([[1, null], [1, null], [2, null], [3, null]]);
    expect(q.journalSize).toBe(3);
    expect(sent(...q.take(100))).toEqual(['A:gap 1..3 (3)', 'B:gap 1..1 (1)', 'B#2', 'A#4', 'A#5']);
    // A gap already handed out is closed: later drops open a new one.
    for (let seq = 6; seq <= 10; seq += 1) q.push(journal('A', seq));
    expect(sent(...q.take(100))).toEqual(['A:gap 6..7 (2)', 'A#8', 'A#9', 'A#10']);
  });

  it('accumulates waiting forecasts and replaces other state', () => {
    const q = queue(5);
    q.push(accumulating('pred', ['p1']));
    q.push(accumulating('pred', ['p2', 'p3']));
    q.push(state('book', 'b1'));
    q.push(state('book', 'b2'));
    expect(sent(...q.take(10))).toEqual(['pred=p1,p2,p3', 'book=b2']);
  });

  it('puts failed writes back at the front in order, and keeps a newer state write over a failed older one', () => {
    const q = queue(4);
    q.push(journal('A', 1));
    q.push(journal('A', 2));
    q.push(state('book', 'b1'));
    q.push(accumulating('pred', ['p1']));
    const inFlight = q.take(10);
    q.push(journal('A', 3));
    q.push(state('book', 'b2'));
    q.push(accumulating('pred', ['p2']));
    q.requeue(inFlight);
    expect(sent(...q.take(10))).toEqual(['A#1', 'A#2', 'A#3', 'book=b2', 'pred=p1,p2']);
  });

  it('a requeue past capacity drops the oldest into a gap entry', () => {
    const q = queue(2);
    q.push(journal('A', 1));
    q.push(journal('A', 2));
    const inFlight = q.take(10);
    q.push(journal('A', 3));
    q.push(journal('A', 4));
    q.requeue(inFlight);
    expect(sent(...q.take(10))).toEqual(['A:gap 1..2 (2)', 'A#3', 'A#4']);
  });

  it('a gap entry that fails goes back as a gap, and later drops of its market merge into it', () => {
    const q = queue(2);
    for (let seq = 1; seq <= 4; seq += 1) q.push(journal('A', seq));
    const inFlight = q.take(1); // the gap entry for 1..2
    expect(sent(...inFlight)).toEqual(['A:gap 1..2 (2)']);
    q.requeue(inFlight);
    q.push(journal('A', 5));
    expect(q.journalSize).toBe(2);
    expect(sent(...q.take(10))).toEqual(['A:gap 1..3 (3)', 'A#4', 'A#5']);
  });

  it('refuses a capacity below one', () => {
    expect(() => queue(0)).toThrow('write queue capacity must be >= 1, got 0');
  });
});
