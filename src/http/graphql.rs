//! `/graphql` per the GraphQL-over-HTTP specification: JSON in, `application/json` or
//! `application/graphql-response+json` out as the client accepts, status codes by media type,
//! and every malformed request answered in the same error shape, never as plain text.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ErrorExtensions, ServerError};
use axum::body::{to_bytes, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::HttpState;
use crate::store::{Caller, StoreLoader};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// The spec's own type: status codes tell request errors from results.
    GraphqlResponse,
    /// Legacy `application/json`: every well-formed request is answered 200.
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }
}

/// Picks the response type from `Accept`: `application/graphql-response+json` when listed,
/// else `application/json` (also for no `Accept`, `*/*` and `application/*`); none → 406.
fn negotiate(headers: &HeaderMap) -> Result<Media, Rejection> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(Media::Json);
    };
    let accept = accept.to_str().unwrap_or("");
    let types: Vec<String> = accept
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    if types.iter().any(|t| t == GRAPHQL_RESPONSE) {
        Ok(Media::GraphqlResponse)
    } else if types
        .iter()
        .any(|t| t == JSON || t == "*/*" || t == "application/*" || t.is_empty())
    {
        Ok(Media::Json)
    } else {
        Err(Rejection::new(
            StatusCode::NOT_ACCEPTABLE,
            "the `Accept` header must allow `application/graphql-response+json` or `application/json`",
        ))
    }
}

/// A request refused before execution, answered by [`request_error`].
struct Rejection {
    status: StatusCode,
    message: String,
}

impl Rejection {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Rejection {
            status,
            message: message.into(),
        }
    }

    fn answer(self, media: Media) -> Response {
        request_error(media, self.status, &self.message)
    }
}

/// A request error: no `data`, one error with code `BAD_USER_INPUT`.
fn request_error(media: Media, status: StatusCode, message: &str) -> Response {
    let body = json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }]
    });
    json_response(media, status, &body)
}

fn json_response(media: Media, status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

/// The parameters of a GraphQL request, from a JSON body or a query string.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    extensions: Option<Value>,
}

/// GET parameters arrive as strings; `variables` and `extensions` hold JSON text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub(crate) async fn post_graphql(State(state): State<HttpState>, request: Request) -> Response {
    let media = match negotiate(request.headers()) {
        Ok(media) => media,
        Err(rejection) => return rejection.answer(Media::Json),
    };
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some(JSON) {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be `application/json`",
        );
    }
    let body: Bytes = match to_bytes(request.into_body(), state.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => {
            return request_error(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the request body must be at most {} bytes",
                    state.max_body_bytes
                ),
            )
        }
    };
    let params: Params = match serde_json::from_slice(&body) {
        Ok(params) => params,
        Err(error) if error.is_data() => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                &format!("the request body is not a GraphQL request: {error}"),
            )
        }
        Err(error) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                &format!("the request body is not valid JSON: {error}"),
            )
        }
    };
    execute(&state, media, params).await
}

pub(crate) async fn get_graphql(
    State(state): State<HttpState>,
    headers: HeaderMap,
    query: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(rejection) => return rejection.answer(Media::Json),
    };
    let Ok(Query(get)) = query else {
        return request_error(
            media,
            StatusCode::BAD_REQUEST,
            "the query string is malformed",
        );
    };
    let parse = |name: &str, text: Option<String>| -> Result<Option<Value>, Rejection> {
        text.map(|text| {
            serde_json::from_str(&text).map_err(|_| {
                Rejection::new(
                    StatusCode::BAD_REQUEST,
                    format!("`{name}` must be a JSON object"),
                )
            })
        })
        .transpose()
    };
    let variables = match parse("variables", get.variables) {
        Ok(v) => v,
        Err(rejection) => return rejection.answer(media),
    };
    let extensions = match parse("extensions", get.extensions) {
        Ok(v) => v,
        Err(rejection) => return rejection.answer(media),
    };
    let params = Params {
        query: get.query,
        operation_name: get.operation_name,
        variables,
        extensions,
    };
    if let Some(query) = &params.query {
        // The spec forbids mutations over GET; the schema has none yet, but say so plainly.
        if looks_like_mutation(query, params.operation_name.as_deref()) {
            let mut response = request_error(
                media,
                StatusCode::METHOD_NOT_ALLOWED,
                "mutations must be sent with POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    execute(&state, media, params).await
}

fn looks_like_mutation(query: &str, operation: Option<&str>) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    document.operations.iter().any(|(name, op)| {
        let chosen = match (operation, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        chosen && op.node.ty == async_graphql::parser::types::OperationType::Mutation
    })
}

pub(crate) async fn method_not_allowed() -> Response {
    let mut response = request_error(
        Media::Json,
        StatusCode::METHOD_NOT_ALLOWED,
        "use GET or POST for /graphql",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    response
}

async fn execute(state: &HttpState, media: Media, params: Params) -> Response {
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return request_error(media, StatusCode::BAD_REQUEST, "the request has no `query`");
    };
    let variables = match params.variables {
        None | Some(Value::Null) => async_graphql::Variables::default(),
        Some(value @ Value::Object(_)) => async_graphql::Variables::from_json(value),
        Some(_) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "`variables` must be a JSON object",
            )
        }
    };
    if !matches!(
        params.extensions,
        None | Some(Value::Null) | Some(Value::Object(_))
    ) {
        return request_error(
            media,
            StatusCode::BAD_REQUEST,
            "`extensions` must be a JSON object",
        );
    }
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    // A loader per request: the caller's scope travels with every batch, caches never cross callers.
    // Its batches run on tasks of their own, in the request's span so their logs carry its ID.
    let span = tracing::Span::current();
    let loader = DataLoader::new(
        StoreLoader::new(state.store.clone(), Caller::Public),
        move |batch| tokio::spawn(tracing::Instrument::instrument(batch, span.clone())),
    )
    .delay(state.loader_delay);
    let response = state.schema.execute(request.data(loader)).await;
    answer(media, response)
}

/// Gives framework errors (parse, validation, limits) a code, as resolver errors have.
fn with_code(mut error: ServerError) -> ServerError {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        let code =
            if error.message.contains("nested too deep") || error.message.contains("too complex") {
                "QUERY_TOO_COMPLEX"
            } else {
                "BAD_USER_INPUT"
            };
        let extended = async_graphql::Error::new(error.message.clone())
            .extend_with(|_, e| e.set("code", code));
        error.extensions = extended.extensions;
    }
    error
}

/// The response body, serialised once, straight from async-graphql's values.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
}

fn answer(media: Media, response: async_graphql::Response) -> Response {
    // Errors with no path, and no data, come from before execution: parse, validation, limits.
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let errors: Vec<ServerError> = response.errors.into_iter().map(with_code).collect();
    let body = Body {
        data: (!request_failed).then_some(&response.data),
        errors: &errors,
    };
    let status = match (media, request_failed) {
        (Media::GraphqlResponse, true) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    match serde_json::to_vec(&body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, media.content_type());
            response
        }
        Err(error) => {
            tracing::error!(%error, "could not serialise a response");
            let body = json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] });
            json_response(media, StatusCode::INTERNAL_SERVER_ERROR, &body)
        }
    }
}
