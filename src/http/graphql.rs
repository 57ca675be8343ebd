//! `/graphql` per the GraphQL-over-HTTP specification: JSON in, `application/json` or
//! `application/graphql-response+json` out as the client accepts, status codes by media type,
//! and every malformed request answered in the same error shape, never as plain text.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::ServerError;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{self, Refused};
use super::rate::Toll;
use super::HttpState;
use crate::domain::sha256_hex;
use crate::graphql::{
    json_nests_deeper_than, order_response, respond, with_defaults, ApiError, AtmpSchema,
    ContactsShown, DocumentError, Executed, Execution, Ordering, RequestLimits, RequestMeter,
};
use crate::identity::KeysUnavailable;
use crate::store::{
    Actor, Batcher, Caller, Clock, PersonalDataRead, Role, SignedIn, Store, StoreError, StoreLoader,
};

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

/// The answer to credentials refused: 401 with `WWW-Authenticate: Bearer` and code
/// `UNAUTHENTICATED`; for a key that could not be checked, 503 with the cause logged; for a
/// token that could not be checked, 503 with `Retry-After`.
fn refused(media: Media, refused: Refused) -> Response {
    let retry_after = match &refused {
        Refused::Unverifiable {
            retry_after_seconds,
        } => Some(*retry_after_seconds),
        _ => None,
    };
    let (status, error) = match refused {
        Refused::Unauthenticated(message) => {
            (StatusCode::UNAUTHORIZED, ApiError::Unauthenticated(message))
        }
        Refused::Unchecked(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(format!(
                "an API key could not be checked: {}",
                match &error {
                    StoreError::Db(cause) => cause.to_string(),
                    other => other.to_string(),
                }
            )),
        ),
        Refused::Unverifiable { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            ApiError::IdentityProviderUnavailable(KeysUnavailable.to_string()),
        ),
    };
    let body = json!({ "errors": [error.into_server_error(None)] });
    let mut response = json_response(media, status, &body);
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn json_response(media: Media, status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

/// Past this many bytes an over-large body is no longer read to its end before the 413 answer.
const MAX_DRAINED_BYTES: usize = 64 * 1024 * 1024;

/// The body, up to `limit` bytes. An over-large body is still read to its end (up to
/// [`MAX_DRAINED_BYTES`]) and dropped, so the client reads the 413 answer instead of a
/// connection reset by unread data.
async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, Rejection> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen: usize = 0;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "the request body could not be read to its end",
            ));
        };
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            kept.extend_from_slice(&chunk);
        } else if seen > MAX_DRAINED_BYTES.max(limit) {
            break;
        }
    }
    if seen > limit {
        return Err(Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body must be at most {limit} bytes"),
        ));
    }
    Ok(Bytes::from(kept))
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
    let caller =
        match auth::caller(&state.store, state.identity.as_deref(), request.headers()).await {
            Ok(caller) => caller,
            Err(refusal) => {
                // Read to its end, as an over-large body is, so that the client reads the answer
                // rather than a connection reset by unread data.
                let _unread = read_body(request.into_body(), state.max_body_bytes).await;
                return refused(media, refusal);
            }
        };
    let request_id = request_id(request.headers());
    let connected = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address);
    let toll = state.rate.toll(&caller, request.headers(), connected);
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
    let body = match read_body(request.into_body(), state.max_body_bytes).await {
        Ok(body) => body,
        Err(rejection) => return rejection.answer(media),
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
    execute(
        &state,
        media,
        params,
        Method::Post,
        caller,
        toll,
        request_id,
    )
    .await
}

/// The request's ID, as the request-ID layer set it (the client's, or a new UUID).
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

pub(crate) async fn get_graphql(
    State(state): State<HttpState>,
    connected: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    query: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(rejection) => return rejection.answer(Media::Json),
    };
    let caller = match auth::caller(&state.store, state.identity.as_deref(), &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refused(media, refusal),
    };
    let toll = state.rate.toll(
        &caller,
        &headers,
        connected.map(|Extension(ConnectInfo(address))| address),
    );
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
    let request_id = request_id(&headers);
    execute(&state, media, params, Method::Get, caller, toll, request_id).await
}

