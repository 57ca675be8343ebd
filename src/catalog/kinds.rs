//! The catalog's record kinds as typed items: [`for_each_kind!`](super::for_each_kind) is
//! expanded here, once, into [`KindId`], a column enum per kind (`columns::unit::Column` …,
//! each column with its [`ColumnAccess`]), the table of each kind (`Units` …), the key of
//! each (`UnitId` …, a [`KindKey`]), a [`CatalogKind`] impl on each kind's entity, each row's
//! positional decoding (`store::Positional`) and [`kind_names!`]. Code that needs something
//! of every kind is generic over [`CatalogKind`] or walks [`KindId::ALL`]; code that must name
//! a Rust item per kind expands [`kind_names!`], which carries no annotation. Nothing else
//! restates the catalog's row grammar.

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

/// Who reads a column of the rows they read: the column's access annotation in the catalog
/// (README, "Roles and what they read").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnAccess {
    /// Every role that reads the row (no annotation).
    Public,
    /// `personal`: a person's contact detail. Staff read it for the people with an
    /// appointment (current or ended) at their institution and `null` for others; admins
    /// read everybody's; no other role reads it, or finds it in its schema. The store applies
    /// the rule to every statement that selects it (`store::scope`), the schema to the fields
    /// that show it (`graphql::access`). Only the people, read by their appointments, have
    /// such columns.
    Personal,
}

/// The columns a row's access is stored in, by its kind's access annotation: what the writer
/// composes from the rules (`store::access`) and the reads compare with the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marking {
    /// `open`: none.
    None,
    /// `marked`: the institution whose partners (and staff) may read the row, and the one
    /// whose staff alone may.
    Marked {
        /// Column `partner_of`.
        partner_of: Option<Uuid>,
        /// Column `internal_of`.
        internal_of: Option<Uuid>,
    },
    /// `appointed`: whether the public reads the person (an appointment of theirs is public).
    Appointed {
        /// Column `read_by_public`.
        read_by_public: bool,
    },
}

/// A column of a kind's table.
pub trait Column: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every column, in the entity's order.
    const ALL: &'static [Self];
    /// The column's name in the table.
    fn name(self) -> &'static str;
    /// The column's position in the entity (rows are decoded by position).
    fn index(self) -> usize;
    /// Who reads the column of the rows they read.
    fn access(self) -> ColumnAccess;
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
    /// The key a record of the kind is loaded by (`UnitId` …).
    type Key: KindKey<Kind = Self>;
    /// The row's primary key.
    fn id(row: &Self::Model) -> Uuid;
    /// The key of the record with this ID.
    fn key(id: Uuid) -> Self::Key;
    /// The institution owning a row, by [`OWNER`](Self::OWNER).
    fn owner_of(row: &Self::Model) -> Option<Uuid>;
    /// The row's access columns, as its kind's access annotation has them.
    fn marking(row: &Self::Model) -> Marking;
    /// Sets the row's access columns: a marking of another annotation than the kind's
    /// changes nothing.
    fn mark(row: &mut Self::Model, marking: Marking);
    /// The row's version (every kind has one: 1 when first written, one more with each change).
    fn version(row: &Self::Model) -> i32;
    /// Sets the row's version.
    fn set_version(row: &mut Self::Model, version: i32);
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

/// A column's access annotation as a [`ColumnAccess`]: none, or `personal`.
macro_rules! column_access {
    () => {
        super::super::ColumnAccess::Public
    };
    (personal) => {
        super::super::ColumnAccess::Personal
    };
}

/// The owning institution of a row, by the catalog's owner annotation.
macro_rules! owner_of {
    ($row:ident, shared) => {{
        let _ = $row;
        None
    }};
    ($row:ident, $column:ident) => {
        Some($row.$column)
    };
}

/// A row's access columns as a [`Marking`], by the catalog's access annotation.
macro_rules! marking {
    ($row:ident, open) => {{
        let _ = $row;
        super::super::Marking::None
    }};
    ($row:ident, marked) => {
        super::super::Marking::Marked {
            partner_of: $row.partner_of,
            internal_of: $row.internal_of,
        }
    };
    ($row:ident, appointed) => {
        super::super::Marking::Appointed {
            read_by_public: $row.read_by_public,
        }
    };
}

