//! What each role's schema shows. A field only some roles may read is found once, in
//! [`RESTRICTED`], with the least role that reads it; each role's schema is built from a root
//! ([`ForRole`]) whose registry lacks every field the role may not read. So for that role the
//! field is unknown everywhere async-graphql looks: validation refuses it as it refuses a
//! misspelt name (and its "Did you mean …" lists only the registry's fields), introspection
//! and the SDL leave it out, and a type reached only through it (the read log's connection)
//! goes with it. async-graphql's own `visible` attribute would not do: it hides a field from
//! introspection only, while validation, suggestions and the SDL export still see it.
//!
//! Under Apollo Federation one schema serves every caller (the subgraph's role, see
//! `--subgraph-role`), so a field there may be asked by a caller whose role may not read it:
//! it is then `null` with a `FORBIDDEN` error ([`readable`]), on both execution paths.

use std::borrow::Cow;
use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::{LazyLock, Mutex, PoisonError};

use async_graphql::parser::types::Field;
use async_graphql::registry::{MetaType, Registry};
use async_graphql::resolver_utils::ContainerType;
use async_graphql::{
    Context, ContextSelectionSet, ObjectType, OutputType, Positioned, ServerResult, Value,
};
use uuid::Uuid;

use super::connection::loader;
use super::node::{with_type, Catalogued, EachType, NodeType};
use super::plan::Record;
use super::ApiError;
use crate::catalog::{CatalogKind, Column, ColumnAccess};
use crate::store::{Kind, Role};

/// The fields only some roles may read, as `(type, field, the least role that reads it)`.
/// Roles are cumulative: a role reads what the roles before it read. A record type's field is
/// restricted by the catalog's annotations of the columns it reads ([`least_role`]): a
/// person's contact details, annotated `personal`, are read by staff (for the people with an
/// appointment at their institution, admins everybody's: the store's rule). The log of who
/// read contact details is for admins.
pub(crate) static RESTRICTED: LazyLock<Vec<(&'static str, &'static str, Role)>> =
    LazyLock::new(|| {
        let mut restricted: Vec<_> = NodeType::ALL
            .iter()
            .flat_map(|kind| with_type(*kind, RestrictedFields))
            .collect();
        restricted.push(("Query", "personalDataReads", Role::Admin));
        restricted
    });

/// The least role that reads a column the catalog annotates so.
pub(crate) const fn least_role(access: ColumnAccess) -> Role {
    match access {
        ColumnAccess::Public => Role::Public,
        ColumnAccess::Personal => Role::Staff,
    }
}

/// The restricted fields of one record type: those reading a column with an access annotation.
struct RestrictedFields;

impl EachType for RestrictedFields {
    type Output = Vec<(&'static str, &'static str, Role)>;

    fn of<T: Catalogued>(self) -> Self::Output {
        type Model<T> = <<T as Record>::Table as Kind>::Model;
        let columns = <<T::Table as CatalogKind>::CatalogColumn as Column>::ALL;
        T::DECLARED
            .iter()
            .filter_map(|(field, read)| {
                let least = read
                    .names::<Model<T>>()
                    .filter_map(|name| columns.iter().find(|column| column.name() == name))
                    .map(|column| least_role(column.access()))
                    .max()?;
                (least > Role::Public).then_some((T::NAME, *field, least))
            })
            .collect()
    }
}

/// Whether `role` may read field `field` of type `type_name`.
pub(crate) fn may_read(role: Role, type_name: &str, field: &str) -> bool {
    RESTRICTED
        .iter()
        .filter(|(ty, name, _)| *ty == type_name && *name == field)
        .all(|(_, _, least)| role >= *least)
}

/// The role of the request's caller; the public's where the request has no loader.
pub(crate) fn caller_role(ctx: &Context<'_>) -> Role {
    loader(ctx).map_or(Role::Public, |loader| loader.loader().caller().role())
}

/// Whether the request's caller may read field `field` of type `type_name`: in a role's own
/// schema always (the field would not be there otherwise); in the subgraph's, a
/// `FORBIDDEN` error where the caller's role is below the field's.
pub(crate) fn readable(ctx: &Context<'_>, type_name: &str, field: &str) -> Result<(), ApiError> {
    if may_read(caller_role(ctx), type_name, field) {
        Ok(())
    } else {
        Err(forbidden(type_name, field))
    }
}

/// The error of a field the caller's role may not read.
pub(crate) fn forbidden(type_name: &str, field: &str) -> ApiError {
    ApiError::Forbidden(format!(
        "`{type_name}.{field}` is not readable with the credentials sent"
    ))
}

/// Removes from `registry` every field `role` may not read (fields of objects and interfaces:
/// no input field or enum value is restricted).
fn hide(registry: &mut Registry, role: Role) {
    for (type_name, field, least) in RESTRICTED.iter() {
        if role >= *least {
            continue;
        }
        if let Some(MetaType::Object { fields, .. } | MetaType::Interface { fields, .. }) =
            registry.types.get_mut(*type_name)
        {
            fields.shift_remove(*field);
        }
    }
}

