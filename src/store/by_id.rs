//! Records by ID. An ID is unique across the sources, so a record is wherever a source that
//! answers holds it, whoever else does not answer: only an ID that no answering source holds
//! may name a record in a source that did not answer, and only its record is unavailable. Every
//! read by ID goes through here (`node`, `nodes`, `_entities`, and the references read by ID on
//! both execution paths), so each answers alike.

use sea_orm::sea_query::ExprTrait;
use uuid::Uuid;

use super::decode::{Columns, Row};
use super::list::{column, rows_of, select_rows, Listable};
use super::scope::Scope;
use super::{HashMap, Store, StoreError, Unanswered};

/// The records a read by ID found, and the sources that did not answer it.
#[derive(Debug)]
pub struct Records<M> {
    found: HashMap<Uuid, Row<M>>,
    /// The sources asked that did not answer: an ID none of the others holds may be there.
    missing: Vec<Unanswered>,
}

impl<M> Default for Records<M> {
    fn default() -> Self {
        Records {
            found: HashMap::default(),
            missing: Vec::new(),
        }
    }
}

impl<M> Records<M> {
    /// The record with this ID: `None` when every source asked answered and none holds it;
    /// where none that answered holds it and a source did not answer, that source (the record
    /// may be there).
    pub fn get(&self, id: &Uuid) -> Result<Option<Row<M>>, Unanswered> {
        match (self.found.get(id), self.missing.first()) {
            (Some(row), _) => Ok(Some(row.clone())),
            (None, Some(source)) => Err(source.clone()),
            (None, None) => Ok(None),
        }
    }
}

impl Store {
    /// The rows of `L` with the given IDs that the scope may see, with these columns read, from
    /// every source that answers; the sources that do not are named, not a failure.
    pub(crate) async fn rows_by_id<L: Listable>(
        &self,
        scope: &Scope,
        ids: &[Uuid],
        columns: Columns,
    ) -> Result<Records<L::Model>, StoreError> {
        let mut select = select_rows::<L>(scope, &L::Filter::default(), columns);
        select.and_where(column(L::TABLE, "id").is_in(ids.iter().copied()));
        let (answers, missing) = self
            .query_sources_partly::<L>(None, &select.finish())
            .await?;
        let mut found = HashMap::default();
        for answer in answers {
            for row in rows_of::<L::Model>(&answer, columns)? {
                found.insert(L::id(&row), Row::new(row, columns));
            }
        }
        Ok(Records { found, missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unanswered() -> Unanswered {
        Unanswered {
            source_name: "KUH".to_owned(),
            institutions: vec!["KUH".to_owned()],
            institution_ids: vec![Uuid::from_u128(2)],
        }
    }

    #[test]
    fn a_record_an_answering_source_holds_is_found_whoever_did_not_answer() {
        let held = Uuid::from_u128(10);
        let records = Records {
            found: [(held, Row::new("a KI cleanroom", Columns::id()))]
                .into_iter()
                .collect(),
            missing: vec![unanswered()],
        };

        assert_eq!(
            records.get(&held),
            Ok(Some(Row::new("a KI cleanroom", Columns::id())))
        );
        assert_eq!(records.get(&Uuid::from_u128(11)), Err(unanswered()));
    }

    #[test]
    fn an_id_no_source_holds_is_none_when_every_source_answered() {
        let records = Records::<&str>::default();

        assert_eq!(records.get(&Uuid::from_u128(11)), Ok(None));
    }
}
