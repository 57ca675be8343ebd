//! Relay global object identification: opaque, stable IDs and the `Node` interface.
//!
//! An ID is base64url of `Type:uuid`. The UUID is the record's primary key, the same on every
//! database and after every restart, so an ID a partner stored stays valid.

use async_graphql::{Interface, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

use super::plan::Record;
use super::ApiError;
use crate::catalog::CatalogKind;
use crate::store::RecordKey;

/// The types a global ID can name: the catalog's kinds, each a GraphQL type of the same name.
pub(crate) type NodeType = crate::catalog::KindId;

macro_rules! node_types {
    ($($kind:ident, $module:ident, $table:ident, $key:ident, $plural:ident;)*) => {
        /// An object with a global ID, fetchable with `node(id:)`.
        #[derive(Interface)]
        #[graphql(field(
            name = "id",
            ty = "ID",
            desc = "Opaque global ID, stable across restarts and databases; pass it to `node(id:)`."
        ))]
        pub enum Node {
            $($kind(super::$kind),)*
        }

        /// What `visit` gives for the record type of `kind`.
        pub(crate) fn with_type<V: EachType>(kind: NodeType, visit: V) -> V::Output {
            match kind {
                $(NodeType::$kind => visit.of::<super::$kind>(),)*
            }
        }
    };
}

crate::catalog::kind_names!(node_types);

/// Something done with one record type, chosen by its [`NodeType`] ([`with_type`]).
pub(crate) trait EachType {
    /// What it gives.
    type Output;
    /// Does it with record type `T`.
    fn of<T: Catalogued>(self) -> Self::Output;
}

/// A record type's place in the catalog: its node type, and the key its records are loaded by.
pub(crate) trait Catalogued: Record<Table: CatalogKind> + Into<Node> {
    /// The key a record of the type is loaded by.
    type Key: RecordKey<Table = Self::Table> + std::fmt::Debug;
    /// Its type, as its global IDs name it.
    const NODE: NodeType;
    /// The key of the record with this ID.
    fn key(id: Uuid) -> Self::Key;
}

/// Every record type of a catalog kind is a `Node`.
impl<T> Catalogued for T
where
    T: Record + Into<Node>,
    T::Table: CatalogKind,
{
    type Key = <T::Table as CatalogKind>::Key;
    const NODE: NodeType = <T::Table as CatalogKind>::KIND;

    fn key(id: Uuid) -> Self::Key {
        <T::Table as CatalogKind>::key(id)
    }
}

/// A record type's name, its declared fields (all but its connections), each with the names
/// of the columns it reads, and its table's columns.
#[cfg(test)]
type Declaration = (
    &'static str,
    Vec<(&'static str, Vec<&'static str>)>,
    Vec<&'static str>,
);

/// Each record type's declaration.
#[cfg(test)]
pub(crate) fn declarations() -> Vec<Declaration> {
    struct Declared;

    impl EachType for Declared {
        type Output = Declaration;

        fn of<T: Catalogued>(self) -> Self::Output {
            use crate::catalog::Column;
            type Model<T> = <<T as Record>::Table as crate::store::Kind>::Model;
            (
                T::NODE.name(),
                T::DECLARED
                    .iter()
                    .map(|(field, columns)| (*field, columns.names::<Model<T>>().collect()))
                    .collect(),
                <<T::Table as CatalogKind>::CatalogColumn as Column>::ALL
                    .iter()
                    .map(|column| column.name())
                    .collect(),
            )
        }
    }

    NodeType::ALL
        .iter()
        .map(|kind| with_type(*kind, Declared))
        .collect()
}

/// The global ID of a record.
pub(crate) fn global_id(kind: NodeType, id: Uuid) -> ID {
    let mut text = Vec::with_capacity(ENCODED_ID_LEN);
    write_global_id(kind, id, &mut text);
    // Base64 is ASCII, so the bytes are always UTF-8.
    ID(String::from_utf8(text).unwrap_or_default())
}

/// The longest `Type:uuid`, and its base64 length.
const PLAIN_ID_LEN: usize = 64;
const ENCODED_ID_LEN: usize = PLAIN_ID_LEN.div_ceil(3) * 4;

