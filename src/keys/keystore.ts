// An encrypted keystore file for one mnemonic: scrypt stretches the password into a key, and
// AES-256-GCM encrypts the mnemonic with it (both from Node's crypto, i.e. OpenSSL). The file's
// public fields (name, address, KDF parameters) are bound in as additional authenticated data, so
// an edited file fails to decrypt instead of lying about whose key it holds. Decryption yields a
// Buffer the caller wipes once the core has the key; nothing here logs or throws the secret.
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Secret } from '../config/secret.js';

/** scrypt cost: N = 2^17, r = 8, p = 1 (~0.3 s and 128 MiB here), the usual interactive setting. */
export const DEFAULT_KDF = { n: 2 ** 17, r: 8, p: 1 } as const;

const b64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

const keystoreSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  address: z.string().min(1),
  createdAt: z.string(),
  kdf: z.strictObject({ name: z.literal('scrypt'), n: z.number().int().positive(), r: z.number().int().positive(), p: z.number().int().positive(), salt: b64 }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), iv: b64, tag: b64 }),
  ciphertext: b64,
});

export type KeystoreFile = z.output<typeof keystoreSchema>;

export class KeystoreError extends Error {
  override readonly name = 'KeystoreError';
  constructor(
    message: string,
    readonly code: 'KEYSTORE_FORMAT' | 'KEYSTORE_DECRYPT' | 'KEYSTORE_EXISTS' | 'KEYSTORE_MISSING',
  ) {
    super(message);
  }
}

function scrypt(password: string, salt: Buffer, kdf: { n: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: kdf.n, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.n * kdf.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password, salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** The public fields, in a fixed order, authenticated with the ciphertext. */
function associatedData(f: Pick<KeystoreFile, 'version' | 'name' | 'address' | 'kdf'>): Buffer {
  return Buffer.from(JSON.stringify([f.version, f.name, f.address, f.kdf.name, f.kdf.n, f.kdf.r, f.kdf.p, f.kdf.salt]));
}

export async function encryptMnemonic(
  mnemonic: Uint8Array,
  password: Secret,
  meta: { name: string; address: string },
  kdf: { n: number; r: number; p: number } = DEFAULT_KDF,
): Promise<KeystoreFile> {
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const key = await scrypt(password.reveal(), salt, kdf);
  const head = { version: 1 as const, ...meta, kdf: { name: 'scrypt' as const, ...kdf, salt: salt.toString('base64') } };
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(associatedData(head));
  const ciphertext = Buffer.concat([cipher.update(mnemonic), cipher.final()]);
  key.fill(0);
  return {
    ...head, createdAt: new Date().toISOString(),
    cipher: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
    ciphertext: ciphertext.toString('base64'),
  };
}

/** The mnemonic as UTF-8 bytes; wipe them (`fill(0)`) once used. */
export async function decryptMnemonic(file: KeystoreFile, password: Secret): Promise<Buffer> {
  const key = await scrypt(password.reveal(), Buffer.from(file.kdf.salt, 'base64'), file.kdf);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.iv, 'base64')).setAAD(associatedData(file));
    decipher.setAuthTag(Buffer.from(file.cipher.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new KeystoreError(`keystore '${file.name}': wrong password, or the file was modified`, 'KEYSTORE_DECRYPT');
  } finally {
    key.fill(0);
  }
}

export function readKeystore(path: string): KeystoreFile {
  if (!existsSync(path)) throw new KeystoreError(`no keystore at ${path}`, 'KEYSTORE_MISSING');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new KeystoreError(`${path} is not a keystore file (not JSON)`, 'KEYSTORE_FORMAT');
  }
  const parsed = keystoreSchema.safeParse(json);
  if (!parsed.success) throw new KeystoreError(`${path} is not a FlashMM keystore file (version 1)`, 'KEYSTORE_FORMAT');
  return parsed.data;
}

/** Writes owner-only (0600), atomically; refuses to replace an existing file. */
export function writeKeystore(path: string, file: KeystoreFile): void {
  if (existsSync(path)) throw new KeystoreError(`${path} exists: delete it first (flashmm keys delete)`, 'KEYSTORE_EXISTS');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}
