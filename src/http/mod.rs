//! HTTP: the axum router (GraphQL, GraphiQL, health and readiness), its layers, and the server loop with
//! graceful shutdown.

// Requests are shaped by clients: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

mod auth;
mod graphiql;
mod graphql;
mod health;
mod rate;
mod request_log;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{header, Method, StatusCode};
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::config::Config;
use crate::graphql::{sdl, DocumentCache, Execution, RequestLimits, Schemas, TypeMap};
use crate::identity::IdentityProvider;
use crate::store::Store;
pub use rate::RateLimiter;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct HttpState {
    /// The schema of each role: a request is run on its caller's.
    pub schemas: Schemas,
    pub store: Store,
    pub max_body_bytes: usize,
    pub limits: RequestLimits,
    /// The types of the widest schema (every other is a part of it), to put answers in the
    /// order of their selection sets.
    pub types: Arc<TypeMap>,
    /// Documents checked and prepared before, by their text.
    pub documents: Arc<DocumentCache>,
    /// How the schema resolves fields.
    pub execution: Execution,
    /// The identity provider whose tokens staff sign in with, if one is configured.
    pub identity: Option<Arc<IdentityProvider>>,
    /// What each caller may spend, and what it has.
    pub rate: RateLimiter,
}

/// The service's routes and layers.
pub fn router(
    config: &Config,
    schemas: Schemas,
    store: Store,
    identity: Option<Arc<IdentityProvider>>,
    rate: RateLimiter,
) -> Router {
    let state = HttpState {
        rate,
        store,
        identity,
        max_body_bytes: config.max_body_bytes,
        limits: config.request_limits(),
        types: Arc::new(TypeMap::from_sdl(&sdl(schemas.widest()))),
        documents: Arc::new(DocumentCache::new(config.document_cache_size)),
        execution: config.execution,
        schemas,
    };
    let routes = Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql)
                .post(graphql::post_graphql)
                .fallback(graphql::method_not_allowed),
        )
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .with_state(state)
        .merge(graphiql::routes("/graphql"));
    with_layers(routes, config)
}

/// The layers every route runs under, outermost first: a request ID (the client's
/// `x-request-id` if usable, else a UUID), the request's span and its one log line, the ID
/// answered in `x-request-id`, the panic guard, the request timeout, and CORS.
pub fn with_layers(routes: Router, config: &Config) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            request_log::REQUEST_ID,
        ])
        .expose_headers([
            request_log::REQUEST_ID,
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            rate::RATE_LIMIT_POLICY,
            rate::RATE_LIMIT,
        ])
        .max_age(Duration::from_secs(3600));
    let trace = TraceLayer::new_for_http()
        .make_span_with(request_log::request_span)
        .on_request(())
        .on_response(request_log::log_response)
        .on_body_chunk(())
        .on_eos(())
        // Each request's line has its status, and failures are logged where they happen.
        .on_failure(());
    // `Router::layer` wraps what is there already: the last layer added runs first.
    routes
        .layer(cors)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout(),
        ))
        // Inside the span, so that a panic is logged with the request's ID.
        .layer(CatchPanicLayer::custom(request_log::answer_panic))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(
            request_log::drop_unusable_request_id,
        ))
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
    // Each request knows the address it came from: the public is rate limited per address.
    axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
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
