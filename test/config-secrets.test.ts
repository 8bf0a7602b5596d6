import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { isSecretKey, loadSecrets, Secret, SecretsError } from '../src/config/secret.js';

const MNEMONIC = 'abandon ability able about above absent absorb abstract absurd abuse access accident';

describe('Secret', () => {
  const secret = new Secret(MNEMONIC);

  test('never serialises its value', () => {
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect(secret)).toBe('[redacted]');
    expect(inspect({ nested: { secret } }, { depth: 5 })).not.toContain('abandon');
    expect(`${secret}`).toBe('[redacted]');
    expect(String(secret)).toBe('[redacted]');
    expect('x' + secret).toBe('x[redacted]');
    expect(Object.keys(secret)).toEqual([]);
  });

  test('reveal() returns the value', () => {
    expect(secret.reveal()).toBe(MNEMONIC);
  });
});

describe('secret key names', () => {
  test.each(['mnemonic', 'privateKey', 'private_key', 'password', 'apiKey', 'API_KEY', 'token', 'apiToken', 'influxToken', 'clientSecret'])(
    '%s is a secret',
    (key) => expect(isSecretKey(key)).toBe(true),
  );
  test.each(['seed', 'tokenBucket', 'maxNotional', 'rpcUrl', 'symbol'])('%s is not', (key) => expect(isSecretKey(key)).toBe(false));
});

describe('loadSecrets', () => {
  test('reads only the environment and wraps every value', () => {
    const secrets = loadSecrets({ FLASHMM_MNEMONIC: MNEMONIC, FLASHMM_INFLUX_TOKEN: 'influx-t', FLASHMM_API_TOKEN: 'api-t' });
    expect(secrets.signingKey?.kind).toBe('mnemonic');
    expect(secrets.influxToken?.reveal()).toBe('influx-t');
    expect(JSON.stringify(secrets)).not.toMatch(/abandon|influx-t|api-t/);
  });

  test('a keystore needs its password; errors name variables, never values', () => {
    expect(() => loadSecrets({ FLASHMM_KEYSTORE_PATH: '/k.json' })).toThrow(SecretsError);
    const ks = loadSecrets({ FLASHMM_KEYSTORE_PATH: '/k.json', FLASHMM_KEYSTORE_PASSWORD: 'pw-value' });
    expect(ks.signingKey).toMatchObject({ kind: 'keystore', path: '/k.json' });
    const bad = () => loadSecrets({ FLASHMM_MNEMONIC: 'only three words' });
    expect(bad).toThrow(/FLASHMM_MNEMONIC: expected 12, 15, 18, 21 or 24 words, got 3/);
    expect(bad).not.toThrow(/only three/);
  });

  test('no secrets is valid (the simulated venue needs none)', () => {
    expect(loadSecrets({})).toEqual({});
  });
});
