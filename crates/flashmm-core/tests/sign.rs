//! The core's secp256k1 signer against known answers: the public key of a fixed test mnemonic and
//! a signature cosmjs 0.39 (`DirectSecp256k1HdWallet.signDirect`) made of the same sign bytes.

use flashmm_core::sign::{COSMOS_HD_PATH, Secp256k1Key, SignError, verify};

/// Publicly known test mnemonic (account `a` of shared/sei/localnet.sh): never fund it.
const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/// Its key at m/44'/118'/0'/0/0, as cosmjs derives it (address sei19rl4cm2hmr8afy4kldpxz3fka4jguq0a3vute5).
const PUBLIC_KEY: &str = "024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62";
/// SignDoc{bodyBytes [1,2,3], authInfoBytes [4,5], chainId "sei-local", accountNumber 7}, encoded.
const SIGN_BYTES: &str = "0a03010203120204051a097365692d6c6f63616c2007";
/// cosmjs's signature of SIGN_BYTES with this key.
const COSMJS_SIGNATURE: &str = "ba12d45b8bb99d29d84d8b3342ee7f6781b91540991dadca1e8b63f952fe7e9b68009217eebb8336088d1d5b976cc1f696ffcc9adf8dba2c1a92edaee4d96e8a";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn derives_the_cosmos_key_of_a_mnemonic() {
    let key = Secp256k1Key::from_mnemonic(MNEMONIC, COSMOS_HD_PATH).unwrap();
    assert_eq!(hex(key.public_key()), PUBLIC_KEY);
    // Surrounding whitespace is not part of the phrase.
    let padded = Secp256k1Key::from_mnemonic(&format!("  {MNEMONIC}\n"), COSMOS_HD_PATH).unwrap();
    assert_eq!(padded.public_key(), key.public_key());
}

#[test]
fn signature_equals_cosmjs_and_verifies() {
    let key = Secp256k1Key::from_mnemonic(MNEMONIC, COSMOS_HD_PATH).unwrap();
    let bytes = unhex(SIGN_BYTES);
    let signature = key.sign(&bytes);
    assert_eq!(hex(&signature), COSMJS_SIGNATURE);
    assert_eq!(key.sign(&bytes), signature, "RFC 6979: the same bytes give the same signature");
    assert!(verify(key.public_key(), &bytes, &signature));
    let mut other = bytes.clone();
    other[0] ^= 1;
    assert!(!verify(key.public_key(), &other, &signature));
}

#[test]
fn signatures_are_low_s() {
    // n/2 of secp256k1: a valid Cosmos signature has s <= n/2.
    let half_n = unhex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
    let key = Secp256k1Key::from_mnemonic(MNEMONIC, COSMOS_HD_PATH).unwrap();
    for i in 0u32..64 {
        let signature = key.sign(&i.to_le_bytes());
        assert!(signature[32..] <= half_n[..], "high S for message {i}");
    }
    // The high-S twin of a valid signature is refused.
    let signature = key.sign(b"x");
    let n = unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    let mut high = signature;
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(n[i]) - i16::from(signature[32 + i]) - borrow;
        high[32 + i] = d.rem_euclid(256) as u8;
        borrow = i16::from(d < 0);
    }
    assert!(!verify(key.public_key(), b"x", &high));
}

#[test]
fn errors_never_echo_the_words() {
    let wrong = MNEMONIC.replace("about", "abandon");
    let e = Secp256k1Key::from_mnemonic(&wrong, COSMOS_HD_PATH).unwrap_err();
    assert!(matches!(e, SignError::Mnemonic(_)));
    assert!(!e.to_string().contains("abandon"), "{e}");
    let typo = MNEMONIC.replacen("abandon", "abandom", 1);
    let e = Secp256k1Key::from_mnemonic(&typo, COSMOS_HD_PATH).unwrap_err();
    assert_eq!(e.to_string(), "invalid mnemonic: word 1 is not in the English BIP-39 list");
    assert!(!e.to_string().contains("abandom"));
    let short = Secp256k1Key::from_mnemonic("abandon about", COSMOS_HD_PATH).unwrap_err();
    assert!(short.to_string().contains("2 words"), "{short}");
    assert!(matches!(Secp256k1Key::from_mnemonic(MNEMONIC, "m/44'/x"), Err(SignError::Path(_))));
    let key = Secp256k1Key::from_mnemonic(MNEMONIC, COSMOS_HD_PATH).unwrap();
    assert_eq!(format!("{key:?}"), format!("Secp256k1Key {{ public_key: \"{PUBLIC_KEY}\", .. }}"));
}
