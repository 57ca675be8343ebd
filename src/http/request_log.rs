//! One log line per request, and a request ID that ties it to every other line the request
//! logs. The ID comes from the client's `x-request-id` when that is usable, else a new UUID;
//! it is answered in `x-request-id` and is a field of the request's span, so every event
//! logged while serving the request (errors included) carries it. The span also gets the
//! GraphQL operation's name, recorded by the schema once the operation is known.

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::Span;

/// The header that carries the request ID, both ways.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client request ID kept.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// Whether a client's request ID can be kept: 1 to 128 letters, digits and `-_.:/+=`, so that
/// it is safe to log and to search for, and cannot forge a log line.
fn usable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID_CHARS
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(b))
}

/// Removes a client's `x-request-id` that cannot be kept (or more than one), so that a new
/// one is made for the request.
pub(crate) async fn drop_unusable_request_id(mut request: Request) -> Request {
    let ids = request.headers().get_all(REQUEST_ID);
    let mut values = ids.iter();
    let keep = match (values.next(), values.next()) {
        (None, _) => true,
        (Some(value), None) => usable_request_id(value),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// The request's span: its ID, method and path, and the GraphQL operation's name once known.
pub(crate) fn request_span(request: &Request<Body>) -> Span {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        operation = tracing::field::Empty,
    )
}

/// The request's one line, logged at `info` in its span when the response is ready.
pub(crate) fn log_response(response: &Response<Body>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = %format_args!("{:.1}", latency.as_secs_f64() * 1000.0),
        "finished"
    );
}

/// What a panic in a handler is answered with: a GraphQL-shaped internal error, the panic
/// logged in the request's span, so with its ID.
pub(crate) fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    tracing::error!(panic = %message, "a request panicked");
    let body = serde_json::json!({
        "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }]
    });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_request_id_is_kept_only_when_it_is_short_and_plain() {
        let long = "a".repeat(MAX_REQUEST_ID_CHARS + 1);
        for (id, usable) in [
            ("4bf92f3577b34da6a3ce929d0e0e4736", true),
            ("Root=1-67891233-abcdef012345678912345678", true),
            ("client:req/42_a.b+c", true),
            ("", false),
            ("two words", false),
            ("line\tbreak", false),
            ("quote\"d", false),
            ("ünicode", false),
            (long.as_str(), false),
        ] {
            let value = HeaderValue::from_bytes(id.as_bytes()).unwrap();
            assert_eq!(usable_request_id(&value), usable, "{id:?}");
        }
    }
}
