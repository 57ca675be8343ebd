//! Who sends a request. No `Authorization` header: the public, as before keys. `Authorization:
//! Bearer atmp_…`: the holder of that API key, once the store finds it valid. Any other bearer
//! token, when staff sign-in is configured: the person its verified JWT names, with the role
//! and institutions its claims give. Credentials sent but bad (a malformed header; a token
//! that is neither an API key nor, with sign-in on, a valid JWT; a malformed, unknown, revoked
//! or expired key) are refused with 401, never read as the public. A key is refused for its
//! format before any lookup, and no message or log line repeats a key or a token.

use axum::http::{header, HeaderMap};

use crate::domain::{ApiKey, API_KEY_PREFIX};
use crate::identity::IdentityProvider;
use crate::store::{Caller, Refusal, Store, StoreError, TokenCaller};

/// Why a request's credentials give no caller.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The credentials are bad; the message says how, without the secret.
    Unauthenticated(String),
    /// The key could not be checked: its database did not answer.
    Unchecked(StoreError),
    /// The token could not be checked: the identity provider's keys could not be read (the
    /// cause is logged where the read failed). Worth trying again after this many seconds.
    Unverifiable { retry_after_seconds: u64 },
}

/// The caller of a request with these headers, verifying a JWT with `identity` when one is
/// configured.
pub(crate) async fn caller(
    store: &Store,
    identity: Option<&IdentityProvider>,
    headers: &HeaderMap,
) -> Result<Caller, Refused> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(Caller::Public);
    };
    if values.next().is_some() {
        return Err(refused("send one `Authorization` header, not several"));
    }
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            refused(match identity {
                None => "the `Authorization` header must be `Bearer` and an API key",
                Some(_) => "the `Authorization` header must be `Bearer` and an API key or a JWT",
            })
        })?;
    if !token.starts_with(API_KEY_PREFIX) {
        return match identity {
            Some(identity) => signed_in(store, identity, token).await,
            None => Err(refused(
                "the bearer token is not an API key: API keys start with `atmp_`",
            )),
        };
    }
    let key = ApiKey::parse(token)
        .map_err(|fault| refused(&format!("the API key is malformed: {fault}")))?;
    match store.authenticate(&key).await {
        Ok(Ok(caller)) => Ok(Caller::Key(caller)),
        Ok(Err(refusal)) => Err(refused(match refusal {
            Refusal::Unknown => "the API key is unknown",
            Refusal::Revoked => "the API key was revoked",
            Refusal::Expired => "the API key has expired",
            Refusal::Rolled => {
                "the API key has expired: it was rolled, and the overlap of its old secret has ended"
            }
        })),
        Err(error) => Err(Refused::Unchecked(error)),
    }
}

/// The person `token` names, once `identity` has verified it and the store knows the
/// institutions its claims name.
async fn signed_in(
    store: &Store,
    identity: &IdentityProvider,
    token: &str,
) -> Result<Caller, Refused> {
    let verified = match identity.check(token).await {
        Ok(Ok(verified)) => verified,
        Ok(Err(refusal)) => return Err(refused(&refusal.to_string())),
        Err(_) => {
            return Err(Refused::Unverifiable {
                retry_after_seconds: identity.refetch_interval().as_secs().max(1),
            })
        }
    };
    let institutions = store
        .institutions_by_code(&verified.claimed.institutions)
        .map_err(|unknown| {
            refused(&format!(
                "the token's `{}` claim names an {unknown}",
                identity.institution_claim()
            ))
        })?;
    Ok(Caller::Token(TokenCaller::new(
        &verified.issuer,
        &verified.subject,
        verified.claimed.role,
        institutions,
    )))
}

fn refused(message: &str) -> Refused {
    Refused::Unauthenticated(message.to_owned())
}
