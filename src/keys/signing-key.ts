// The daemon's signing key from its source (config/secret.ts): FLASHMM_MNEMONIC (tests, local
// chains) or an encrypted keystore and its password. The phrase goes straight into the core
// signer and its bytes are wiped; only the signer (public key, address) comes back.
import type { SigningKeySource } from '../config/secret.js';
import { CoreDirectSigner } from '../venues/sei/signer.js';
import { decryptMnemonic, KeystoreError, readKeystore } from './keystore.js';

export async function loadSigner(source: SigningKeySource, hdPath?: string): Promise<CoreDirectSigner> {
  const options = hdPath === undefined ? {} : { hdPath };
  if (source.kind === 'mnemonic') return CoreDirectSigner.fromMnemonic(Buffer.from(source.mnemonic.reveal()), options);
  const file = readKeystore(source.path);
  const signer = CoreDirectSigner.fromMnemonic(await decryptMnemonic(file, source.password), options);
  if (signer.address !== file.address) {
    throw new KeystoreError(`keystore '${file.name}' says ${file.address} but holds the key of ${signer.address}`, 'KEYSTORE_FORMAT');
  }
  return signer;
}