/// How the request came: the spec allows only queries over GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// The name of the operation the request runs: the one `operationName` names, or the
/// document's only operation when that has a name.
fn operation_name<'a>(document: &'a ExecutableDocument, asked: Option<&'a str>) -> Option<&'a str> {
    match (asked, &document.operations) {
        (Some(asked), _) => Some(asked),
        (None, DocumentOperations::Multiple(operations)) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.as_str())
        }
        _ => None,
    }
}

/// Whether the operation the request runs is a mutation (or a subscription).
fn runs_a_mutation(document: &ExecutableDocument, operation: Option<&str>) -> bool {
    document.operations.iter().any(|(name, op)| {
        let chosen = match (operation, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        chosen && op.node.ty != OperationType::Query
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

/// Runs a request, charging its cost to `toll` (if its caller is rate limited) once it is
/// validated, and answers it with the rate limit's headers: 429 if it was refused for its rate.
async fn execute(
    state: &HttpState,
    media: Media,
    params: Params,
    method: Method,
    caller: Caller,
    toll: Option<Arc<Toll>>,
    request_id: Option<String>,
) -> Response {
    let mut response = run(
        state,
        media,
        params,
        method,
        caller,
        toll.clone(),
        request_id,
    )
    .await;
    if let Some(toll) = toll {
        if toll.refused() {
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        }
        toll.write_headers(response.headers_mut());
    }
    response
}

/// Runs a request and answers it.
async fn run(
    state: &HttpState,
    media: Media,
    params: Params,
    method: Method,
    caller: Caller,
    toll: Option<Arc<Toll>>,
    request_id: Option<String>,
) -> Response {
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return request_error(media, StatusCode::BAD_REQUEST, "the request has no `query`");
    };
    let variables = match params.variables {
        None | Some(Value::Null) => async_graphql::Variables::default(),
        Some(value @ Value::Object(_)) => {
            let max = state.limits.query.max_nesting;
            if json_nests_deeper_than(&value, max) {
                let error = DocumentError::TooComplex {
                    message: format!(
                        "`variables` nests arrays and objects deeper than {max} levels (limit `max-nesting`)"
                    ),
                    pos: None,
                };
                return answer(state, media, Executed::from_errors(vec![error.into()]));
            }
            async_graphql::Variables::from_json(value)
        }
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
    // Bounded and measured before async-graphql parses, validates or runs anything (or taken
    // from the cache, where it went only after that).
    let prepared = match state
        .documents
        .prepare(&query, &state.limits.query, &state.types)
    {
        Ok(prepared) => prepared,
        Err(error) => return answer(state, media, Executed::from_errors(vec![error.into()])),
    };
    let named = operation_name(&prepared.document, params.operation_name.as_deref());
    if let Some(name) = named {
        // The request's log line names the operation (the span declares the field).
        tracing::Span::current().record("operation", tracing::field::display(name));
    }
    // What the read log names the operation by, kept only for the roles that read contact
    // details at all: the public's and partners' answers never carry any.
    let logged = (caller.role() >= Role::Staff).then(|| Logged {
        key: caller.key_id(),
        signed_in: caller.signed_in(),
        text: query.clone(),
        operation: named.map(str::to_owned),
    });
    if method == Method::Get
        && runs_a_mutation(&prepared.document, params.operation_name.as_deref())
    {
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
    // Planned answers come in selection order below the root; async-graphql resolves the
    // root's fields (and introspection) concurrently, in whatever order they finish.
    let ordering = if state.execution == Execution::Planned && !prepared.introspects {
        Ordering::Root
    } else {
        Ordering::Whole
    };
    let variables = with_defaults(
        &prepared.document,
        params.operation_name.as_deref(),
        &variables,
    );
    // async-graphql consumes a copy; the client's form stays to order the answer by.
    let mut request = async_graphql::Request::new(query).variables(variables.clone());
    // On the planned path the plans render only what the client selected, whatever the
    // ordering: `__typename` is asked for only below the roots resolved field by field (the
    // introspection types have none of abstract type).
    request.set_parsed_query(match state.execution {
        Execution::Planned => prepared.to_plan.clone(),
        Execution::FieldByField => prepared.to_run.clone(),
    });
    if let Some(name) = &params.operation_name {
        request = request.operation_name(name.clone());
    }
    // Each role is served its own schema (under federation, every caller the subgraph's).
    let schema = state.schemas.for_role(caller.role()).clone();
    // A batcher per request: the caller's scope travels with every batch, caches never cross
    // callers. Its loads run in the request's own task, so their logs carry its ID.
    // Who writes, for the audit log: asked only of the roles whose schema has mutations.
    let actor = Actor {
        caller: caller.clone(),
        request_id,
    };
    let loader = Batcher::new(StoreLoader::new(state.store.clone(), caller).await);
    let clock = loader.clock();
    let shown = Arc::new(ContactsShown::default());
    let mut request = request.data(loader).data(shown.clone()).data(actor);
    if let Some(toll) = toll {
        request = request.data(RequestMeter(toll));
    }
    let mut executed = if prepared.weight.is_heavy() {
        execute_off_the_workers(schema, clock, request).await
    } else {
        clock.drive(schema.execute(request)).await
    };
    if let Some(logged) = logged {
        logged.log(&state.store, &shown);
    }
    order_response(
        &state.types,
        &prepared.document,
        params.operation_name.as_deref(),
        &variables,
        &mut executed,
        ordering,
    );
    answer(state, media, executed)
}

/// Runs a heavy request on the blocking pool, so that its validation and execution, which run
/// without yielding for as long as the document is large, hold no async worker that `/health`
/// and other clients are waiting for; the operating system shares the cores between them.
async fn execute_off_the_workers(
    schema: AtmpSchema,
    clock: Arc<Clock>,
    request: async_graphql::Request,
) -> Executed {
    let runtime = tokio::runtime::Handle::current();
    let run =
        tokio::task::spawn_blocking(move || runtime.block_on(clock.drive(schema.execute(request))));
    match run.await {
        Ok(response) => response,
        Err(error) => Executed::from_errors(vec![ApiError::Internal(format!(
            "a heavy request failed on the blocking pool: {error}"
        ))
        .into_server_error(None)]),
    }
}

/// What the read log keeps of a request whose answer may carry contact details.
struct Logged {
    /// The caller's key, or the person signed in.
    key: Option<uuid::Uuid>,
    signed_in: Option<SignedIn>,
    /// The query's text, hashed only when the answer carried contact details.
    text: String,
    operation: Option<String>,
}

impl Logged {
    /// Hands the read log an entry when the answer carried anybody's contact details: the
    /// store writes it off the request path.
    fn log(self, store: &Store, shown: &ContactsShown) {
        let people = shown.people();
        if people == 0 {
            return;
        }
        store.log_personal_data_read(PersonalDataRead {
            key: self.key,
            signed_in: self.signed_in,
            at: chrono::Utc::now(),
            operation_hash: sha256_hex(&self.text),
            operation_name: self.operation,
            people: u32::try_from(people).unwrap_or(u32::MAX),
        });
    }
}

/// Gives framework errors (validation, complexity) a code, as resolver errors have, and
/// names the limit a refused query is over.
fn with_code(mut error: ServerError, limits: &RequestLimits) -> ServerError {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return error;
    }
    let coded = if error.message.starts_with("Query is too complex") {
        ApiError::QueryTooComplex(format!(
            "the query's complexity is over {} (limit `max-complexity`): each field counts one, each connection once per row it may return",
            limits.max_complexity
        ))
    } else if error
        .message
        .starts_with("The recursion depth of the query")
    {
        ApiError::QueryTooComplex(format!(
            "the query nests selections and fragment spreads deeper than {} levels (limit `max-nesting`)",
            limits.query.max_nesting
        ))
    } else {
        ApiError::BadUserInput(error.message)
    }
    .into_server_error(None);
    // The message and code change; the locations and path stay.
    error.message = coded.message;
    error.extensions = coded.extensions;
    error
}

fn answer(state: &HttpState, media: Media, mut executed: Executed) -> Response {
    let errors = std::mem::take(&mut executed.response.errors);
    executed.response.errors = errors
        .into_iter()
        .map(|error| with_code(error, &state.limits))
        .collect();
    match respond(&executed) {
        Ok(body) => {
            let status = match (media, body.request_failed) {
                (Media::GraphqlResponse, true) => StatusCode::BAD_REQUEST,
                _ => StatusCode::OK,
            };
            let mut response = (status, body.bytes).into_response();
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
