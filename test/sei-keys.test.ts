// The keystore and `flashmm keys`: the mnemonic round-trips through scrypt + AES-256-GCM, a wrong
// password or an edited file is refused with an error that names no secret, the daemon's signer
// loads from either source, and the CLI never prints the mnemonic or the password.
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { Secret } from '../src/config/secret.js';
import { decryptMnemonic, encryptMnemonic, readKeystore, writeKeystore } from '../src/keys/keystore.js';
import { loadSigner } from '../src/keys/signing-key.js';
import { repoRoot } from './helpers/cargo.js';
import { removeDir, scratchDir } from './helpers/servers.js';

// Publicly known test mnemonics (accounts a and b of shared/sei/localnet.sh).
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const ADDRESS = 'sei19rl4cm2hmr8afy4kldpxz3fka4jguq0a3vute5';
const MNEMONIC_B = 'test test test test test test test test test test test junk';
const ADDRESS_B = 'sei15yk64u7zc9g9k2yr2wmzeva5qgwxps6yt77ell';
const PASSWORD = 'correct horse battery';
const FAST_KDF = { n: 2 ** 10, r: 8, p: 1 }; // tests only: the default is 2^17

const dir = scratchDir('keys');
afterAll(() => removeDir(dir));

describe('keystore', () => {
  test('round-trips the mnemonic and refuses a wrong password or an edited file', async () => {
    const file = await encryptMnemonic(Buffer.from(MNEMONIC), new Secret(PASSWORD), { name: 'a', address: ADDRESS }, FAST_KDF);
    expect(JSON.stringify(file)).not.toContain('abandon');
    const path = join(dir, 'a.json');
    writeKeystore(path, file);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => writeKeystore(path, file)).toThrow(/exists/);
    const back = readKeystore(path);
    expect((await decryptMnemonic(back, new Secret(PASSWORD))).toString()).toBe(MNEMONIC);
    const wrong = await decryptMnemonic(back, new Secret('not the password')).catch((e: Error) => e);
    expect(wrong).toMatchObject({ code: 'KEYSTORE_DECRYPT', message: "keystore 'a': wrong password, or the file was modified" });
    // An edited address is caught by the authentication tag, not believed.
    const edited = { ...back, address: ADDRESS_B };
    await expect(decryptMnemonic(edited, new Secret(PASSWORD))).rejects.toMatchObject({ code: 'KEYSTORE_DECRYPT' });
    writeFileSync(join(dir, 'bad.json'), '{"version":1}');
    expect(() => readKeystore(join(dir, 'bad.json'))).toThrow(/not a FlashMM keystore file/);
  });

  test('the signer loads from a keystore or from FLASHMM_MNEMONIC to the same address', async () => {
    const path = join(dir, 'b.json');
    writeKeystore(path, await encryptMnemonic(Buffer.from(MNEMONIC_B), new Secret(PASSWORD), { name: 'b', address: ADDRESS_B }, FAST_KDF));
    const fromFile = await loadSigner({ kind: 'keystore', path, password: new Secret(PASSWORD) });
    const fromEnv = await loadSigner({ kind: 'mnemonic', mnemonic: new Secret(MNEMONIC_B) });
    expect(fromFile.address).toBe(ADDRESS_B);
    expect(fromEnv.address).toBe(ADDRESS_B);
    expect(fromFile.signBytes(Buffer.from('x'))).toEqual(fromEnv.signBytes(Buffer.from('x')));
  });
});

describe('flashmm keys', () => {
  const run = promisify(execFile);
  const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
  const keysDir = join(dir, 'cli');
  const flashmm = (env: Record<string, string>, ...args: string[]) =>
    run(process.execPath, [cli, 'keys', ...args, '--dir', keysDir], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 20_000 })
      .then((r) => ({ ...r, code: 0 }))
      .catch((e: { stdout: string; stderr: string; code: number }) => e);
  const secretsIn = (out: { stdout: string; stderr: string }) => [MNEMONIC, PASSWORD, 'abandon'].filter((s) => (out.stdout + out.stderr).includes(s));

  test('import, show, list and delete; no secret is ever printed', async () => {
    const env = { FLASHMM_MNEMONIC: MNEMONIC, FLASHMM_KEYSTORE_PASSWORD: PASSWORD };
    const imported = await flashmm(env, 'import', 'maker');
    expect(imported).toMatchObject({ code: 0, stdout: `maker\t${ADDRESS}\t${join(keysDir, 'maker.json')}\n` });
    expect(secretsIn(imported)).toEqual([]);
    expect(readFileSync(join(keysDir, 'maker.json'), 'utf8')).not.toContain('abandon');
    const shown = await flashmm({ FLASHMM_KEYSTORE_PASSWORD: PASSWORD }, 'show', 'maker', '--verify');
    expect(shown).toMatchObject({ code: 0, stdout: `maker\t${ADDRESS}\t${join(keysDir, 'maker.json')}\n` });
    const wrong = await flashmm({ FLASHMM_KEYSTORE_PASSWORD: 'wrong password!' }, 'show', 'maker', '--verify');
    expect(wrong).toMatchObject({ code: 1, stderr: "flashmm keys: keystore 'maker': wrong password, or the file was modified\n" });
    expect(secretsIn(wrong)).toEqual([]);
    const added = await flashmm({ FLASHMM_KEYSTORE_PASSWORD: PASSWORD }, 'add', 'fresh');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^fresh\tsei1[02-9ac-hj-np-z]{38}\t/);
    expect(added.stderr).toBe('');
    expect((await flashmm({}, 'list')).stdout).toBe(`fresh\t${added.stdout.split('\t')[1]}\nmaker\t${ADDRESS}\n`);
    expect(await flashmm({}, 'delete', 'maker')).toMatchObject({ code: 1, stderr: expect.stringContaining('needs --yes') });
    expect(await flashmm({}, 'delete', 'maker', '--yes')).toMatchObject({ code: 0, stdout: `deleted maker\t${ADDRESS}\n` });
    expect((await flashmm({}, 'list')).stdout).not.toContain('maker');
    // No terminal and no password in the environment: a clear refusal.
    expect(await flashmm({ FLASHMM_MNEMONIC: MNEMONIC }, 'import', 'x')).toMatchObject({ code: 1, stderr: expect.stringContaining('set FLASHMM_KEYSTORE_PASSWORD') });
  });
});
