//! The macros each record type file declares its planned fields with.

/// Declares how the planned path answers each field of a record type: leaves through the
/// type's own resolvers, references and connections through the plan.
macro_rules! planned_record {
    ($record:ident: $table:ty {
        leaves { $($leaf:literal => $method:ident $([$($reads:ident),+])?),* $(,)? }
        to_one { $($one:literal => $target:ty, $column:ident, $required:literal;)* }
        children { $($many:literal => $relation:ty, $child:ty, $filter:ty, $order:ty;)* }
    }) => {
        impl $crate::graphql::plan::Record for $record {
            type Table = $table;
            const NAME: &'static str = stringify!($record);
            const CONNECTION: &'static str = concat!(stringify!($record), "Connection");
            const EDGE: &'static str = concat!(stringify!($record), "Edge");

            fn of(row: $crate::graphql::plan::Row<Self>) -> Self {
                $record(row)
            }

            fn row(&self) -> &$crate::graphql::plan::Row<Self> {
                &self.0
            }

            fn plan_field<'a>(
                planner: &$crate::graphql::plan::Planner<'a>,
                name: &str,
                fields: &[&'a async_graphql::Positioned<async_graphql::parser::types::Field>],
            ) -> Result<Option<$crate::graphql::plan::FieldPlan<Self>>, async_graphql::ServerError> {
                use futures::FutureExt as _;
                use $crate::graphql::plan::{FieldPlan, Leaf as _};
                Ok(Some(match name {
                    // Written straight from the key, as the type's `id` resolver gives it.
                    "id" => FieldPlan::Leaf(|record: &$record, out| {
                        out.global_id(
                            $crate::graphql::node::NodeType::$record,
                            <$table as $crate::store::Kind>::id(&record.0),
                        );
                        true
                    }),
                    // `#[Object]` gives each resolver a context parameter; these ignore it.
                    $($leaf => {
                        planner.needs::<$table>($crate::graphql::plan::leaf_columns!(
                            <$table as $crate::store::Kind>::Model, $method $([$($reads),+])?
                        ));
                        FieldPlan::Leaf(|record: &$record, out| {
                            let ctx = out.ctx();
                            match record.$method(ctx).now_or_never() {
                                Some(Ok(value)) => {
                                    value.write(out);
                                    true
                                }
                                _ => false,
                            }
                        })
                    })*
                    "provenance" => planner.provenance(fields, |record: &$record, ctx| {
                        record.provenance(ctx).now_or_never().and_then(Result::ok)
                    }),
                    $($one => planner.to_one::<$record, $target>(
                        fields,
                        |row: &<$table as $crate::store::Kind>::Model| {
                            $crate::graphql::plan::Key::key(row.$column)
                        },
                        stringify!($column),
                        $required,
                    ),)*
                    $($many => planner.children::<$record, $relation, $child, $filter, $order>(fields)?,)*
                    _ => return Ok(None),
                }))
            }
        }
    };
}

pub(crate) use planned_record;

/// A record type with connection fields: its planned fields ([`planned_record!`]), each
/// connection declared once — description, GraphQL name, method, relation, row type, filter
/// and order — for both the plan and the `#[Object]` resolvers, and the rest of its
/// `#[Object]` impl.
macro_rules! record_object {
    (
        $record:ident: $table:ty {
            leaves { $($leaves:tt)* }
            to_one { $($to_one:tt)* }
            connections {
                $(
                    $(#[doc = $doc:literal])*
                    $name:literal $method:ident => $relation:ty, $child:ty;
                )*
            }
        }
        $(#[doc = $type_doc:literal])*
        impl { $($rest:tt)* }
    ) => {
        $crate::graphql::plan::planned_record!($record: $table {
            leaves { $($leaves)* }
            to_one { $($to_one)* }
            children { $(
                $name => $relation,
                $child,
                <$child as $crate::graphql::filter::Listed>::Filter,
                <$child as $crate::graphql::filter::Listed>::Order;
            )* }
        });

        $crate::graphql::connection::object_with_connections! {
            $(#[doc = $type_doc])*
            impl $record {
                connections {
                    $(
                        $(#[doc = $doc])*
                        $name $method(
                            <$child as $crate::graphql::filter::Listed>::Filter,
                            <$child as $crate::graphql::filter::Listed>::Order
                        )
                            -> <$child as $crate::graphql::connection::Connected>::Connection
                            = $crate::graphql::connection::relation::<Self, $relation, $child, _, _>;
                    )*
                }
                $($rest)*
            }
        }
    };
}

pub(crate) use record_object;

/// The columns a leaf's resolver reads: those named in brackets, or else the column its
/// method is named after. Each must be a field of the row (checked when compiled), and the
/// plan reads no other: a column left out would be answered with a placeholder, which the
/// differential tests against the field-by-field path catch.
macro_rules! leaf_columns {
    ($model:ty, $method:ident) => {{
        let _reads = |row: &$model| {
            let _ = &row.$method;
        };
        &[stringify!($method)]
    }};
    ($model:ty, $method:ident [$($column:ident),+]) => {{
        let _reads = |row: &$model| {
            $(let _ = &row.$column;)+
        };
        &[$(stringify!($column)),+]
    }};
}

pub(crate) use leaf_columns;
