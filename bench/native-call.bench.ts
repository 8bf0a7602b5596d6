// What one N-API call costs from JS: the floor under every per-call binding. The book
// here has two levels, so the Rust work per call is a few nanoseconds and the rest is
// boundary overhead (argument conversion, `this` unwrapping, result conversion).
import { bench, describe } from 'vitest';
import { OrderBook, coreVersion } from '../src/native.js';

const book = new OrderBook('none');
book.setLevel('buy', 100, 1);
book.setLevel('sell', 101, 1);
let size = 1;

describe('N-API call overhead', () => {
  bench('coreVersion() (no arguments, string result)', () => {
    coreVersion();
  });

  bench('OrderBook.setLevel(side, price, size) on a 2-level book', () => {
    size = (size % 7) + 1;
    book.setLevel('buy', 100, size);
  });

  bench('OrderBook.spread() (number result)', () => {
    book.spread();
  });

  bench('OrderBook.bestBid() (object result)', () => {
    book.bestBid();
  });
});
