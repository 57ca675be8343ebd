//! Startup maintenance: what the service reads and writes for itself, for no caller, before
//! it serves: whether a source is new (to be seeded), the index tables and the people's
//! audiences a database written before them still lacks, the in-memory list of institutions,
//! and the secret cursors are sealed with. A door of its own, beside the request's
//! ([`super::scope`]), the writes' ([`super::write`]) and the key table's ([`super::keys`]);
//! nothing a request reaches calls it.

// A door: it builds and runs statements on the service's own tables, which the workspace's
// clippy.toml forbids outside the doors.
#![expect(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "startup maintenance reads and writes for itself, for no caller"
)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::seal::{random_secret, Seal, SECRET_LENGTH};
use super::write::{contacts_of, write_contacts, Dataset};
use super::{search, text_key, Source, Store, StoreError};

/// The table of the service's own secrets, by name.
const SECRETS: &str = "service_secret";

/// The table of the institutions each person is appointed at.
const CONTACTS: &str = "person_contact";
/// The table of the people's audiences.
const PERSON_READERS: &str = "person_reader";

/// The name of the secret cursors are sealed with.
const CURSOR_SECRET: &str = "cursor";

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

impl Store {
    /// Writes, in each source whose `person_contact` is empty (a database written before it),
    /// the institutions each person is appointed at, from the appointments of every source
    /// (each source keeps only its own institutions' appointments, but every pair).
    pub async fn contacts_missing(&self) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        for source in self.sources() {
            if is_empty(source, CONTACTS).await? {
                missing.push(source);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let mut appointments = Vec::new();
        for source in self.sources() {
            appointments.extend(
                source
                    .maintain(|connection| async move {
                        entities::appointment::Entity::find().all(&connection).await
                    })
                    .await?,
            );
        }
        let contacts = contacts_of(&appointments);
        if contacts.is_empty() {
            return Ok(());
        }
        for source in missing {
            let txn = source.begin_write().await?;
            write_contacts(&txn, &contacts).await?;
            txn.commit().await?;
        }
        Ok(())
    }

    /// Composes the access of every source's rows from the whole where a source holds people
    /// but no audience of any (a database written before `person_reader`): the rows written
    /// before it are public and require nothing, as its migration's defaults say, and the
    /// people's audiences are derived from their appointments in every source.
    pub async fn access_missing(&self) -> Result<(), StoreError> {
        for source in self.sources() {
            if !is_empty(source, "person").await? && is_empty(source, PERSON_READERS).await? {
                tracing::info!(
                    source = source.name(),
                    "no audiences of people: composing every source's access"
                );
                return self.upsert_into(&Dataset::default(), &[]).await;
            }
        }
        Ok(())
    }
}

/// Every institution a source holds.
async fn institutions(source: &Source) -> Result<Vec<entities::institution::Model>, StoreError> {
    Ok(source
        .maintain(|connection| async move {
            entities::institution::Entity::find().all(&connection).await
        })
        .await?)
}

/// Whether `table` holds no row in `source`: an index table to fill.
async fn is_empty(source: &Source, table: &'static str) -> Result<bool, StoreError> {
    let mut first = Query::select();
    first.expr(Expr::val(1)).from(Alias::new(table)).limit(1);
    Ok(first_row(source, first).await?.is_none())
}

/// The first row `select` finds in `source`, read for no caller.
async fn first_row(
    source: &Source,
    select: sea_orm::sea_query::SelectStatement,
) -> Result<Option<sea_orm::QueryResult>, StoreError> {
    let select = &select;
    Ok(source
        .maintain(|connection| async move { connection.query_one(select).await })
        .await?)
}

impl Store {
    /// Reads the secret cursors are sealed with from the keys source, first creating it there
    /// if the source has none, and seals cursors with it from now on: every replica and every
    /// restart over that source opens the cursors of the others. Replicas starting at once
    /// agree: each offers a secret of its own where none is kept, and all keep the one the
    /// table holds after.
    pub async fn read_secret(&self) -> Result<(), StoreError> {
        let source = self.keys_source()?;
        let offered = random_secret().map_err(|error| {
            StoreError::Secret(format!("the system gave no randomness: {error}"))
        })?;
        offer_secret(source, CURSOR_SECRET, &STANDARD.encode(offered)).await?;
        let kept = kept_secret(source, CURSOR_SECRET).await?;
        let secret = STANDARD
            .decode(kept)
            .ok()
            .filter(|secret| secret.len() == SECRET_LENGTH)
            .ok_or_else(|| {
                StoreError::Secret(format!(
                    "the `{CURSOR_SECRET}` secret in table `{SECRETS}` is not {SECRET_LENGTH} bytes in base64"
                ))
            })?;
        self.set_seal(Seal::new(&secret));
        Ok(())
    }
}

/// Keeps `value` as the secret `name` in `source`, unless it holds one already.
async fn offer_secret(source: &Source, name: &'static str, value: &str) -> Result<(), StoreError> {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(SECRETS))
        .columns([Alias::new("name"), Alias::new("value")])
        .values([name.into(), value.into()])
        .map_err(|error| StoreError::Db(DbErr::Custom(error.to_string())))?
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .do_nothing()
                .to_owned(),
        );
    // Inserting what is already kept changes nothing: a retry is harmless.
    source
        .maintain(|connection| {
            let insert = insert.clone();
            async move { connection.execute(&insert).await.map(|_| ()) }
        })
        .await?;
    Ok(())
}

