//! `GET /health`, whether the process runs (liveness), and `GET /ready`, whether every source
//! answers (readiness). A load balancer stops sending requests while `/ready` fails; an
//! orchestrator restarts the process only when `/health` does, never because a database is.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::HttpState;

/// 200 `{"status":"ok"}` while the process serves requests. Touches no database.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 `{"status":"ready","sources":[…]}` when every source answers a ping, else 503
/// `{"status":"unavailable","sources":[…]}`; each source by its name, never its URL.
pub(crate) async fn ready(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    let mut all_ready = true;
    let mut sources = Vec::new();
    for source in state.store.readiness().await {
        let status = match &source.answer {
            Ok(()) => "ready",
            Err(error) => {
                all_ready = false;
                tracing::warn!(source = %source.name, error = ?error, "readiness: a source does not answer");
                "unavailable"
            }
        };
        sources.push(json!({ "name": source.name, "status": status }));
    }
    if all_ready {
        (
            StatusCode::OK,
            Json(json!({ "status": "ready", "sources": sources })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "sources": sources })),
        )
    }
}
