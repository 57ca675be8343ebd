//! Column shapes shared by the first migrations. Frozen with them: a later migration that
//! needs another shape writes its own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The primary key: a UUID, deterministic (v5) for seeded records.
pub(crate) fn id() -> ColumnDef {
    ColumnDef::new("id").uuid().not_null().primary_key().take()
}

pub(crate) fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().take()
}

pub(crate) fn uuid_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().null().take()
}

pub(crate) fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().take()
}

pub(crate) fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

pub(crate) fn integer(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

pub(crate) fn integer_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().null().take()
}

/// A folded sort key compared byte by byte on both engines, so that an ordered list and
/// its keyset cursors give the same answer on SQLite and PostgreSQL whatever the locale.
pub(crate) fn sort_key(backend: DbBackend, name: &'static str) -> ColumnDef {
    let collation = match backend {
        DbBackend::Postgres => "COLLATE \"C\"",
        _ => "COLLATE BINARY",
    };
    ColumnDef::new(name)
        .text()
        .not_null()
        .extra(collation)
        .take()
}

/// Provenance of the record: `DOCUMENT`, `SAMPLE` or `GENERATED`, and which fields are samples.
pub(crate) fn provenance(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table.col(text("provenance")).col(
        ColumnDef::new("sample_fields")
            .text()
            .not_null()
            .default(""),
    )
}

/// A plain index named after its table and columns.
pub(crate) fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .if_not_exists()
        .name(format!("idx_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}
