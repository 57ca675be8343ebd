//! `record_type!`: a record type declared once, field by field, for both execution paths.

/// Declares a record type: the GraphQL type whose values are the rows of one table, with each
/// of its fields written once — its doc comment (its description), GraphQL name, Rust name,
/// type and source. From that one list come the planned path's fields ([`Record`]: each leaf
/// a synchronous function over the row, the columns it reads, each reference and connection
/// planned), and the `#[Object]` resolvers of the field-by-field path, docs included.
///
/// ```text
/// record_type! {
///     /// The type's description.
///     Type: store::Table {
///         id;                       // its global ID
///         /// doc
///         leaf "name" rust_name: Type = |column, …| body;
///         /// doc (a leaf that uses the request)
///         leaf "name" rust_name: Type = |ctx; column, …| body returning Result<Type, ApiError>;
///         /// doc (a contact detail: for the roles that read it, noted in the read log)
///         personal "name" rust_name: Option<&str> = column;
///         /// doc
///         reference "name" rust_name: Target = column;          // non-null
///         reference "name" rust_name: Option<Target> = column;  // nullable
///         provenance;               // where its facts come from
///         visibility;               // its owner's marking
///         version;                  // its version, for optimistic concurrency
///         /// doc
///         connection "name" rust_name: ChildType = store::Relation;
///     }
/// }
/// ```
///
/// A leaf's columns are its parameters: the body sees those and no other part of the row, so
/// the columns the plan reads for it are the ones it uses (an unused one does not pass
/// clippy, and a name that is no column of the row does not compile). On both paths a field
/// is answered only from a row read with every column it reads ([`Row::has`]); from any other
/// it is `null` with an internal error, never a filler the row holds in the column's place.
///
/// [`Record`]: crate::graphql::plan::Record
/// [`Row::has`]: crate::store::Row::has
macro_rules! record_type {
    (
        $(#[doc = $doc:literal])*
        $record:ident: $table:ty {
            $($fields:tt)*
        }
    ) => {
        // `planner` and `fields` are named here, once, for every step below: each step is an
        // expansion of its own, whose local names the others would not see.
        $crate::graphql::plan::record_type!(@field
            [$(#[doc = $doc])*] $record [$table] (planner fields)
            plan [] resolvers [] connections [] declared []
            $($fields)*
        );
    };

    // The global ID.
    (@field $head:tt $record:ident [$table:ty] $names:tt
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        id; $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] $names
            plan [$($plan)*
                "id" => $crate::graphql::plan::FieldPlan::Leaf(|record: &$record, out| {
                    out.global_id(
                        <$record as $crate::graphql::node::Catalogued>::NODE,
                        <$table as $crate::store::Kind>::id(&record.0),
                    );
                    Ok(())
                }),
            ]
            resolvers [$($resolvers)*
                /// Opaque global ID, stable across restarts and databases.
                pub async fn id(&self) -> async_graphql::ID {
                    $crate::graphql::node::global_id(
                        <$record as $crate::graphql::node::Catalogued>::NODE,
                        <$table as $crate::store::Kind>::id(&self.0),
                    )
                }
            ]
            connections [$($connections)*]
            declared [$($declared)* ("id", $crate::store::Columns::id()),]
            $($rest)*
        );
    };

    // Where the record's facts come from.
    (@field $head:tt $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        provenance; $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] ($planner $fields)
            plan [$($plan)*
                "provenance" => $planner.provenance($fields, |record: &$record| {
                    let row = &record.0;
                    row.has($crate::graphql::plan::provenance_columns::<
                        <$table as $crate::store::Kind>::Model,
                    >())
                    .then(|| $crate::graphql::Provenance::of(row.provenance, &row.sample_fields))
                }),
            ]
            resolvers [$($resolvers)*
                /// Where this record's facts come from.
                async fn provenance(
                    &self,
                ) -> Result<$crate::graphql::Provenance, $crate::graphql::ApiError> {
                    let row = &self.0;
                    let columns = $crate::graphql::plan::provenance_columns::<
                        <$table as $crate::store::Kind>::Model,
                    >();
                    if !row.has(columns) {
                        return Err($crate::graphql::plan::unread(stringify!($record), "provenance"));
                    }
                    Ok($crate::graphql::Provenance::of(row.provenance, &row.sample_fields))
                }
            ]
            connections [$($connections)*]
            declared [$($declared)*
                ("provenance", $crate::graphql::plan::provenance_columns::<
                    <$table as $crate::store::Kind>::Model,
                >()),
            ]
            $($rest)*
        );
    };

    // The owner's marking: a leaf, with the description every owned kind shares.
    (@field $head:tt $record:ident [$table:ty] $names:tt
        plan $plan:tt resolvers $resolvers:tt connections $connections:tt declared $declared:tt
        visibility; $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] $names
            plan $plan resolvers $resolvers connections $connections declared $declared
            /// Who its institution shows it to: `PUBLIC` (everyone), `PARTNER` (its partners and staff) or `INTERNAL` (its staff). The record's own marking: a caller reads a record only where it reads the records it references too.
            leaf "visibility" visibility: $crate::graphql::Visibility =
                |visibility| (*visibility).into();
            $($rest)*
        );
    };

    // The record's version, with the description every kind shares.
    (@field $head:tt $record:ident [$table:ty] $names:tt
        plan $plan:tt resolvers $resolvers:tt connections $connections:tt declared $declared:tt
        version; $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] $names
            plan $plan resolvers $resolvers connections $connections declared $declared
            /// The record's version: 1 when it was first written, one more with each change. An update or delete names the version it was made against, and changes nothing when the record has moved on since (`STALE`).
            leaf "version" version: i32 = |version| *version;
            $($rest)*
        );
    };

    // A leaf that uses the request: its body answers a `Result`.
    (@field $head:tt $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        $(#[doc = $doc:literal])*
        leaf $name:literal $method:ident: $type:ty = |$ctx:ident; $($column:ident),+| $body:expr;
        $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] ($planner $fields)
            plan [$($plan)*
                $name => {
                    const COLUMNS: $crate::store::Columns =
                        $crate::store::columns!(<$table as $crate::store::Kind>::Model: $($column),+);
                    $planner.needs::<$table>(COLUMNS);
                    $crate::graphql::plan::FieldPlan::Leaf(|record: &$record, out| {
                        let row = &record.0;
                        if !row.has(COLUMNS) {
                            return Err($crate::graphql::plan::unread(stringify!($record), $name));
                        }
                        let $ctx = out.ctx();
                        $(let $column = &row.$column;)+
                        let value: Result<$type, $crate::graphql::ApiError> = $body;
                        $crate::graphql::plan::Leaf::write(value?, out);
                        Ok(())
                    })
                }
            ]
            resolvers [$($resolvers)*
                $(#[doc = $doc])*
                #[graphql(name = $name)]
                async fn $method(
                    &self,
                    $ctx: &async_graphql::Context<'_>,
                ) -> Result<$type, $crate::graphql::ApiError> {
                    let row = &self.0;
                    if !row.has($crate::store::columns!(
                        <$table as $crate::store::Kind>::Model: $($column),+
                    )) {
                        return Err($crate::graphql::plan::unread(stringify!($record), $name));
                    }
                    $(let $column = &row.$column;)+
                    $body
                }
            ]
            connections [$($connections)*]
            declared [$($declared)*
                ($name, $crate::store::columns!(<$table as $crate::store::Kind>::Model: $($column),+)),
            ]
            $($rest)*
        );
    };

    // A personal column (a contact detail, a column the catalog annotates `personal`): checked
    // against the caller's role before its column is (a role that may not read it reads its
    // row without it), and noted in the read log when shown. Which roles read it is the
    // catalog's annotation (`graphql::access::RESTRICTED`).
    (@field $head:tt $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        $(#[doc = $doc:literal])*
        personal $name:literal $method:ident: $type:ty = $column:ident;
        $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] ($planner $fields)
            plan [$($plan)*
                $name => {
                    const COLUMNS: $crate::store::Columns =
                        $crate::store::columns!(<$table as $crate::store::Kind>::Model: $column);
                    $planner.needs::<$table>(COLUMNS);
                    $crate::graphql::plan::FieldPlan::Leaf(|record: &$record, out| {
                        let row = &record.0;
                        let value: $type = $crate::graphql::access::personal(
                            out.ctx(),
                            stringify!($record),
                            $name,
                            row.id,
                            || match row.has(COLUMNS) {
                                true => Ok(row.$column.as_deref()),
                                false => Err($crate::graphql::plan::unread(stringify!($record), $name)),
                            },
                        )?;
                        $crate::graphql::plan::Leaf::write(value, out);
                        Ok(())
                    })
                }
            ]
            resolvers [$($resolvers)*
                $(#[doc = $doc])*
                #[graphql(name = $name)]
                async fn $method(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                ) -> Result<$type, $crate::graphql::ApiError> {
                    let row = &self.0;
                    $crate::graphql::access::personal(ctx, stringify!($record), $name, row.id, || {
                        match row.has($crate::store::columns!(
                            <$table as $crate::store::Kind>::Model: $column
                        )) {
                            true => Ok(row.$column.as_deref()),
                            false => Err($crate::graphql::plan::unread(stringify!($record), $name)),
                        }
                    })
                }
            ]
            connections [$($connections)*]
            declared [$($declared)*
                ($name, $crate::store::columns!(<$table as $crate::store::Kind>::Model: $column)),
            ]
            $($rest)*
        );
    };

    // A leaf over the row's columns: a leaf that leaves the request unused.
    (@field $head:tt $record:ident [$table:ty] $names:tt
        plan $plan:tt resolvers $resolvers:tt connections $connections:tt declared $declared:tt
        $(#[doc = $doc:literal])*
        leaf $name:literal $method:ident: $type:ty = |$($column:ident),+| $body:expr;
        $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] $names
            plan $plan resolvers $resolvers connections $connections declared $declared
            $(#[doc = $doc])*
            leaf $name $method: $type = |_ctx; $($column),+| Ok($body);
            $($rest)*
        );
    };

    // A nullable reference: null where the column is.
    (@field $head:tt $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        $(#[doc = $doc:literal])*
        reference $name:literal $method:ident: Option<$target:ty> = $column:ident;
        $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] ($planner $fields)
            plan [$($plan)*
                $name => $crate::graphql::plan::reference!(
                    $planner $fields $record [$table] $target, $column, false
                ),
            ]
            resolvers [$($resolvers)*
                $(#[doc = $doc])*
                #[graphql(name = $name)]
                async fn $method(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                ) -> Result<Option<$target>, $crate::graphql::ApiError> {
                    $crate::graphql::plan::reference!(check $record [$table] $name, self.0, $column);
                    let Some(id) = $crate::graphql::plan::Key::key(self.0.$column) else {
                        return Ok(None);
                    };
                    let key = <$target as $crate::graphql::node::Catalogued>::key(id);
                    Ok($crate::graphql::record(ctx, key)
                        .await?
                        .map(<$target as $crate::graphql::plan::Record>::of))
                }
            ]
            connections [$($connections)*]
            declared [$($declared)*
                ($name, $crate::store::columns!(<$table as $crate::store::Kind>::Model: $column)),
            ]
            $($rest)*
        );
    };

    // A non-null reference: a record its column names that is not found is an internal error.
    (@field $head:tt $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        $(#[doc = $doc:literal])*
        reference $name:literal $method:ident: $target:ty = $column:ident;
        $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] ($planner $fields)
            plan [$($plan)*
                $name => $crate::graphql::plan::reference!(
                    $planner $fields $record [$table] $target, $column, true
                ),
            ]
            resolvers [$($resolvers)*
                $(#[doc = $doc])*
                #[graphql(name = $name)]
                async fn $method(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                ) -> Result<$target, $crate::graphql::ApiError> {
                    $crate::graphql::plan::reference!(check $record [$table] $name, self.0, $column);
                    let key = <$target as $crate::graphql::node::Catalogued>::key(self.0.$column);
                    $crate::graphql::required(ctx, key)
                        .await
                        .map(<$target as $crate::graphql::plan::Record>::of)
                }
            ]
            connections [$($connections)*]
            declared [$($declared)*
                ($name, $crate::store::columns!(<$table as $crate::store::Kind>::Model: $column)),
            ]
            $($rest)*
        );
    };

    // A connection listing a relation's rows.
    (@field $head:tt $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
        $(#[doc = $doc:literal])*
        connection $name:literal $method:ident: $child:ty = $relation:ty;
        $($rest:tt)*
    ) => {
        $crate::graphql::plan::record_type!(@field $head $record [$table] ($planner $fields)
            plan [$($plan)*
                $name => $planner.children::<
                    $record,
                    $relation,
                    $child,
                    <$child as $crate::graphql::filter::Listed>::Filter,
                    <$child as $crate::graphql::filter::Listed>::Order,
                >($fields)?,
            ]
            resolvers [$($resolvers)*]
            connections [$($connections)*
                $(#[doc = $doc])*
                $name $method(
                    <$child as $crate::graphql::filter::Listed>::Filter,
                    <$child as $crate::graphql::filter::Listed>::Order
                )
                    -> <$child as $crate::graphql::connection::Connected>::Connection
                    = $crate::graphql::connection::relation::<Self, $relation, $child, _, _>;
            ]
            declared [$($declared)*]
            $($rest)*
        );
    };

    // Every field is declared: the type, its planned fields and its resolvers.
    (@field [$($type_doc:tt)*] $record:ident [$table:ty] ($planner:ident $fields:ident)
        plan [$($plan:tt)*] resolvers [$($resolvers:tt)*] connections [$($connections:tt)*]
        declared [$($declared:tt)*]
    ) => {
        $($type_doc)*
        pub struct $record(pub(crate) $crate::store::Row<<$table as $crate::store::Kind>::Model>);

        impl $crate::graphql::plan::Record for $record {
            type Table = $table;
            const NAME: &'static str = stringify!($record);
            const DECLARED: &'static [(&'static str, $crate::store::Columns)] = &[$($declared)*];
            const CONNECTION: &'static str = concat!(stringify!($record), "Connection");
            const EDGE: &'static str = concat!(stringify!($record), "Edge");

            fn of(row: $crate::graphql::plan::Row<Self>) -> Self {
                $record(row)
            }

            fn row(&self) -> &$crate::graphql::plan::Row<Self> {
                &self.0
            }

            fn plan_field<'a>(
                $planner: &$crate::graphql::plan::Planner<'a>,
                name: &str,
                $fields: &[&'a async_graphql::Positioned<async_graphql::parser::types::Field>],
            ) -> Result<
                Option<$crate::graphql::plan::FieldPlan<Self>>,
                async_graphql::ServerError,
            > {
                Ok(Some(match name {
                    $($plan)*
                    _ => return Ok(None),
                }))
            }
        }

        $crate::graphql::connection::object_with_connections! {
            $($type_doc)*
            impl $record {
                connections { $($connections)* }
                $($resolvers)*
            }
        }
    };
}

pub(crate) use record_type;

/// A to-one reference through `$column` from `$record` to `$target`: its plan, or (`check`) the
/// resolver's check that the row was read with the column.
macro_rules! reference {
    (
        $planner:ident $fields:ident $record:ident [$table:ty] $target:ty,
        $column:ident,
        $required:literal
    ) => {
        $planner.to_one::<$record, $target>(
            $fields,
            |row| $crate::graphql::plan::Key::key(row.$column),
            (
                stringify!($column),
                $crate::store::columns!(<$table as $crate::store::Kind>::Model: $column),
            ),
            $required,
        )
    };
    (check $record:ident [$table:ty] $name:literal, $row:expr, $column:ident) => {
        if !$row.has($crate::store::columns!(<$table as $crate::store::Kind>::Model: $column)) {
            return Err($crate::graphql::plan::unread(stringify!($record), $name));
        }
    };
}

pub(crate) use reference;
