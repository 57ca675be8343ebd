//! The errors a client sees. Each has one `extensions.code`; internal causes are logged here,
//! once, and answered with a generic message that leaks no SQL.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

use crate::store::{StoreError, Unanswered};

/// An error answered to a GraphQL client.
///
/// Deliberately not `Display`: async-graphql converts any `Display` type into an error with
/// its text, and this type must go through the one conversion below that sets the code.
#[derive(Debug)]
pub enum ApiError {
    /// The request names something wrongly: a bad argument, cursor, ID or filter value.
    BadUserInput(String),
    /// The query is over one of the request limits, which the message names.
    QueryTooComplex(String),
    /// The request sent credentials that are not valid: a malformed header, API key or token,
    /// a key that is unknown, revoked or expired, or a token refused, as the message says.
    Unauthenticated(String),
    /// The caller's credentials do not allow reading the field, which the message names: a
    /// field of the subgraph's schema that the caller's role may not read (in a role's own
    /// schema such a field does not exist).
    Forbidden(String),
    /// The caller has spent its rate limit: the message says how and when to try again.
    RateLimited(String),
    /// A failure of the service itself; the cause is logged, never sent.
    Internal(String),
    /// A token could not be checked: the identity provider's keys could not be read.
    IdentityProviderUnavailable(String),
    /// The source holding these institutions' records does not answer.
    SourceUnavailable {
        message: String,
        institutions: Vec<String>,
    },
}

impl ApiError {
    /// The `extensions.code` of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::RateLimited(_) => "RATE_LIMITED",
            ApiError::Internal(_) => "INTERNAL",
            ApiError::IdentityProviderUnavailable(_) => "IDENTITY_PROVIDER_UNAVAILABLE",
            ApiError::SourceUnavailable { .. } => "SOURCE_UNAVAILABLE",
        }
    }

    /// The error of a whole request (no path), at `pos` in the query when there is one.
    pub fn into_server_error(self, pos: Option<async_graphql::Pos>) -> async_graphql::ServerError {
        let error = async_graphql::Error::from(self);
        let mut server_error = async_graphql::ServerError::new(error.message, pos);
        server_error.extensions = error.extensions;
        server_error
    }
}

/// The errors of a list answered without the sources in `missing`: one per institution whose
/// records are missing from it.
pub(crate) fn missing_from_list(missing: &[Unanswered]) -> impl Iterator<Item = ApiError> + '_ {
    missing.iter().flat_map(|source| {
        source
            .institutions
            .iter()
            .map(|institution| ApiError::SourceUnavailable {
                message: format!(
                    "the list lacks the records of {institution}: their source `{}` does not \
                     answer, so the page may be short and `totalCount` is null",
                    source.source_name
                ),
                institutions: vec![institution.clone()],
            })
    })
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        let (message, institutions) = match error {
            ApiError::BadUserInput(message)
            | ApiError::QueryTooComplex(message)
            | ApiError::Unauthenticated(message)
            | ApiError::IdentityProviderUnavailable(message)
            | ApiError::Forbidden(message)
            | ApiError::RateLimited(message) => (message, Vec::new()),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error while resolving a request");
                ("internal error".to_owned(), Vec::new())
            }
            ApiError::SourceUnavailable {
                message,
                institutions,
            } => (message, institutions),
        };
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", code);
            if let [institution] = institutions.as_slice() {
                extensions.set("institution", institution.as_str());
            }
            if !institutions.is_empty() {
                extensions.set("institutions", institutions.clone());
            }
        })
    }
}

impl From<Arc<StoreError>> for ApiError {
    fn from(error: Arc<StoreError>) -> Self {
        match &*error {
            StoreError::InvalidCursor(message) | StoreError::InvalidFilter(message) => {
                ApiError::BadUserInput(message.clone())
            }
            StoreError::TooManyGroups(_) | StoreError::TooManyRelated(_) => {
                ApiError::QueryTooComplex(error.to_string())
            }
            StoreError::SourceUnavailable(unanswered) => ApiError::SourceUnavailable {
                message: error.to_string(),
                institutions: unanswered.institutions.clone(),
            },
            StoreError::Db(cause) => ApiError::Internal(cause.to_string()),
            StoreError::Secret(cause) => ApiError::Internal(cause.clone()),
        }
    }
}

impl From<Unanswered> for ApiError {
    fn from(source: Unanswered) -> Self {
        StoreError::SourceUnavailable(source).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Arc::new(error).into()
    }
}
