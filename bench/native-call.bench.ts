// Baseline cost of one N-API call from JS (returns a short string): the floor under every
// per-call binding. The order-book benches (issue 2) sit beside this file.
import { bench, describe } from 'vitest';
import { coreVersion } from '../src/native.js';

describe('N-API call overhead', () => {
  bench('coreVersion() (one call, string result)', () => {
    coreVersion();
  });
});
