//! `GET /health`, whether the process runs (liveness), and `GET /ready`, whether every source
//! answers (readiness), as the store's probe and reads last found. A load balancer stops sending requests while `/ready` fails; an
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

/// 200 `{"status":"ready","sources":[…]}` when every source answers, else 503
/// `{"status":"unavailable","sources":[…]}`; each source by its name, never its URL. Read from
/// what the sources' reads and their probe last found, so it answers at once, and a source
/// going down or coming back is logged there, once.
pub(crate) async fn ready(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    let readiness = state.store.readiness();
    let all_ready = readiness.iter().all(|source| source.answering);
    let sources: Vec<Value> = readiness
        .iter()
        .map(|source| {
            let status = if source.answering {
                "ready"
            } else {
                "unavailable"
            };
            json!({ "name": source.name, "status": status })
        })
        .collect();
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
