//! HTTP: the axum router (GraphQL, GraphiQL, health), its layers, and the server loop with
//! graceful shutdown.

// Requests are shaped by clients: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

mod graphiql;
mod graphql;
mod health;

use std::time::Duration;

use anyhow::Context;
use axum::http::{header, Method, StatusCode};
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::config::Config;
use crate::graphql::AtmpSchema;
use crate::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct HttpState {
    pub schema: AtmpSchema,
    pub store: Store,
    pub max_body_bytes: usize,
    pub loader_delay: Duration,
}

/// The service's routes and layers.
pub fn router(config: &Config, schema: AtmpSchema, store: Store) -> Router {
    let state = HttpState {
        schema,
        store,
        max_body_bytes: config.max_body_bytes,
        loader_delay: config.loader_delay(),
    };
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(Duration::from_secs(3600));
    Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql)
                .post(graphql::post_graphql)
                .fallback(graphql::method_not_allowed),
        )
        .route("/health", get(health::health))
        .with_state(state)
        .merge(graphiql::routes("/graphql"))
        .layer(cors)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout(),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
}

/// Whether GraphiQL's JavaScript and CSS are built into this binary (else the page uses a CDN).
pub fn graphiql_assets_embedded() -> bool {
    graphiql::assets_embedded()
}

/// Serves `app` until Ctrl-C or SIGTERM, letting requests in flight finish.
pub async fn serve(app: App, config: &Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("could not listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if !graphiql::assets_embedded() {
        tracing::warn!(
            "GraphiQL's assets were not bundled at build time (no npm?): the page loads them from a CDN and needs internet access"
        );
    }
    tracing::info!("GraphiQL at http://{address}/ and GraphQL at http://{address}/graphql");
    axum::serve(listener, app.router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    app.store.close().await?;
    tracing::info!("shut down");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