/// Appends the global ID of a record to `out`, with no allocation: the planned path writes
/// one for every `id` it answers.
pub(crate) fn write_global_id(kind: NodeType, id: Uuid, out: &mut Vec<u8>) {
    let name = kind.name().as_bytes();
    let mut plain = [0u8; PLAIN_ID_LEN];
    let mut uuid = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let uuid = id.hyphenated().encode_lower(&mut uuid).as_bytes();
    let len = name.len() + 1 + uuid.len();
    let mut encoded = [0u8; ENCODED_ID_LEN];
    let written = plain.get_mut(..len).and_then(|plain| {
        let (head, tail) = plain.split_at_mut(name.len());
        head.copy_from_slice(name);
        let (colon, rest) = tail.split_at_mut(1);
        colon.copy_from_slice(b":");
        rest.copy_from_slice(uuid);
        URL_SAFE_NO_PAD.encode_slice(&*plain, &mut encoded).ok()
    });
    match written.and_then(|n| encoded.get(..n)) {
        Some(encoded) => out.extend_from_slice(encoded),
        // Only a type name longer than PLAIN_ID_LEN allows could get here.
        None => out.extend_from_slice(
            URL_SAFE_NO_PAD
                .encode(format!("{}:{id}", kind.name()))
                .as_bytes(),
        ),
    }
}

/// Reads a global ID back into its type and primary key.
pub(crate) fn parse_global_id(id: &ID) -> Result<(NodeType, Uuid), ApiError> {
    let invalid = || ApiError::BadUserInput(format!("`{}` is not a valid node ID", id.as_str()));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, uuid) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeType::named(name).ok_or_else(invalid)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| invalid())?;
    Ok((kind, uuid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_id_is_base64url_of_type_and_uuid_for_every_type() {
        let uuid = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        for &kind in NodeType::ALL {
            let name = kind.name();
            let id = global_id(kind, uuid);
            let expected = URL_SAFE_NO_PAD.encode(format!("{name}:{uuid}"));
            assert_eq!(id.as_str(), expected, "{name}");
            let mut written = b"[".to_vec();
            write_global_id(kind, uuid, &mut written);
            assert_eq!(written, format!("[{expected}").into_bytes(), "{name}");
        }
    }

    #[test]
    fn every_field_of_a_record_type_but_its_connections_is_declared_and_reads_real_columns() {
        let limits = match crate::config::Config::for_database("sqlite::memory:") {
            Ok(config) => config.request_limits(),
            Err(error) => panic!("no configuration: {error}"),
        };
        // The admins' schema has every field.
        let schema = crate::graphql::build_role_schema(
            limits,
            crate::graphql::Execution::Planned,
            false,
            crate::store::Role::Admin,
        );
        let sdl = crate::graphql::sdl(&schema);
        let document = match async_graphql::parser::parse_schema(&sdl) {
            Ok(document) => document,
            Err(error) => panic!("the SDL does not parse: {error}"),
        };
        let fields_of = |name: &str| -> Vec<String> {
            use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
            let mut fields = Vec::new();
            for definition in &document.definitions {
                let TypeSystemDefinition::Type(ty) = definition else {
                    continue;
                };
                if ty.node.name.node != name {
                    continue;
                }
                if let TypeKind::Object(object) = &ty.node.kind {
                    for field in &object.fields {
                        let ty = field.node.ty.node.to_string();
                        if !ty.trim_end_matches('!').ends_with("Connection") {
                            fields.push(field.node.name.node.to_string());
                        }
                    }
                }
            }
            fields.sort();
            fields
        };
        let declarations = declarations();
        assert_eq!(declarations.len(), NodeType::ALL.len());
        for (kind, declared, columns) in declarations {
            let mut names: Vec<String> = declared.iter().map(|(f, _)| (*f).to_owned()).collect();
            names.sort();
            assert_eq!(names, fields_of(kind), "{kind}");
            for (field, read) in declared {
                assert_eq!(read.first(), Some(&"id"), "{kind}.{field}");
                for column in &read {
                    assert!(columns.contains(column), "{kind}.{field}: {column}");
                }
                // Each field but `id` reads a column of its own.
                assert!(field == "id" || read.len() > 1, "{kind}.{field}: {read:?}");
            }
        }
    }

    #[test]
    fn a_global_id_round_trips_and_garbage_is_rejected() {
        let uuid = Uuid::from_u128(42);
        let id = global_id(NodeType::Cleanroom, uuid);
        assert_eq!(parse_global_id(&id).ok(), Some((NodeType::Cleanroom, uuid)));
        for bad in [
            "",
            "???",
            "VW5pdA",
            "Qm9ndXM6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDJh",
        ] {
            assert!(parse_global_id(&ID(bad.to_owned())).is_err(), "{bad}");
        }
    }
}
