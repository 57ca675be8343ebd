//! Staff sign-in: bearer JWTs issued by the hospital's identity provider (OIDC), verified
//! against the issuer, audience and key set the settings name, and read into a role and
//! institutions by the claims they name ([`claims`]).
//!
//! A token is verified before any of its claims is trusted: its header must name an
//! asymmetric algorithm (never `none` or a shared secret's `HS…`) and, by `kid`, a key of the
//! provider's set ([`jwks`]) that fits that algorithm; its signature must hold; `iss`, `aud`,
//! `exp` and `sub` must be there, `iss` and `aud` must be the configured ones, and `exp` and
//! `nbf` must hold with [`LEEWAY`] for clocks that differ. No message or log line repeats the
//! token.

mod claims;
mod jwks;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use tokio::task::AbortHandle;

pub use claims::{ClaimError, ClaimMapping, Claimed};
pub use jwks::{JwksError, JwksLocation};

use jwks::{Jwks, Lookup, ASYMMETRIC};

/// How far `exp` and `nbf` may be off, for clocks that differ a little.
pub const LEEWAY: Duration = Duration::from_secs(30);

/// What the identity provider is trusted for, from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySettings {
    /// The issuer every token must name (`iss`).
    pub issuer: String,
    /// The audience every token must include (`aud`): this service.
    pub audience: String,
    /// Where the provider's keys are.
    pub jwks: JwksLocation,
    /// How long a key set read is used before it is read again.
    pub jwks_lifetime: Duration,
    /// The shortest time between two reads of the key set that tokens naming unknown keys cause.
    pub jwks_refetch_interval: Duration,
    /// The longest a read of the key set may take.
    pub jwks_timeout: Duration,
    /// Which claims give the role and the institutions.
    pub claims: ClaimMapping,
}

/// A token verified and read: who it names, and what its claims make them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The issuer (`iss`).
    pub issuer: String,
    /// The person (`sub`).
    pub subject: String,
    /// The role and institution codes of the claims.
    pub claimed: Claimed,
}

/// Why a token is refused; each message says what is wrong, and none repeats the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// Not three base64url parts of JSON.
    #[error("the bearer token is neither an API key (`atmp_…`) nor a well-formed JWT")]
    Malformed,
    /// `none`, a shared secret's `HS…`, or an algorithm the service does not know.
    #[error(
        "the token's algorithm is refused: only asymmetric signatures are accepted (RS256, \
         RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA), never `none` or `HS…`"
    )]
    Algorithm,
    /// No `kid` in the header.
    #[error(
        "the token's header has no `kid`: it must name the identity provider's key that signed it"
    )]
    NoKeyId,
    /// A `kid` the provider does not publish, even after reading its keys again.
    #[error(
        "the token was signed with a key the identity provider does not publish (unknown `kid`)"
    )]
    UnknownKey,
    /// The key named is not for the token's algorithm.
    #[error("the token's algorithm does not fit the key its `kid` names")]
    KeyMismatch,
    /// The signature does not hold.
    #[error("the token's signature is not valid")]
    Signature,
    /// Past `exp`.
    #[error("the token has expired")]
    Expired,
    /// Before `nbf`.
    #[error("the token is not valid yet (`nbf` is in the future)")]
    NotYetValid,
    /// Another issuer's.
    #[error("the token's issuer (`iss`) is not `{0}`")]
    Issuer(String),
    /// Not for this service.
    #[error("the token's audience (`aud`) does not include `{0}`")]
    Audience(String),
    /// A registered claim it must have is absent, or not of its type.
    #[error("the token has no valid `{0}` claim")]
    MissingClaim(String),
    /// A registered claim of the wrong type.
    #[error("the token's `{0}` claim is malformed")]
    MalformedClaim(String),
    /// Its claims give no role or institutions.
    #[error(transparent)]
    Claims(#[from] ClaimError),
}

/// Why a token could not be checked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the token cannot be checked now: the identity provider's keys could not be read; try again later"
)]
pub struct KeysUnavailable;

/// The outcome of checking a token.
pub type Checked = Result<Result<Verified, TokenRefusal>, KeysUnavailable>;

/// The hospital's identity provider as the service trusts it: its keys, kept fresh, and what
/// its tokens must say. Stops refreshing the keys when dropped.
pub struct IdentityProvider {
    settings: IdentitySettings,
    jwks: Arc<Jwks>,
    /// The claims every token is validated against, but for its algorithm.
    validation: Validation,
    /// The task reading the keys again as their lifetime ends, once started.
    refresher: Mutex<Option<AbortHandle>>,
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        let mut refresher = self
            .refresher
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(refresher) = refresher.take() {
            refresher.abort();
        }
    }
}

impl IdentityProvider {
    /// The provider these settings describe; its keys are not read yet ([`Self::load`]; else
    /// the first token reads them).
    pub fn new(settings: IdentitySettings) -> IdentityProvider {
        let jwks = Arc::new(Jwks::new(
            settings.jwks.clone(),
            settings.jwks_timeout,
            settings.jwks_refetch_interval,
        ));
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY.as_secs();
        IdentityProvider {
            settings,
            jwks,
            validation,
            refresher: Mutex::new(None),
        }
    }

