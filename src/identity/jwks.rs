//! The identity provider's signing keys: its JSON Web Key Set, read from a file or fetched
//! from a URL, kept in memory, read again when its lifetime ends (by the provider's background
//! task) and when a token names a key it does not hold (a rotation), at most once per
//! `refetch_interval`, so that tokens naming made-up keys cannot make the service hammer the
//! provider. Every read is bounded by a short timeout. While the set cannot be had, the keys
//! last read are kept: tokens they verify go on being accepted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use crate::config::shown_url;

/// The largest key set read: a provider's is a few kilobytes.
const MAX_BYTES: usize = 1024 * 1024;

/// The smallest RSA key trusted, in bits: shorter ones can be factored.
const MIN_RSA_BITS: usize = 2048;

/// The algorithms a key may verify: asymmetric ones only. A token signed with a shared secret
/// (`HS…`) could be forged by anyone who holds the secret, and `none` is no signature.
pub(crate) const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Where the identity provider publishes its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksLocation {
    /// A file, read again as a URL is fetched again.
    File(PathBuf),
    /// An `https://` URL (`http://` only on this machine: the keys decide who signs in).
    Url(url::Url),
}

impl JwksLocation {
    /// The location a setting names: an `http(s)://` URL, or else a file path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("`jwt-jwks` must name a file or an `https://` URL".to_owned());
        }
        let Some((scheme, _)) = text.split_once("://") else {
            return Ok(JwksLocation::File(PathBuf::from(text)));
        };
        let url = url::Url::parse(text)
            .map_err(|error| format!("`jwt-jwks` is not a valid URL ({error})"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(domain)) => domain == "localhost",
            Some(url::Host::Ipv4(address)) => address.is_loopback(),
            Some(url::Host::Ipv6(address)) => address.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(JwksLocation::Url(url)),
            "http" if loopback => Ok(JwksLocation::Url(url)),
            "http" => Err(
                "`jwt-jwks` must be an `https://` URL: over plain `http://` (allowed only to \
                 this machine) anyone on the way could hand the service keys of their own"
                    .to_owned(),
            ),
            _ => Err(format!(
                "`jwt-jwks` must be a file or an `https://` URL, not a `{scheme}://` URL"
            )),
        }
    }
}

impl std::fmt::Display for JwksLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksLocation::File(path) => write!(f, "{}", path.display()),
            JwksLocation::Url(url) => f.write_str(&shown_url(url.as_str())),
        }
    }
}

/// Why the key set could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The file could not be read.
    #[error("could not read the file: {0}")]
    Read(#[from] std::io::Error),
    /// The URL did not answer, or not in time.
    #[error("could not fetch it: {0}")]
    Fetch(String),
    /// The URL answered with an error status.
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    /// More than [`MAX_BYTES`].
    #[error("it is larger than {MAX_BYTES} bytes")]
    TooLarge,
    /// Not a JSON Web Key Set.
    #[error("it is not a JSON Web Key Set: {0}")]
    Parse(String),
    /// A set with no key a token could be verified with.
    #[error(
        "it holds no key that can verify tokens: each needs a `kid` and an asymmetric \
         algorithm (RS…, PS…, ES256, ES384 or EdDSA)"
    )]
    NoUsableKey,
}

/// A key of the set, ready to verify signatures, and the algorithms it may verify.
pub(crate) struct PublicKey {
    pub key: DecodingKey,
    pub algorithms: Vec<Algorithm>,
}

/// The usable keys of a set, by `kid`.
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<PublicKey>>,
}

/// A set as published: each key parsed on its own, so that one the service cannot use (an
/// encryption key, a curve it does not know) does not spoil the others.
#[derive(Deserialize)]
struct Published {
    keys: Vec<Value>,
}

