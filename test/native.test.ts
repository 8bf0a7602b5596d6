import { describe, expect, it } from 'vitest';
import { coreVersion } from '../src/native.js';
import { crateVersion } from './helpers/cargo.js';

describe('native addon (@flashmm/core)', () => {
  it('reports the version of the flashmm-core crate it was built from', () => {
    const expected = crateVersion('crates/flashmm-core');
    expect(expected).toMatch(/^\d+\.\d+\.\d+/);
    expect(coreVersion()).toBe(expected);
  });
});