    /// Reads the provider's keys now, answering how many are usable.
    pub async fn load(&self) -> Result<usize, JwksError> {
        self.jwks.refresh().await
    }

    /// Where the keys are read from.
    pub fn jwks(&self) -> &JwksLocation {
        self.jwks.location()
    }

    /// The claim that names the institutions.
    pub fn institution_claim(&self) -> &str {
        &self.settings.claims.institutions
    }

    /// The shortest time between two reads of the keys that unknown `kid`s cause: how long a
    /// client refused for want of keys had best wait.
    pub fn refetch_interval(&self) -> Duration {
        self.jwks.refetch_interval()
    }

    /// Starts reading the keys again each time their lifetime ends (after a failed read, each
    /// refetch interval), in a task of the current runtime, until the provider is dropped. A
    /// provider refreshed already keeps its task; outside a runtime there is none, and only
    /// tokens with unknown keys read them again.
    pub fn keep_fresh(&self) {
        let mut refresher = self
            .refresher
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if refresher.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let jwks = self.jwks.clone();
        let lifetime = self.settings.jwks_lifetime;
        let retry = self.settings.jwks_refetch_interval.min(lifetime);
        let task = runtime.spawn(async move {
            loop {
                let wait = if jwks.failing().await {
                    retry
                } else {
                    lifetime
                };
                tokio::time::sleep(wait).await;
                // Logged where it failed; the keys read before stay in use.
                let _ = jwks.refresh().await;
            }
        });
        *refresher = Some(task.abort_handle());
    }

    /// Verifies `token` and reads its claims: who it names and what they make them, why it is
    /// refused, or that it cannot be checked now (its key is not among those kept, and the
    /// provider's keys cannot be read).
    pub async fn check(&self, token: &str) -> Checked {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(header) => header,
            Err(error) => return Ok(Err(header_refusal(token, error.kind()))),
        };
        if !ASYMMETRIC.contains(&header.alg) {
            return Ok(Err(TokenRefusal::Algorithm));
        }
        let Some(kid) = header.kid else {
            return Ok(Err(TokenRefusal::NoKeyId));
        };
        let key = match self.jwks.key(&kid).await {
            Lookup::Found(key) => key,
            Lookup::Unknown => return Ok(Err(TokenRefusal::UnknownKey)),
            Lookup::Unavailable => return Err(KeysUnavailable),
        };
        if !key.algorithms.contains(&header.alg) {
            return Ok(Err(TokenRefusal::KeyMismatch));
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        let data = match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
            Ok(data) => data,
            Err(error) => return Ok(Err(self.refusal(error.kind()))),
        };
        Ok(self.read(&data.claims))
    }

    /// What the verified claims make their bearer.
    fn read(&self, claims: &Map<String, Value>) -> Result<Verified, TokenRefusal> {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| TokenRefusal::MalformedClaim(name.to_owned()))
        };
        Ok(Verified {
            issuer: text("iss")?,
            subject: text("sub")?,
            claimed: claims::read(claims, &self.settings.claims)?,
        })
    }

    /// Why the library refused a token whose header was read.
    fn refusal(&self, kind: &ErrorKind) -> TokenRefusal {
        match kind {
            ErrorKind::InvalidSignature
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat => TokenRefusal::Signature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                TokenRefusal::Algorithm
            }
            ErrorKind::ExpiredSignature => TokenRefusal::Expired,
            ErrorKind::ImmatureSignature => TokenRefusal::NotYetValid,
            ErrorKind::InvalidIssuer => TokenRefusal::Issuer(self.settings.issuer.clone()),
            ErrorKind::InvalidAudience => TokenRefusal::Audience(self.settings.audience.clone()),
            ErrorKind::MissingRequiredClaim(claim) => TokenRefusal::MissingClaim(claim.clone()),
            ErrorKind::InvalidClaimFormat(claim) => TokenRefusal::MalformedClaim(claim.clone()),
            _ => TokenRefusal::Malformed,
        }
    }
}

/// Why a token's header could not be read: a header naming an algorithm the library does not
/// know (such as `none`) is told apart from a token that is no JWT at all.
fn header_refusal(token: &str, kind: &ErrorKind) -> TokenRefusal {
    use base64::Engine;
    let named_algorithm = matches!(kind, ErrorKind::Json(_))
        && token
            .split('.')
            .next()
            .and_then(|part| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .ok()
            })
            .and_then(|json| serde_json::from_slice::<Map<String, Value>>(&json).ok())
            .and_then(|header| header.get("alg")?.as_str().map(str::to_owned))
            .is_some_and(|alg| alg.parse::<Algorithm>().is_err());
    if named_algorithm {
        TokenRefusal::Algorithm
    } else {
        TokenRefusal::Malformed
    }
}