/// Sets a row's access columns from a [`Marking`], by the catalog's access annotation.
macro_rules! mark {
    ($row:ident, $marking:ident, open) => {{
        let _ = ($row, $marking);
    }};
    ($row:ident, $marking:ident, marked) => {
        if let super::super::Marking::Marked {
            partner_of,
            internal_of,
        } = $marking
        {
            $row.partner_of = partner_of;
            $row.internal_of = internal_of;
        }
    };
    ($row:ident, $marking:ident, appointed) => {
        if let super::super::Marking::Appointed { read_by_public } = $marking {
            $row.read_by_public = read_by_public;
        }
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
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident, $access:ident {
        $($column:ident $(: $column_access:ident)?),*
    };)*) => {
        kind_items!(@names ($) $($kind $module $table $key $plural)*);

        crate::store::positional! {
            $(entities::$module::Model { $($column),* })*
        }
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

            /// The names of the kind's columns annotated `personal`, in the entity's order.
            pub const fn personal(self) -> &'static [&'static str] {
                match self {
                    $(KindId::$kind => columns::$module::PERSONAL_NAMES,)*
                }
            }

            /// The kind whose GraphQL type is named `name`, if any.
            pub fn named(name: &str) -> Option<KindId> {
                KindId::ALL.iter().copied().find(|kind| kind.name() == name)
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

                        /// Who reads the column of the rows they read.
                        pub const fn access(self) -> super::super::ColumnAccess {
                            match self {
                                $(Column::$column => column_access!($($column_access)?),)*
                            }
                        }
                    }

                    /// How many columns are annotated `personal`.
                    const PERSONAL_COUNT: usize = {
                        let mut count = 0;
                        let mut at = 0;
                        while at < Column::ALL.len() {
                            if matches!(Column::ALL[at].access(), super::super::ColumnAccess::Personal) {
                                count += 1;
                            }
                            at += 1;
                        }
                        count
                    };

                    /// The columns annotated `personal`, in the entity's order.
                    pub const PERSONAL: &[Column] = &{
                        let mut personal = [Column::ALL[0]; PERSONAL_COUNT];
                        let mut count = 0;
                        let mut at = 0;
                        while at < Column::ALL.len() {
                            if matches!(Column::ALL[at].access(), super::super::ColumnAccess::Personal) {
                                personal[count] = Column::ALL[at];
                                count += 1;
                            }
                            at += 1;
                        }
                        personal
                    };

                    /// The names of the columns annotated `personal`.
                    pub const PERSONAL_NAMES: &[&str] = &{
                        let mut names = [""; PERSONAL_COUNT];
                        let mut at = 0;
                        while at < PERSONAL_COUNT {
                            names[at] = PERSONAL[at].as_str();
                            at += 1;
                        }
                        names
                    };

                    impl super::super::Column for Column {
                        const ALL: &'static [Column] = Column::ALL;

                        fn name(self) -> &'static str {
                            self.as_str()
                        }

                        fn index(self) -> usize {
                            self.position()
                        }

                        fn access(self) -> super::super::ColumnAccess {
                            Column::access(self)
                        }
                    }

                    impl super::super::CatalogKind for entities::$module::Entity {
                        const KIND: super::super::KindId = super::super::KindId::$kind;
                        type CatalogColumn = Column;
                        const OWNER: Option<Column> = owner_column!($owner);
                        type Key = super::super::keys::$key;

                        fn id(row: &entities::$module::Model) -> uuid::Uuid {
                            row.id
                        }

                        fn key(id: uuid::Uuid) -> super::super::keys::$key {
                            super::super::keys::$key(id)
                        }

                        fn owner_of(row: &entities::$module::Model) -> Option<uuid::Uuid> {
                            owner_of!(row, $owner)
                        }

                        fn marking(row: &entities::$module::Model) -> super::super::Marking {
                            marking!(row, $access)
                        }

                        fn mark(row: &mut entities::$module::Model, marking: super::super::Marking) {
                            mark!(row, marking, $access)
                        }

                        fn version(row: &entities::$module::Model) -> i32 {
                            row.version
                        }

                        fn set_version(row: &mut entities::$module::Model, version: i32) {
                            row.version = version;
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

    // `kind_names!`, written with the `$` its own matcher needs passed in as `$d`.
    (@names ($d:tt) $($kind:ident $module:ident $table:ident $key:ident $plural:ident)*) => {
        /// Calls `$callback!` with the name of every kind, one row each, in the catalog's
        /// order: `GraphQL type, entity module, store table, key type, dataset field;`. For
        /// the code that must name a Rust item per kind (a variant of the `Node` interface, a
        /// field of a dataset or an import document, a federation entity resolver); all else
        /// about a kind is in its typed items ([`KindId`], [`CatalogKind`]).
        macro_rules! kind_names {
            ($d callback:ident) => {
                $d callback! {
                    $($kind, $module, $table, $key, $plural;)*
                }
            };
        }

        pub(crate) use kind_names;
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
    fn the_personal_columns_are_a_persons_contact_details_and_only_people_have_any() {
        assert_eq!(KindId::Person.personal(), ["email", "phone"]);
        assert_eq!(
            person::PERSONAL,
            [person::Column::email, person::Column::phone]
        );
        assert_eq!(person::Column::email.access(), ColumnAccess::Personal);
        assert_eq!(person::Column::orcid.access(), ColumnAccess::Public);
        // The store's contact rule places a row's reader through its appointments.
        for kind in KindId::ALL {
            if kind.access() != ReadBy::Appointed {
                assert!(kind.personal().is_empty(), "{kind:?}");
            }
        }
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
