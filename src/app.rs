//! The one wiring function: from settings to a migrated, seeded store and a router.

use anyhow::Context;
use axum::Router;
use futures::future::join_all;

use crate::config::{shown_url, Config};
use crate::domain::{natural_id, RecordKind};
use crate::graphql::{build_schema, AtmpSchema};
use crate::store::{Source, Store};

/// The running service's parts.
pub struct App {
    pub router: Router,
    pub store: Store,
    pub schema: AtmpSchema,
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
        .access_missing()
        .await
        .context("could not write who may read each person")?;
    store.refresh_institutions().await?;
    Ok(())
}

impl App {
    /// Opens the configured database and wires the service over it.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        config.check()?;
        let store = open_store(config).await?;
        Ok(App::with_store(config, store))
    }

    /// Wires the service over a prepared store, starts probing its sources and listening for
    /// changes to its keys (once per store: see [`Store::watch`] and
    /// [`Store::listen_for_key_changes`]).
    pub fn with_store(config: &Config, store: Store) -> App {
        store.watch(config.source_probe_interval());
        store.listen_for_key_changes();
        let schema = build_schema(config.request_limits(), config.execution, config.federation);
        let router = crate::http::router(config, schema.clone(), store.clone());
        App {
            router,
            store,
            schema,
        }
    }
}
