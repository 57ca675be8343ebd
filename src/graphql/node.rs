//! Relay global object identification: opaque, stable IDs and the `Node` interface.
//!
//! An ID is base64url of `Type:uuid`. The UUID is the record's primary key, the same on every
//! database and after every restart, so an ID a partner stored stays valid.

use async_graphql::{Interface, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

use super::{
    Accreditation, ApiError, Appointment, Cleanroom, Institution, Milestone, Person, Product,
    Trial, Unit,
};

/// The types a global ID can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeType {
    Institution,
    Unit,
    Person,
    Appointment,
    Cleanroom,
    Product,
    Trial,
    Accreditation,
    Milestone,
}

const TYPES: [(NodeType, &str); 9] = [
    (NodeType::Institution, "Institution"),
    (NodeType::Unit, "Unit"),
    (NodeType::Person, "Person"),
    (NodeType::Appointment, "Appointment"),
    (NodeType::Cleanroom, "Cleanroom"),
    (NodeType::Product, "Product"),
    (NodeType::Trial, "Trial"),
    (NodeType::Accreditation, "Accreditation"),
    (NodeType::Milestone, "Milestone"),
];

impl NodeType {
    fn name(self) -> &'static str {
        TYPES
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, name)| *name)
            .unwrap_or("Node")
    }
}

/// The global ID of a record.
pub(crate) fn global_id(kind: NodeType, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Reads a global ID back into its type and primary key.
pub(crate) fn parse_global_id(id: &ID) -> Result<(NodeType, Uuid), ApiError> {
    let invalid = || ApiError::BadUserInput(format!("`{}` is not a valid node ID", id.as_str()));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, uuid) = text.split_once(':').ok_or_else(invalid)?;
    let kind = TYPES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(t, _)| *t)
        .ok_or_else(invalid)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| invalid())?;
    Ok((kind, uuid))
}

/// An object with a global ID, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global ID, stable across restarts and databases; pass it to `node(id:)`."
))]
pub enum Node {
    Institution(Institution),
    Unit(Unit),
    Person(Person),
    Appointment(Appointment),
    Cleanroom(Cleanroom),
    Product(Product),
    Trial(Trial),
    Accreditation(Accreditation),
    Milestone(Milestone),
}

#[cfg(test)]
mod tests {
    use super::*;

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
