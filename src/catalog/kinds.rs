//! The catalog's record kinds as typed items: [`for_each_kind!`](super::for_each_kind) is
//! expanded here, once, into [`KindId`], a column enum per kind (`columns::unit::Column` …),
//! the table of each kind (`Units` …), the key of each (`UnitId` …, a [`KindKey`]) and a
//! [`CatalogKind`] impl on each kind's entity. Code
//! that needs something of every kind is generic over [`CatalogKind`] or walks
//! [`KindId::ALL`], instead of restating the catalog's row grammar.

use std::fmt::Debug;
use std::hash::Hash;

use sea_orm::EntityTrait;
use uuid::Uuid;

/// How the rows of a kind are read: the kind's access annotation in the catalog (README,
/// "Roles and what they read").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    /// Every row, whoever asks.
    Open,
    /// By the row's requirement (`store::access::Requirement`), in its columns `partner_of`
    /// and `internal_of`.
    Marked,
    /// By the audiences of the person, in `person_reader` (`store::access::audiences`).
    Appointed,
}

/// A column of a kind's table.
pub trait Column: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every column, in the entity's order.
    const ALL: &'static [Self];
    /// The column's name in the table.
    fn name(self) -> &'static str;
    /// The column's position in the entity (rows are decoded by position).
    fn index(self) -> usize;
}

/// A record kind of the catalog, implemented by the kind's SeaORM entity.
pub trait CatalogKind: EntityTrait + Default {
    /// The kind.
    const KIND: KindId;
    /// The columns of the kind's table (named apart from the entity's own `Column`).
    type CatalogColumn: Column;
    /// The column naming the institution that owns a row (`None` where every source keeps
    /// the kind).
    const OWNER: Option<Self::CatalogColumn>;
    /// The row's primary key.
    fn id(row: &Self::Model) -> Uuid;
}

/// The ID of a record of one kind (`UnitId` …), to load it by.
pub trait KindKey: Copy + Eq + Hash + Debug + Send + Sync + 'static {
    /// The kind of the record.
    type Kind: CatalogKind;
    /// The record's ID.
    fn id(self) -> Uuid;
}

/// The catalog's owner annotation as a typed column, unless every source keeps the kind.
macro_rules! owner_column {
    (shared) => {
        None
    };
    ($column:ident) => {
        Some(Column::$column)
    };
}

/// The catalog's owner annotation as a column name, unless every source keeps the kind.
macro_rules! owner_name {
    (shared) => {
        None
    };
    ($column:ident) => {
        Some(stringify!($column))
    };
}

/// The catalog's access annotation as a [`ReadBy`].
macro_rules! read_by {
    (open) => {
        ReadBy::Open
    };
    (marked) => {
        ReadBy::Marked
    };
    (appointed) => {
        ReadBy::Appointed
    };
}

macro_rules! kind_items {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident, $access:ident { $($column:ident),* };)*) => {
        /// A kind of record of the catalog. Part of every natural key, so kinds never collide.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum KindId {
            $(
                #[doc = concat!("Records of `", stringify!($kind), "`, in table `", stringify!($module), "`.")]
                $kind,
            )*
        }

        impl KindId {
            /// Every kind, in the catalog's order: the order of the schema's `Node` types and
            /// the order in which records are written (each after the kinds it references).
            pub const ALL: &'static [KindId] = &[$(KindId::$kind),*];

            /// The kind's GraphQL type name: `Unit`, `Cleanroom` …
            pub const fn name(self) -> &'static str {
                match self {
                    $(KindId::$kind => stringify!($kind),)*
                }
            }

            /// The kind's table (its entity module): `unit`, `cleanroom` …
            pub const fn table(self) -> &'static str {
                match self {
                    $(KindId::$kind => stringify!($module),)*
                }
            }

            /// The kind's field of a dataset, a seed or an import document: `units` …
            pub const fn plural(self) -> &'static str {
                match self {
                    $(KindId::$kind => stringify!($plural),)*
                }
            }

            /// The column naming the institution that owns a record, unless every source
            /// keeps the kind's records.
            pub const fn owner(self) -> Option<&'static str> {
                match self {
                    $(KindId::$kind => owner_name!($owner),)*
                }
            }

            /// Whether every source keeps every record of the kind (a person's identity, an
            /// institution: both are named by natural IDs, the same in every source).
            pub const fn is_shared(self) -> bool {
                self.owner().is_none()
            }

            /// How the kind's rows are read.
            pub const fn access(self) -> ReadBy {
                match self {
                    $(KindId::$kind => read_by!($access),)*
                }
            }

            /// The kind whose table is `table`, if any.
            pub fn of_table(table: &str) -> Option<KindId> {
                KindId::ALL.iter().copied().find(|kind| kind.table() == table)
            }
        }

        /// The columns of each kind's table, one module per kind: `columns::unit::Column` ….
        pub mod columns {
            $(
                #[doc = concat!("The columns of table `", stringify!($module), "`.")]
                pub mod $module {
                    #[doc = concat!("A column of table `", stringify!($module), "`, named as in the table, in the entity's order.")]
                    #[allow(non_camel_case_types)]
                    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                    pub enum Column {
                        $(
                            #[doc = concat!("Column `", stringify!($column), "`.")]
                            $column,
                        )*
                    }

                    impl Column {
                        /// Every column, in the entity's order.
                        pub const ALL: &'static [Column] = &[$(Column::$column),*];

                        /// The column's name in the table.
                        pub const fn as_str(self) -> &'static str {
                            match self {
                                $(Column::$column => stringify!($column),)*
                            }
                        }

                        /// The column's position in the entity.
                        pub const fn position(self) -> usize {
                            self as usize
                        }
                    }

                    impl super::super::Column for Column {
                        const ALL: &'static [Column] = Column::ALL;

                        fn name(self) -> &'static str {
                            self.as_str()
                        }

                        fn index(self) -> usize {
                            self.position()
                        }
                    }

                    impl super::super::CatalogKind for entities::$module::Entity {
                        const KIND: super::super::KindId = super::super::KindId::$kind;
                        type CatalogColumn = Column;
                        const OWNER: Option<Column> = owner_column!($owner);

                        fn id(row: &entities::$module::Model) -> uuid::Uuid {
                            row.id
                        }
                    }
                }
            )*
        }

        /// The IDs of each kind's records, by the names the store and the schema use: `UnitId` ….
        pub mod keys {
            $(
                #[doc = concat!("The ID of a record of `", stringify!($kind), "`, to load it by.")]
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                pub struct $key(pub uuid::Uuid);

                impl super::KindKey for $key {
                    type Kind = entities::$module::Entity;

                    fn id(self) -> uuid::Uuid {
                        self.0
                    }
                }
            )*
        }

        /// The table of each kind, by the name the store and the schema use: `Units` ….
        pub mod tables {
            $(
                #[doc = concat!("The table of `", stringify!($kind), "` records.")]
                pub type $table = entities::$module::Entity;
            )*
        }
    };
}