impl KeySet {
    /// The usable keys of the JSON text of a set. Keys without a `kid`, for encryption, of a
    /// symmetric or an unknown kind, or declaring an algorithm that is not asymmetric, are
    /// left out.
    pub(crate) fn parse(bytes: &[u8]) -> Result<KeySet, JwksError> {
        let published: Published =
            serde_json::from_slice(bytes).map_err(|error| JwksError::Parse(error.to_string()))?;
        let keys: HashMap<String, Arc<PublicKey>> = published
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, Arc::new(usable(&jwk)?))))
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(KeySet { keys })
    }

    /// The key with this `kid`.
    pub(crate) fn get(&self, kid: &str) -> Option<Arc<PublicKey>> {
        self.keys.get(kid).cloned()
    }

    /// Whether both sets hold keys of the same `kid`s.
    fn same_key_ids(&self, other: &KeySet) -> bool {
        self.keys.len() == other.keys.len()
            && self.keys.keys().all(|kid| other.keys.contains_key(kid))
    }

    /// How many keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The key `jwk` describes, if tokens may be verified with it.
fn usable(jwk: &Jwk) -> Option<PublicKey> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let fitting: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(params) if modulus_bits(&params.n) < MIN_RSA_BITS => return None,
        AlgorithmParameters::RSA(_) => vec![
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            EllipticCurve::P521 | EllipticCurve::Ed25519 => return None,
        },
        AlgorithmParameters::OctetKeyPair(params) => match params.curve {
            EllipticCurve::Ed25519 => vec![Algorithm::EdDSA],
            _ => return None,
        },
        // A shared secret: never trusted to sign in.
        AlgorithmParameters::OctetKey(_) => return None,
    };
    let algorithms = match jwk.common.key_algorithm {
        // The key's own algorithm, when it names one, and only if it fits the key.
        Some(declared) => {
            let declared = Algorithm::from_str(&declared.to_string()).ok()?;
            fitting.contains(&declared).then(|| vec![declared])?
        }
        None => fitting,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(PublicKey { key, algorithms })
}

/// The size of an RSA modulus, base64url as a JWK writes it, in bits (0 when it is not
/// base64url); leading zero bytes do not count.
fn modulus_bits(n: &str) -> usize {
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(n) else {
        return 0;
    };
    match bytes.iter().position(|byte| *byte != 0) {
        Some(first) => bytes.len().saturating_sub(first) * 8,
        None => 0,
    }
}

/// What a token's `kid` found.
pub(crate) enum Lookup {
    /// The key it names.
    Found(Arc<PublicKey>),
    /// No such key in a set read just now (or read since the last refetch was allowed).
    Unknown,
    /// No such key among those kept, and the set could not be read again: whether the
    /// provider holds it cannot be known now.
    Unavailable,
}

/// The key set and its reading.
pub(crate) struct Jwks {
    location: JwksLocation,
    /// The HTTP client, or why none could be made.
    client: Result<reqwest::Client, String>,
    timeout: Duration,
    refetch_interval: Duration,
    /// The keys last read, once a read has succeeded.
    keys: RwLock<Option<Arc<KeySet>>>,
    /// Reads ended so far, successful or not: a request that waited for a read sees it changed.
    reads: AtomicU64,
    /// One read at a time, and what is known of the last ones.
    reading: tokio::sync::Mutex<Reading>,
}

/// What is known of the reads of the set.
#[derive(Default)]
struct Reading {
    /// Whether the last read failed.
    failed: bool,
    /// When a token's unknown `kid` last made the set be read again.
    refetched: Option<Instant>,
}

