//! Who sends a request. No `Authorization` header: the public, as before keys. `Authorization:
//! Bearer atmp_…`: the holder of that API key, once the store finds it valid. Credentials sent
//! but bad (a malformed header, a token that is not an API key, a malformed, unknown, revoked or
//! expired key) are refused with 401, never read as the public. A key is refused for its
//! format before any lookup, and no message or log line repeats it.

use axum::http::{header, HeaderMap};

use crate::domain::{ApiKey, API_KEY_PREFIX};
use crate::store::{Caller, Refusal, Store, StoreError};

/// Why a request's credentials give no caller.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The credentials are bad; the message says how, without the secret.
    Unauthenticated(String),
    /// The key could not be checked: its database did not answer.
    Unchecked(StoreError),
}

/// The caller of a request with these headers.
pub(crate) async fn caller(store: &Store, headers: &HeaderMap) -> Result<Caller, Refused> {
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
        .ok_or_else(|| refused("the `Authorization` header must be `Bearer` and an API key"))?;
    // TODO(#21, item 7): a bearer token that is not an API key is checked here as a JWT.
    if !token.starts_with(API_KEY_PREFIX) {
        return Err(refused(
            "the bearer token is not an API key: API keys start with `atmp_`",
        ));
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

fn refused(message: &str) -> Refused {
    Refused::Unauthenticated(message.to_owned())
}
