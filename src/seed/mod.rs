//! The Karolinska ATMP Center dataset, bundled in the binary and imported through the same
//! validation as any other document. Natural keys give every record the same ID on every
//! database and at every run, and the upsert makes seeding repeatable.

use anyhow::Context;

use crate::import::parse_json;
use crate::store::{Dataset, Store};

mod generate;

pub use generate::{generate, GenerateOptions};

/// The bundled document: every fact of the web page "About the Karolinska ATMP Center"
/// (content reviewer: Sabina Bossi), which gives no address of its own.
const ATMP_CENTER: &str = include_str!("atmp_center.json");

/// The bundled dataset, validated.
pub fn dataset() -> anyhow::Result<Dataset> {
    parse_json(ATMP_CENTER).context("the bundled seed dataset is invalid")
}

/// Writes the bundled dataset into the sources with these names only: the records of their
/// institutions and the shared identities (insert or replace, by ID).
pub async fn seed_into(store: &Store, names: &[&str]) -> anyhow::Result<()> {
    let dataset = dataset()?;
    store
        .upsert_into(&dataset, names)
        .await
        .context("could not write the seed dataset")?;
    tracing::info!(source = %dataset.source, sources = %names.join(", "), "seed dataset written");
    Ok(())
}

/// Writes the bundled dataset into the store (insert or replace, by ID).
pub async fn seed(store: &Store) -> anyhow::Result<()> {
    let dataset = dataset()?;
    store
        .upsert(&dataset)
        .await
        .context("could not write the seed dataset")?;
    tracing::info!(source = %dataset.source, "seed dataset written");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_dataset_is_valid() {
        let dataset = super::dataset();
        assert!(dataset.is_ok(), "{dataset:?}");
    }
}
