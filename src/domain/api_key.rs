//! API keys: `atmp_`, 30 random base58 characters, and 6 base58 characters of checksum, 41
//! characters in all, in the style of GitHub's tokens. The checksum is the CRC32 of the text
//! before it (`atmp_` and the 30 random characters), a big-endian `u32` written in base58
//! (Bitcoin's alphabet) and padded on the left with `1` (base58's zero) to 6 characters. A
//! secret scanner finds leaked keys by the prefix and confirms them by the checksum, and a
//! mistyped key is refused without a database lookup. A key is stored only as the SHA-256 of
//! its whole text: a random 30-character secret (about 175 bits) needs no slow hash.

use std::fmt;

use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// What every key starts with.
pub const PREFIX: &str = "atmp_";

/// Random base58 characters after the prefix.
const RANDOM_CHARS: usize = 30;

/// Base58 characters of checksum at the end.
const CHECKSUM_CHARS: usize = 6;

/// Characters of a whole key.
pub const KEY_CHARS: usize = PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;

/// Bitcoin's base58 alphabet: no `0`, `O`, `I` or `l`.
const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A well-formed API key, its checksum verified. Its `Debug` shows no secret, so that a key
/// cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why a text is not an API key. The messages never repeat the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedKey {
    /// The text does not start with the prefix.
    #[error("it does not start with `atmp_`")]
    Prefix,
    /// The text is too short or too long.
    #[error("it must be {KEY_CHARS} characters long")]
    Length,
    /// A character is not in the base58 alphabet.
    #[error("it holds a character that is not base58")]
    Alphabet,
    /// The last characters are not the checksum of the rest: a typo, or a made-up key.
    #[error("its checksum does not match (a mistyped key?)")]
    Checksum,
}

/// The operating system gave no random bytes to make a key with.
#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no random bytes: {0}")]
pub struct NoRandomness(String);

impl ApiKey {
    /// A new key, its random part from the operating system's generator.
    pub fn generate() -> Result<ApiKey, NoRandomness> {
        let mut random = String::with_capacity(RANDOM_CHARS);
        let mut bytes = [0u8; 64];
        while random.len() < RANDOM_CHARS {
            fill_random(&mut bytes)?;
            // Rejection sampling keeps every character equally likely: 232 is 4 × 58.
            for byte in bytes.iter().filter(|byte| **byte < 232) {
                if random.len() == RANDOM_CHARS {
                    break;
                }
                if let Some(c) = ALPHABET.get(usize::from(byte % 58)) {
                    random.push(char::from(*c));
                }
            }
        }
        let body = format!("{PREFIX}{random}");
        let checksum = checksum(&body);
        Ok(ApiKey(format!("{body}{checksum}")))
    }

    /// Checks the text's prefix, length, alphabet and checksum, in that order.
    pub fn parse(text: &str) -> Result<ApiKey, MalformedKey> {
        let Some(rest) = text.strip_prefix(PREFIX) else {
            return Err(MalformedKey::Prefix);
        };
        if text.len() != KEY_CHARS {
            return Err(MalformedKey::Length);
        }
        if !rest.bytes().all(|byte| ALPHABET.contains(&byte)) {
            return Err(MalformedKey::Alphabet);
        }
        // ASCII only from here, so the split falls between characters.
        let (body, given) = text.split_at(KEY_CHARS - CHECKSUM_CHARS);
        if checksum(body) != given {
            return Err(MalformedKey::Checksum);
        }
        Ok(ApiKey(text.to_owned()))
    }

    /// The whole key, to show once to whoever created it.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The hex SHA-256 of the whole key: how the database holds it.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<secret>)")
    }
}

/// A random (version 4) UUID from the operating system's generator, for a new key's ID.
pub fn random_uuid() -> Result<uuid::Uuid, NoRandomness> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes)?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// Fills `bytes` from the operating system's generator.
fn fill_random(bytes: &mut [u8]) -> Result<(), NoRandomness> {
    OsRng
        .try_fill_bytes(bytes)
        .map_err(|error| NoRandomness(error.to_string()))
}