/// The secret `name` kept in `source`.
async fn kept_secret(source: &Source, name: &'static str) -> Result<String, StoreError> {
    let mut select = Query::select();
    select
        .column(Alias::new("value"))
        .from(Alias::new(SECRETS))
        .and_where(Expr::col(Alias::new("name")).eq(name));
    let row = first_row(source, select).await?;
    let row = row.ok_or_else(|| {
        StoreError::Secret(format!(
            "the `{name}` secret is missing from table `{SECRETS}`"
        ))
    })?;
    Ok(row.try_get("", "value")?)
}

#[cfg(test)]
mod tests {
    use futures::future::join_all;
    use uuid::Uuid;

    use super::super::page::{Cursor, SortValue};
    use super::super::seal::CursorSeal;
    use super::super::testing;
    use super::*;

    /// Whether a cursor that `maker` seals opens in `opener`.
    fn opens(maker: &Store, opener: &Store) -> bool {
        let cursor = Cursor {
            list: "unit".to_owned(),
            ordering: "NAME.ASC".to_owned(),
            filter: 0,
            keys: vec![
                SortValue::Text("Vecura".to_owned()),
                SortValue::Uuid(Uuid::nil()),
            ],
        };
        let text = CursorSeal::new(maker.seal(), None).seal(&cursor);
        CursorSeal::new(opener.seal(), None).open(&text).ok() == Some(cursor)
    }

    #[tokio::test]
    async fn stores_starting_at_once_over_one_database_agree_on_one_secret() {
        let database =
            testing::migrated("stores_starting_at_once_over_one_database_agree_on_one_secret")
                .await;
        let mut replicas = Vec::new();
        for _ in 0..4 {
            replicas.push(database.reopened().await);
        }

        let started = join_all(replicas.iter().map(Store::read_secret)).await;

        assert!(started.iter().all(Result::is_ok), "{started:?}");
        for maker in &replicas {
            for opener in &replicas {
                assert!(opens(maker, opener));
            }
        }
    }

    #[tokio::test]
    async fn a_restarted_store_opens_the_cursors_made_before_it_started() {
        let database =
            testing::migrated("a_restarted_store_opens_the_cursors_made_before_it_started").await;
        database.store.read_secret().await.unwrap();
        let restarted = database.reopened().await;
        assert!(
            !opens(&database.store, &restarted),
            "until it reads the kept secret, a store seals with one of its own"
        );

        restarted.read_secret().await.unwrap();

        assert!(opens(&database.store, &restarted));
        assert!(opens(&restarted, &database.store));
    }
}