/// A role, as the settings and the command line name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SchemaRole {
    /// What the institutions publish (no key).
    #[default]
    Public,
    /// A company's key.
    Partner,
    /// A member of an institution's staff.
    Staff,
    /// A data steward of an institution.
    Steward,
    /// An administrator.
    Admin,
}

impl From<SchemaRole> for Role {
    fn from(role: SchemaRole) -> Self {
        match role {
            SchemaRole::Public => Role::Public,
            SchemaRole::Partner => Role::Partner,
            SchemaRole::Staff => Role::Staff,
            SchemaRole::Steward => Role::Steward,
            SchemaRole::Admin => Role::Admin,
        }
    }
}

/// A role as a type, so that each role's schema has a root type of its own ([`ForRole`]):
/// async-graphql builds a schema's registry from its root's type alone.
pub trait Audience: Send + Sync + 'static {
    const ROLE: Role;
}

/// The public's schema.
pub struct PublicAudience;
/// Partners' schema.
pub struct PartnerAudience;
/// Staff's schema.
pub struct StaffAudience;
/// Data stewards' schema.
pub struct StewardAudience;
/// Admins' schema.
pub struct AdminAudience;

impl Audience for PublicAudience {
    const ROLE: Role = Role::Public;
}
impl Audience for PartnerAudience {
    const ROLE: Role = Role::Partner;
}
impl Audience for StaffAudience {
    const ROLE: Role = Role::Staff;
}
impl Audience for StewardAudience {
    const ROLE: Role = Role::Steward;
}
impl Audience for AdminAudience {
    const ROLE: Role = Role::Admin;
}

/// The query root `Q` as role `A`'s schema has it: the same resolvers, registered without
/// the fields `A` may not read (see the module's comment).
pub struct ForRole<Q, A>(pub Q, PhantomData<fn() -> A>);

impl<Q, A> ForRole<Q, A> {
    pub fn new(root: Q) -> Self {
        ForRole(root, PhantomData)
    }
}

impl<Q: ObjectType, A: Audience> OutputType for ForRole<Q, A> {
    fn type_name() -> Cow<'static, str> {
        Q::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        let name = Q::create_type_info(registry);
        // Every type is registered by now; async-graphql removes those no field reaches any
        // more once the root is registered.
        hide(registry, A::ROLE);
        name
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.0.resolve(ctx, field).await
    }
}

impl<Q: ObjectType, A: Audience> ContainerType for ForRole<Q, A> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        self.0.resolve_field(ctx).await
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        self.0.find_entity(ctx, params).await
    }
}

impl<Q: ObjectType, A: Audience> ObjectType for ForRole<Q, A> {}

/// The people whose contact details a response carries: noted by the resolvers of the
/// personal fields (on both execution paths) as they answer a value, for the read log.
#[derive(Debug, Default)]
pub struct ContactsShown(Mutex<HashSet<Uuid>>);

impl ContactsShown {
    /// Notes that the answer carries contact details of `person`.
    fn note(&self, person: Uuid) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(person);
    }

    /// How many people's contact details the answer carries.
    pub fn people(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A personal field of `person` (a contact detail): `value` as the store's cell rule read it,
/// noted for the read log when there is one, or, where the caller's role may not read the
/// field at all (under federation), `null` with a `FORBIDDEN` error, before its value (which
/// the row of such a caller lacks) is read. The error is added beside the `null` rather than
/// returned, so that the field is `null` in every object that holds it, an entity of
/// `_entities` included (async-graphql leaves a failed field out of an entity's object).
pub(crate) fn personal<'v>(
    ctx: &Context<'_>,
    type_name: &str,
    field: &str,
    person: Uuid,
    value: impl FnOnce() -> Result<Option<&'v str>, ApiError>,
) -> Result<Option<&'v str>, ApiError> {
    if let Err(refused) = readable(ctx, type_name, field) {
        ctx.add_error(ctx.set_error_path(refused.into_server_error(Some(ctx.item.pos))));
        return Ok(None);
    }
    let value = value()?;
    if value.is_some() {
        if let Some(shown) = ctx.data_opt::<std::sync::Arc<ContactsShown>>() {
            shown.note(person);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restricted_fields_are_those_reading_a_personal_column_and_the_read_log() {
        assert_eq!(
            *RESTRICTED,
            [
                ("Person", "email", Role::Staff),
                ("Person", "phone", Role::Staff),
                ("Query", "personalDataReads", Role::Admin),
            ]
        );
    }

    #[test]
    fn a_restricted_field_is_read_by_its_role_and_those_above_it_only() {
        for (role, contacts, log) in [
            (Role::Public, false, false),
            (Role::Partner, false, false),
            (Role::Staff, true, false),
            (Role::Steward, true, false),
            (Role::Admin, true, true),
        ] {
            assert_eq!(may_read(role, "Person", "email"), contacts, "{role:?}");
            assert_eq!(may_read(role, "Person", "phone"), contacts, "{role:?}");
            assert_eq!(
                may_read(role, "Query", "personalDataReads"),
                log,
                "{role:?}"
            );
            assert!(may_read(role, "Person", "name"), "{role:?}");
        }
    }
}