/// The lowercase hex SHA-256 of `text`: a key's at rest, an operation's in the read log.
pub fn sha256_hex(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(text.as_bytes()) {
        for nibble in [byte >> 4, byte & 0x0f] {
            if let Some(digit) = HEX.get(usize::from(nibble)) {
                hex.push(char::from(*digit));
            }
        }
    }
    hex
}

/// The checksum of `body`: its CRC32, big-endian, in base58, padded with `1` to 6 characters.
fn checksum(body: &str) -> String {
    let crc = crc32fast::hash(body.as_bytes());
    // Base58 writes each leading zero byte as `1`, base58's zero digit, so the padded text is
    // the number itself in 6 base58 digits (58^6 is above u32::MAX).
    let encoded = bs58::encode(crc.to_be_bytes()).into_string();
    format!("{encoded:1>CHECKSUM_CHARS$}")
}

#[cfg(test)]
// The tests cut keys they made, all ASCII.
#[allow(clippy::string_slice)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_has_the_documented_shape_and_parses() {
        let key = ApiKey::generate().unwrap();
        let secret = key.secret();
        assert_eq!(secret.len(), KEY_CHARS);
        assert_eq!(KEY_CHARS, 41);
        assert!(secret.starts_with("atmp_"));
        assert_eq!(ApiKey::parse(secret), Ok(key.clone()));
        assert_ne!(ApiKey::generate().unwrap(), key);
    }

    #[test]
    fn the_checksum_is_the_crc32_of_the_rest_in_six_base58_digits() {
        // CRC32 of `atmp_` + 30 `1`s, computed independently, in base58 digits.
        let body = format!("atmp_{}", "1".repeat(30));
        let crc = crc32fast::hash(body.as_bytes());
        let mut digits = Vec::new();
        let mut n = u64::from(crc);
        for _ in 0..6 {
            digits.push(ALPHABET[(n % 58) as usize]);
            n /= 58;
        }
        digits.reverse();
        assert_eq!(checksum(&body), String::from_utf8(digits).unwrap());
        // Small numbers are padded with base58's zero.
        assert_eq!(
            format!("{:1>6}", bs58::encode([0u8, 0, 0, 1]).into_string()),
            "111112"
        );
    }

    #[test]
    fn malformed_keys_are_refused_for_their_first_fault() {
        let key = ApiKey::generate().unwrap();
        let secret = key.secret();
        let last = secret.chars().last().unwrap();
        let typo = format!(
            "{}{}",
            &secret[..KEY_CHARS - 1],
            if last == 'z' { 'y' } else { 'z' }
        );
        let swapped_case = secret.replacen("atmp_", "ATMP_", 1);
        let with_zero = format!("{}0{}", &secret[..10], &secret[11..]);
        for (text, fault, what) in [
            ("", MalformedKey::Prefix, "empty"),
            ("Bearer xyz", MalformedKey::Prefix, "not a key"),
            (
                swapped_case.as_str(),
                MalformedKey::Prefix,
                "upper-case prefix",
            ),
            ("atmp_abc", MalformedKey::Length, "too short"),
            (&format!("{secret}1"), MalformedKey::Length, "too long"),
            (with_zero.as_str(), MalformedKey::Alphabet, "a zero"),
            (
                &format!("{}é", &secret[..KEY_CHARS - 2]),
                MalformedKey::Alphabet,
                "not ASCII",
            ),
            (
                typo.as_str(),
                MalformedKey::Checksum,
                "a typo in the checksum",
            ),
        ] {
            assert_eq!(ApiKey::parse(text), Err(fault), "{what}");
        }
    }

    #[test]
    fn a_typo_in_the_random_part_breaks_the_checksum() {
        let secret = ApiKey::generate().unwrap().secret().to_owned();
        let mut bytes = secret.into_bytes();
        bytes[7] = if bytes[7] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert_eq!(ApiKey::parse(&typo), Err(MalformedKey::Checksum));
    }

    #[test]
    fn the_hash_is_the_hex_sha256_of_the_whole_key() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = ApiKey::generate().unwrap();
        assert_eq!(key.hash(), sha256_hex(key.secret()));
        assert!(!format!("{key:?}").contains(key.secret()));
    }
}
