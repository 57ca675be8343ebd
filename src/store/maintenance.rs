//! Startup maintenance: what the service reads and writes for itself, for no caller, before
//! it serves: whether a source is new (to be seeded), the index tables a database written
//! before them still lacks, and the in-memory list of institutions. A door of its own, beside
//! the request's ([`super::scope`]) and the writes' ([`super::write`]): only this module runs
//! [`Source::maintain`], and nothing a request reaches calls it.

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::write::Dataset;
use super::{search, text_key, Source, Store, StoreError};

impl Store {
    /// Whether no source holds any institution yet (a new database, to be seeded).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.empty_sources().await?.len() == self.sources().len())
    }

    /// The names of the sources that hold no institution yet: new databases, to be seeded.
    pub async fn empty_sources(&self) -> Result<Vec<&str>, StoreError> {
        let mut empty = Vec::new();
        for source in self.sources() {
            if institutions(source).await?.is_empty() {
                empty.push(source.name());
            }
        }
        Ok(empty)
    }

    /// Reloads the in-memory list of institutions from the sources.
    pub async fn refresh_institutions(&self) -> Result<(), StoreError> {
        let mut all = Vec::new();
        for source in self.sources() {
            for institution in institutions(source).await? {
                if !all
                    .iter()
                    .any(|i: &entities::institution::Model| i.id == institution.id)
                {
                    all.push(institution);
                }
            }
        }
        all.sort_by(|a, b| a.code.cmp(&b.code));
        self.set_institutions(all);
        Ok(())
    }

    /// Writes, in each source whose index tables are empty (a database written before them,
    /// or by hand), the search terms and text keys of every record it holds.
    #[expect(
        clippy::disallowed_methods,
        reason = "startup maintenance writes the index rows in a transaction of its own"
    )]
    pub async fn index_missing(&self) -> Result<(), StoreError> {
        for source in self.sources() {
            let search = is_empty(source, search::TABLE).await?;
            let text_keys = is_empty(source, text_key::TABLE).await?;
            if !search && !text_keys {
                continue;
            }
            let txn = source.begin_write().await?;
            Dataset::read_all(&txn)
                .await?
                .index(&txn, search, text_keys)
                .await?;
            txn.commit().await?;
        }
        Ok(())
    }
}

/// Every institution a source holds.
#[expect(
    clippy::disallowed_methods,
    reason = "startup maintenance reads the institutions for itself, for no caller"
)]
async fn institutions(source: &Source) -> Result<Vec<entities::institution::Model>, StoreError> {
    Ok(source
        .maintain(|connection| async move {
            entities::institution::Entity::find().all(&connection).await
        })
        .await?)
}

/// Whether `table` holds no row in `source`: an index table to fill.
#[expect(
    clippy::disallowed_methods,
    reason = "startup maintenance asks whether an index table is empty, for no caller"
)]
async fn is_empty(source: &Source, table: &'static str) -> Result<bool, StoreError> {
    let first = source
        .maintain(|connection| async move {
            connection
                .query_one(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(Alias::new(table))
                        .limit(1),
                )
                .await
        })
        .await?;
    Ok(first.is_none())
}