impl Jwks {
    /// The set at `location`, not read yet.
    pub(crate) fn new(
        location: JwksLocation,
        timeout: Duration,
        refetch_interval: Duration,
    ) -> Jwks {
        // No client can be built only when TLS cannot be set up at all: then every fetch
        // fails with that error, logged and answered 503.
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|error| error.to_string());
        Jwks {
            location,
            client,
            timeout,
            refetch_interval,
            keys: RwLock::new(None),
            reads: AtomicU64::new(0),
            reading: tokio::sync::Mutex::new(Reading::default()),
        }
    }

    /// Where the set is read from.
    pub(crate) fn location(&self) -> &JwksLocation {
        &self.location
    }

    /// The shortest time between two reads a token's unknown `kid` may cause.
    pub(crate) fn refetch_interval(&self) -> Duration {
        self.refetch_interval
    }

    fn current(&self) -> Option<Arc<KeySet>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key `kid` names. A `kid` the kept set does not hold makes the set be read again,
    /// unless a read for that reason was started less than `refetch_interval` ago (the first
    /// read of all does not count): then the answer is what the last read found.
    pub(crate) async fn key(&self, kid: &str) -> Lookup {
        let seen = self.reads.load(Ordering::Acquire);
        if let Some(key) = self.current().and_then(|set| set.get(kid)) {
            return Lookup::Found(key);
        }
        let mut reading = self.reading.lock().await;
        let read_meanwhile = self.reads.load(Ordering::Acquire) != seen;
        let first = self.reads.load(Ordering::Acquire) == 0;
        let recently = reading
            .refetched
            .is_some_and(|at| at.elapsed() < self.refetch_interval);
        if !read_meanwhile && (first || !recently) {
            if !first {
                reading.refetched = Some(Instant::now());
            }
            // Logged where it failed; the lookup answers from what is kept.
            let _ = self.read(&mut reading).await;
        }
        match self.current().and_then(|set| set.get(kid)) {
            Some(key) => Lookup::Found(key),
            None if reading.failed || self.current().is_none() => Lookup::Unavailable,
            None => Lookup::Unknown,
        }
    }

    /// Reads the set now (at startup, and when its lifetime ends), after any read under way.
    pub(crate) async fn refresh(&self) -> Result<usize, JwksError> {
        let mut reading = self.reading.lock().await;
        self.read(&mut reading).await
    }

    /// Whether the last read failed.
    pub(crate) async fn failing(&self) -> bool {
        self.reading.lock().await.failed
    }

    /// Reads the set, keeps it if it is usable, and logs the outcome; the keys kept before
    /// stay when it is not. Answers how many usable keys it holds.
    async fn read(&self, reading: &mut Reading) -> Result<usize, JwksError> {
        let read = match &self.location {
            JwksLocation::File(path) => read_file(path.clone()).await,
            JwksLocation::Url(url) => self.fetch(url).await,
        };
        let outcome = read.and_then(|bytes| KeySet::parse(&bytes));
        reading.failed = outcome.is_err();
        let answer = match outcome {
            Ok(set) => {
                let count = set.len();
                let before = self
                    .keys
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .replace(Arc::new(set));
                let kept = before.is_some_and(|before| {
                    self.current().is_some_and(|now| now.same_key_ids(&before))
                });
                // A set read again unchanged, each lifetime, is no news.
                if kept {
                    tracing::debug!(jwks = %self.location, keys = count, "read the identity provider's keys: unchanged");
                } else {
                    tracing::info!(jwks = %self.location, keys = count, "read the identity provider's keys");
                }
                Ok(count)
            }
            Err(error) => {
                tracing::warn!(jwks = %self.location, %error, "could not read the identity provider's keys");
                Err(error)
            }
        };
        self.reads.fetch_add(1, Ordering::AcqRel);
        answer
    }

    /// The body at `url`, within the timeout and [`MAX_BYTES`].
    async fn fetch(&self, url: &url::Url) -> Result<Vec<u8>, JwksError> {
        let client = self
            .client
            .as_ref()
            .map_err(|error| JwksError::Fetch(format!("no HTTP client could be made: {error}")))?;
        let fetch = async {
            let mut response = client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|error| JwksError::Fetch(error.without_url().to_string()))?;
            if !response.status().is_success() {
                return Err(JwksError::Status(response.status().as_u16()));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| JwksError::Fetch(error.without_url().to_string()))?
            {
                if body.len() + chunk.len() > MAX_BYTES {
                    return Err(JwksError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        // The client's own timeout bounds each step; this bounds the whole, body included.
        tokio::time::timeout(self.timeout, fetch)
            .await
            .unwrap_or_else(|_| {
                Err(JwksError::Fetch(format!(
                    "no answer within {} ms",
                    self.timeout.as_millis()
                )))
            })
    }
}

/// The file's bytes, up to [`MAX_BYTES`], read off the runtime's threads.
async fn read_file(path: PathBuf) -> Result<Vec<u8>, JwksError> {
    let read = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(&path)?
            .take(MAX_BYTES as u64 + 1)
            .read_to_end(&mut bytes)?;
        Ok::<_, std::io::Error>(bytes)
    })
    .await
    .map_err(|error| JwksError::Read(std::io::Error::other(error.to_string())))??;
    if read.len() > MAX_BYTES {
        return Err(JwksError::TooLarge);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_location_is_a_file_an_https_url_or_an_http_url_to_this_machine() {
        for (text, file) in [
            ("/etc/atmp/jwks.json", true),
            ("jwks.json", true),
            ("https://login.example.org/keys", false),
            ("http://127.0.0.1:8080/jwks", false),
            ("http://localhost/jwks", false),
            ("http://[::1]:9000/jwks", false),
        ] {
            let location = JwksLocation::parse(text);
            assert!(location.is_ok(), "{text}: {location:?}");
            assert_eq!(
                matches!(location, Ok(JwksLocation::File(_))),
                file,
                "{text}"
            );
        }
        for (text, what) in [
            ("", "nothing"),
            (
                "http://login.example.org/keys",
                "plain HTTP to another machine",
            ),
            ("ftp://example.org/keys", "another scheme"),
            ("https://", "no host"),
        ] {
            assert!(JwksLocation::parse(text).is_err(), "{what}");
        }
    }

    /// An RSA key of the tests' pretend identity provider, under another `kid`.
    fn rsa(kid: &str) -> Value {
        let mut key: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/jwt/rsa-first.jwk.json"))
                .unwrap();
        key["kid"] = json!(kid);
        key.as_object_mut().unwrap().remove("alg");
        key
    }

    #[test]
    fn rsa_keys_shorter_than_2048_bits_are_not_trusted() {
        use base64::Engine;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(modulus_bits(&encode(&[0xff; 256])), 2048);
        assert_eq!(
            modulus_bits(&encode(&[&[0_u8][..], &[0xff; 255]].concat())),
            2040
        );
        assert_eq!(modulus_bits("not base64!"), 0);
        let short = json!({ "kty": "RSA", "kid": "short", "n": encode(&[0xc5; 128]), "e": "AQAB" });
        let jwk: Jwk = serde_json::from_value(short).unwrap();
        assert!(usable(&jwk).is_none());
    }

    #[test]
    fn only_keys_that_can_verify_a_signature_are_kept() {
        let set = json!({ "keys": [
            rsa("plain"),
            { "kty": "RSA", "kid": "pinned", "alg": "PS256", "n": rsa("x")["n"], "e": "AQAB" },
            { "kty": "RSA", "n": rsa("x")["n"], "e": "AQAB" },
            { "kty": "RSA", "kid": "encrypts", "use": "enc", "n": rsa("x")["n"], "e": "AQAB" },
            { "kty": "RSA", "kid": "mislabelled", "alg": "ES256", "n": rsa("x")["n"], "e": "AQAB" },
            { "kty": "oct", "kid": "shared", "k": "c2VjcmV0" },
            { "kty": "oct", "kid": "shared-hs", "alg": "HS256", "k": "c2VjcmV0" },
            { "kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA" },
            { "kty": "XYZ", "kid": "unknown" },
            "not a key",
        ] });

        let parsed = KeySet::parse(set.to_string().as_bytes()).unwrap();

        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed.get("plain").unwrap().algorithms.len(), 6);
        assert_eq!(parsed.get("pinned").unwrap().algorithms, [Algorithm::PS256]);
    }

    #[test]
    fn a_set_with_no_usable_key_or_no_set_is_refused() {
        for (text, what) in [
            (json!({ "keys": [] }).to_string(), "no key"),
            (
                json!({ "keys": [{ "kty": "oct", "kid": "s", "k": "c2VjcmV0" }] }).to_string(),
                "only a shared secret",
            ),
        ] {
            assert!(
                matches!(KeySet::parse(text.as_bytes()), Err(JwksError::NoUsableKey)),
                "{what}"
            );
        }
        for (text, what) in [("<html>", "not JSON"), ("{\"kids\": []}", "no `keys`")] {
            assert!(
                matches!(KeySet::parse(text.as_bytes()), Err(JwksError::Parse(_))),
                "{what}"
            );
        }
    }
}
