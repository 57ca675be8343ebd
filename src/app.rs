//! The one wiring function: from settings to a migrated, seeded store and a router.

use anyhow::Context;
use axum::Router;

use crate::config::Config;
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

/// Connects to the configured database, as it is.
pub async fn connect(config: &Config) -> anyhow::Result<Store> {
    let connection = Source::connect(&config.database_url, config.pool_settings())
        .await
        .with_context(|| format!("could not open the database `{}`", config.database_url))?;
    Ok(Store::single(connection))
}

/// Migrates the store and seeds it if it is empty.
pub async fn prepare(store: &Store) -> anyhow::Result<()> {
    store
        .migrate()
        .await
        .context("could not migrate the database")?;
    if store.is_empty().await? {
        tracing::info!("empty database: writing the Karolinska ATMP Center dataset");
        crate::seed::seed(store).await?;
    }
    store
        .index_search()
        .await
        .context("could not write the search terms")?;
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

    /// Wires the service over a prepared store.
    pub fn with_store(config: &Config, store: Store) -> App {
        let schema = build_schema(config.request_limits(), config.execution, config.federation);
        let router = crate::http::router(config, schema.clone(), store.clone());
        App {
            router,
            store,
            schema,
        }
    }
}
