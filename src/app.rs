//! The one wiring function: from settings to a migrated, seeded store and a router.

use anyhow::Context;
use axum::Router;
use futures::future::join_all;

use crate::config::{shown_url, Config};
use crate::domain::{natural_id, RecordKind};
use crate::graphql::{AtmpSchema, Schemas};
use crate::http::RateLimiter;
use crate::identity::{IdentityProvider, JwksLocation};
use crate::store::Role;
use crate::store::{Source, Store};

/// The running service's parts.
pub struct App {
    pub router: Router,
    pub store: Store,
    /// The schema the public is served.
    pub schema: AtmpSchema,
    /// The schema each role is served.
    pub schemas: Schemas,
    /// The rate limits' counters.
    pub rate: RateLimiter,
}

/// Connects to the configured database and prepares it: migrations always, the seed
/// dataset when the database holds no institution yet.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = connect(config).await?;
    prepare(&store).await?;
    Ok(store)
}

/// Connects to the configured sources (or the one database), as they are. Every source is
/// opened at once, and every one that cannot be is reported together.
pub async fn connect(config: &Config) -> anyhow::Result<Store> {
    let specs = config.source_specs();
    if specs.is_empty() {
        let connection = Source::connect(&config.database_url, config.pool_settings())
            .await
            .with_context(|| {
                format!(
                    "could not open the database `{}`",
                    shown_url(&config.database_url)
                )
            })?;
        return Ok(Store::single(connection));
    }
    let pool = config.pool_settings();
    let opened = join_all(
        specs
            .iter()
            .map(|(spec, _)| Source::connect(&spec.url, pool)),
    )
    .await;
    let mut sources = Vec::new();
    let mut failures = Vec::new();
    for ((spec, timeout), connection) in specs.into_iter().zip(opened) {
        match connection {
            Ok(connection) => {
                let institutions = spec
                    .institutions
                    .iter()
                    .map(|code| (natural_id(RecordKind::Institution, code), code.clone()))
                    .collect();
                sources.push(Source::holding(
                    &spec.name(),
                    connection,
                    institutions,
                    timeout,
                ));
            }
            Err(error) => failures.push(format!(
                "source `{}` (`{}`): {error}",
                spec.name(),
                spec.shown_url()
            )),
        }
    }
    if !failures.is_empty() {
        anyhow::bail!("could not open the sources:\n  {}", failures.join("\n  "));
    }
    match config.keys_source.as_deref() {
        None => Ok(Store::new(sources)),
        Some(name) => Store::with_keys_in(sources, name)
            .with_context(|| format!("`keys-source` names no source: `{name}`")),
    }
}

/// Migrates the store, reads the secret cursors are sealed with, and seeds the store if it is
/// empty; of several sources, seeds each that is empty (a source added to the configuration)
/// with its institutions' part of the dataset and the identities every source keeps, and
/// writes nothing into the others.
pub async fn prepare(store: &Store) -> anyhow::Result<()> {
    store
        .migrate()
        .await
        .context("could not migrate the database")?;
    store
        .read_secret()
        .await
        .context("could not read the secret cursors are sealed with")?;
    let empty = store.empty_sources().await?;
    if empty.len() == store.sources().len() {
        tracing::info!("empty database: writing the Karolinska ATMP Center dataset");
        crate::seed::seed(store).await?;
    } else if !empty.is_empty() {
        tracing::warn!(
            sources = %empty.join(", "),
            "a source holds no records yet: writing its part of the Karolinska ATMP Center dataset"
        );
        crate::seed::seed_into(store, &empty).await?;
    }
    store
        .index_missing()
        .await
        .context("could not write the search terms and text keys")?;
    store
        .contacts_missing()
        .await
        .context("could not write the institutions people are appointed at")?;
    store
        .access_missing()
        .await
        .context("could not write who may read each person")?;
    store.refresh_institutions().await?;
    Ok(())
}

/// The identity provider staff sign in with, when one is configured, its keys read. A key
/// file that cannot be read or holds no usable key is a startup error: the setting is wrong.
/// A URL that does not answer (or not with usable keys) is not: the service starts, logs it,
/// answers tokens 503 until the keys can be read, and tries again each refetch interval, so
/// that the identity provider being down does not keep API keys and the public out.
pub async fn open_identity(config: &Config) -> anyhow::Result<Option<IdentityProvider>> {
    let Some(settings) = config.identity.settings() else {
        return Ok(None);
    };
    let provider = IdentityProvider::new(settings);
    if let Err(error) = provider.load().await {
        match provider.jwks() {
            JwksLocation::File(path) => anyhow::bail!(
                "could not read the identity provider's keys from `{}` (`jwt-jwks`): {error}",
                path.display()
            ),
            JwksLocation::Url(_) => tracing::error!(
                jwks = %provider.jwks(),
                %error,
                "could not read the identity provider's keys at startup: tokens are answered 503 \
                 until they can be read"
            ),
        }
    }
    Ok(Some(provider))
}

impl App {
    /// Opens the configured database and the identity provider, and wires the service over
    /// them.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        config.check()?;
        let store = open_store(config).await?;
        let identity = open_identity(config).await?;
        let app = App::with_parts(config, store, identity);
        // The first requests are counted where every replica counts them, if Redis answers.
        app.rate.settled().await;
        Ok(app)
    }

    /// Wires the service over a prepared store, with the identity provider configured if any
    /// (its keys read by the first token: see [`open_identity`] to read them first).
    pub fn with_store(config: &Config, store: Store) -> App {
        let identity = config.identity.settings().map(IdentityProvider::new);
        App::with_parts(config, store, identity)
    }

    /// Wires the service over a prepared store and an identity provider, starts probing the
    /// store's sources, listening for changes to its keys and refreshing the provider's keys
    /// (once per store and provider: see [`Store::watch`],
    /// [`Store::listen_for_key_changes`] and [`IdentityProvider::keep_fresh`]), and, with a
    /// Redis for the rate limits, connecting to it.
    pub fn with_parts(config: &Config, store: Store, identity: Option<IdentityProvider>) -> App {
        store.watch(config.source_probe_interval());
        store.listen_for_key_changes();
        let identity = identity.map(std::sync::Arc::new);
        if let Some(identity) = &identity {
            identity.keep_fresh();
        }
        let schemas = Schemas::build(config.request_limits(), config.execution, config.subgraph());
        let rate = RateLimiter::new(config);
        let router = crate::http::router(
            config,
            schemas.clone(),
            store.clone(),
            identity,
            rate.clone(),
        );
        App {
            router,
            store,
            schema: schemas.for_role(Role::Public).clone(),
            schemas,
            rate,
        }
    }
}