super::for_each_kind!(kind_items);

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::columns::{person, unit};
    use super::*;

    #[test]
    fn every_kind_names_its_table_and_is_found_by_it() {
        let tables: Vec<&str> = KindId::ALL.iter().map(|kind| kind.table()).collect();

        assert_eq!(
            tables,
            [
                "institution",
                "unit",
                "person",
                "appointment",
                "cleanroom",
                "product",
                "trial",
                "accreditation",
                "milestone"
            ]
        );
        for kind in KindId::ALL {
            assert_eq!(KindId::of_table(kind.table()), Some(*kind));
        }
        assert_eq!(KindId::of_table("person_reader"), None);
        assert_eq!(KindId::of_table("Unit"), None);
    }

    #[test]
    fn the_shared_kinds_are_the_institutions_and_the_people() {
        let shared: Vec<KindId> = KindId::ALL
            .iter()
            .copied()
            .filter(|kind| kind.is_shared())
            .collect();

        assert_eq!(shared, [KindId::Institution, KindId::Person]);
        assert_eq!(KindId::Cleanroom.owner(), Some("institution_id"));
        assert_eq!(KindId::Person.owner(), None);
    }

    #[test]
    fn each_kind_reads_its_rows_as_the_catalog_annotates() {
        assert_eq!(KindId::Institution.access(), ReadBy::Open);
        assert_eq!(KindId::Person.access(), ReadBy::Appointed);
        assert_eq!(KindId::Trial.access(), ReadBy::Marked);
        assert_eq!(KindId::Unit.name(), "Unit");
        assert_eq!(KindId::Accreditation.plural(), "accreditations");
    }

    /// The catalog's columns of `E`, checked against the entity's own.
    /// The kind a key of type `K` names a record of.
    fn kind_of<K: KindKey>(_key: K) -> KindId {
        <K::Kind as CatalogKind>::KIND
    }

    #[test]
    fn each_key_names_a_record_of_its_own_kind() {
        let id = Uuid::from_u128(7);

        assert_eq!(kind_of(keys::UnitId(id)), KindId::Unit);
        assert_eq!(kind_of(keys::PersonId(id)), KindId::Person);
        assert_eq!(kind_of(keys::MilestoneId(id)), KindId::Milestone);
        assert_eq!(KindKey::id(keys::CleanroomId(id)), id);
    }

    /// Checks the catalog's columns of `E` against the entity's own; gives its kind.
    fn columns_of<E: CatalogKind>() -> KindId {
        let entity: Vec<&str> = <E as EntityTrait>::Column::iter()
            .map(|column| column.as_str())
            .collect();
        let catalog: Vec<&str> = <E::CatalogColumn as Column>::ALL
            .iter()
            .map(|column| column.name())
            .collect();
        let indexes: Vec<usize> = <E::CatalogColumn as Column>::ALL
            .iter()
            .map(|column| column.index())
            .collect();

        assert_eq!(catalog, entity, "{}", E::default().table_name());
        assert_eq!(indexes, (0..entity.len()).collect::<Vec<_>>());
        assert_eq!(E::KIND.table(), E::default().table_name());
        assert_eq!(E::KIND.owner(), E::OWNER.map(Column::name));
        E::KIND
    }

    #[test]
    fn each_kinds_columns_are_its_entitys_in_their_order() {
        let checked = [
            columns_of::<entities::institution::Entity>(),
            columns_of::<entities::unit::Entity>(),
            columns_of::<entities::person::Entity>(),
            columns_of::<entities::appointment::Entity>(),
            columns_of::<entities::cleanroom::Entity>(),
            columns_of::<entities::product::Entity>(),
            columns_of::<entities::trial::Entity>(),
            columns_of::<entities::accreditation::Entity>(),
            columns_of::<entities::milestone::Entity>(),
        ];

        assert_eq!(
            checked,
            KindId::ALL,
            "a kind of the catalog is not checked here"
        );
        assert_eq!(unit::Column::short_name.as_str(), "short_name");
        assert_eq!(person::Column::email.position(), 5);
    }
}
