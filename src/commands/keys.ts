// `flashmm keys add|import|show|list|delete`: the encrypted keystore of the Sei signing key. A
// keystore lives in the keys directory (--dir, FLASHMM_KEYS_DIR, or ~/.flashmm/keys) as
// <name>.json; the daemon uses one through FLASHMM_KEYSTORE_PATH + FLASHMM_KEYSTORE_PASSWORD.
// The mnemonic is never printed, except once by `add --show-mnemonic` for a paper backup.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Bip39, Random } from '@cosmjs/crypto';
import type { Command } from 'commander';
import { SECRET_ENV } from '../config/secret.js';
import { encryptMnemonic, readKeystore, writeKeystore, decryptMnemonic } from '../keys/keystore.js';
import { keystorePassword, prompt } from '../keys/password.js';
import { CoreDirectSigner } from '../venues/sei/signer.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

interface DirOption {
  readonly dir?: string;
}

function keysDir(options: DirOption): string {
  return options.dir ?? process.env['FLASHMM_KEYS_DIR'] ?? join(homedir(), '.flashmm', 'keys');
}

function keyPath(name: string, options: DirOption): string {
  if (!NAME.test(name)) throw new Error(`key name '${name}' must be letters, digits, '-' or '_' (at most 64)`);
  return join(keysDir(options), `${name}.json`);
}

/** Encrypts `mnemonic` (wiped afterwards) into <dir>/<name>.json; returns the address. */
async function store(name: string, mnemonic: Buffer, options: DirOption): Promise<{ address: string; path: string }> {
  const path = keyPath(name, options);
  const { address } = CoreDirectSigner.fromMnemonic(Buffer.from(mnemonic)); // validates; wipes its copy
  try {
    const password = await keystorePassword(process.env, { confirm: true });
    mkdirSync(keysDir(options), { recursive: true, mode: 0o700 });
    writeKeystore(path, await encryptMnemonic(mnemonic, password, { name, address }));
  } finally {
    mnemonic.fill(0);
  }
  return { address, path };
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    console.error(`flashmm keys: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage the encrypted keystore of the Sei signing key');
  const dir = ['--dir <path>', 'keys directory (default $FLASHMM_KEYS_DIR or ~/.flashmm/keys)'] as const;

  keys
    .command('add <name>')
    .description('create a new key (24-word mnemonic) in an encrypted keystore')
    .option(...dir)
    .option('--show-mnemonic', 'print the new mnemonic once, for a paper backup')
    .action((name: string, options: DirOption & { showMnemonic?: boolean }) =>
      run(async () => {
        const words = Bip39.encode(Random.getBytes(32)).toString();
        const { address, path } = await store(name, Buffer.from(words), options);
        console.log(`${name}\t${address}\t${path}`);
        if (options.showMnemonic === true) console.error(`mnemonic (write it down, keep it offline; it is shown only now):\n${words}`);
      }),
    );

  keys
    .command('import <name>')
    .description(`import a mnemonic (from ${SECRET_ENV.mnemonic} or typed, hidden) into an encrypted keystore`)
    .option(...dir)
    .action((name: string, options: DirOption) =>
      run(async () => {
        const fromEnv = process.env[SECRET_ENV.mnemonic];
        const phrase = fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : await prompt('Mnemonic: ');
        const { address, path } = await store(name, Buffer.from(phrase.trim().split(/\s+/).join(' ')), options);
        console.log(`${name}\t${address}\t${path}`);
      }),
    );

  keys
    .command('show <name>')
    .description('print the address of a key (--verify: also check the password against the file)')
    .option(...dir)
    .option('--verify', 'decrypt the keystore to check the password and the address')
    .action((name: string, options: DirOption & { verify?: boolean }) =>
      run(async () => {
        const path = keyPath(name, options);
        const file = readKeystore(path);
        if (options.verify === true) {
          const signer = CoreDirectSigner.fromMnemonic(await decryptMnemonic(file, await keystorePassword(process.env, { confirm: false })));
          if (signer.address !== file.address) throw new Error(`keystore says ${file.address} but holds the key of ${signer.address}`);
        }
        console.log(`${file.name}\t${file.address}\t${path}`);
      }),
    );

  keys
    .command('list')
    .description('list the keys in the keys directory')
    .option(...dir)
    .action((options: DirOption) =>
      run(async () => {
        let names: string[] = [];
        try {
          names = readdirSync(keysDir(options)).filter((f) => f.endsWith('.json')).sort();
        } catch {
          return; // no directory: no keys
        }
        for (const f of names) {
          const file = readKeystore(join(keysDir(options), f));
          console.log(`${file.name}\t${file.address}`);
        }
      }),
    );

  keys
    .command('delete <name>')
    .description('delete a keystore file (the key is gone unless you have its mnemonic)')
    .option(...dir)
    .option('--yes', 'confirm the deletion')
    .action((name: string, options: DirOption & { yes?: boolean }) =>
      run(async () => {
        const path = keyPath(name, options);
        const file = readKeystore(path);
        if (options.yes !== true) throw new Error(`deleting '${name}' (${file.address}) needs --yes`);
        rmSync(path);
        console.log(`deleted ${name}\t${file.address}`);
      }),
    );
}
