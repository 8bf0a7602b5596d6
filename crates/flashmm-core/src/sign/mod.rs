//! secp256k1 signing for Cosmos transactions (Sei): a key derived from a BIP-39 mnemonic along a
//! BIP-32 path, ECDSA over SHA-256 of the sign bytes with RFC 6979 deterministic nonces and low-S
//! signatures, as the Cosmos SDK verifies them. cosmjs builds and encodes the transaction; only
//! the signature is computed here, because cosmjs's pure-JS secp256k1 costs ~2 ms per signature.
//!
//! Key material never leaves this module: there is no accessor for the private key, `Debug`
//! prints the public key only, and every intermediate secret (mnemonic, seed, extended keys) is
//! zeroized when dropped.

use std::fmt;

use bip32::{DerivationPath, XPrv};
use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// The Cosmos SDK's default HD path (coin type 118), which Sei uses.
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The words are never echoed: the message says what is wrong, not what was given.
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    #[error("invalid HD path '{0}' (expected e.g. {COSMOS_HD_PATH})")]
    Path(String),
    #[error("key derivation failed: {0}")]
    Derivation(String),
}

/// A secp256k1 signing key, held only in the core.
pub struct Secp256k1Key {
    key: SigningKey,
    public: [u8; 33],
}

impl Secp256k1Key {
    /// Derives the key of `mnemonic` (English BIP-39, empty passphrase) at `path`.
    pub fn from_mnemonic(mnemonic: &str, path: &str) -> Result<Self, SignError> {
        let words =
            bip39::Mnemonic::parse_normalized(mnemonic.trim()).map_err(|e| SignError::Mnemonic(mnemonic_error(&e)))?;
        let seed = Zeroizing::new(words.to_seed_normalized(""));
        drop(words); // zeroized on drop (bip39's `zeroize` feature)
        let path: DerivationPath = path.parse().map_err(|_| SignError::Path(path.to_owned()))?;
        let xprv = XPrv::derive_from_path(seed.as_ref(), &path).map_err(|e| SignError::Derivation(e.to_string()))?;
        Ok(Self::from_signing_key(xprv.private_key().clone()))
    }

    fn from_signing_key(key: SigningKey) -> Self {
        let point = key.verifying_key().to_sec1_point(true);
        let mut public = [0u8; 33];
        public.copy_from_slice(point.as_bytes());
        Self { key, public }
    }

    /// The compressed SEC1 public key (33 bytes), as Cosmos accounts carry it.
    pub fn public_key(&self) -> &[u8; 33] {
        &self.public
    }

    /// `r ‖ s` (64 bytes) over SHA-256 of `sign_bytes`: RFC 6979 nonce, S normalised low.
    pub fn sign(&self, sign_bytes: &[u8]) -> [u8; 64] {
        let signature: Signature = self.key.sign(sign_bytes);
        let signature = signature.normalize_s();
        let mut out = [0u8; 64];
        out.copy_from_slice(&signature.to_bytes());
        out
    }
}

impl fmt::Debug for Secp256k1Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.public.iter().map(|b| format!("{b:02x}")).collect();
        f.debug_struct("Secp256k1Key").field("public_key", &hex).finish_non_exhaustive()
    }
}

/// Whether `signature` (`r ‖ s`) is a valid low-S signature of `sign_bytes` by `public_key`.
pub fn verify(public_key: &[u8], sign_bytes: &[u8], signature: &[u8]) -> bool {
    let (Ok(key), Ok(sig)) = (VerifyingKey::from_sec1_bytes(public_key), Signature::from_slice(signature)) else {
        return false;
    };
    sig.normalize_s() == sig && key.verify(sign_bytes, &sig).is_ok()
}

/// bip39's errors name the offending word; ours must not.
fn mnemonic_error(e: &bip39::Error) -> String {
    match e {
        bip39::Error::BadWordCount(n) => format!("{n} words (expected 12, 15, 18, 21 or 24)"),
        bip39::Error::UnknownWord(i) => format!("word {} is not in the English BIP-39 list", i + 1),
        bip39::Error::InvalidChecksum => "checksum mismatch (a word is wrong or out of order)".to_owned(),
        _ => "not a BIP-39 mnemonic".to_owned(),
    }
}
