//! `Cleanroom`: the rooms of GMP and pre-GMP facilities, with their EU GMP grades.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entities::cleanroom;
use uuid::Uuid;

use super::connection::connection;
use super::enums::GmpGrade;
use super::mutation::{refusal, writer, Mistakes, RefusalFields, UserError, Writer};
use super::plan::record_type;
use super::{ApiError, CleanroomRegime, CleanroomStatus, Visibility};
use crate::store::{self, Change};

connection!(
    CleanroomConnection,
    CleanroomEdge,
    Cleanroom,
    cleanroom::Model,
    "A page of cleanrooms.",
    "A cleanroom in a page, with its cursor."
);

record_type! {
    /// A cleanroom of a GMP or pre-GMP facility.
    Cleanroom: store::Cleanrooms {
        id;
        /// Room code within its facility.
        leaf "code" code: &str = |code| code;
        /// Room name, when it has one.
        leaf "name" name: Option<&str> = |name| name.as_deref();
        /// GMP or pre-GMP.
        leaf "regime" regime: super::CleanroomRegime = |regime| (*regime).into();
        /// EU GMP Annex 1 grade; null for pre-GMP rooms and where unknown.
        leaf "grade" grade: Option<GmpGrade> = |grade| grade.map(Into::into);
        /// ISO 14644-1 class at rest, derived from the grade (A and B: 5, C: 7, D: 8).
        leaf "isoClassAtRest" iso_class_at_rest: Option<i32> =
            |grade| grade.map(|g| iso_class(g.into()).0);
        /// ISO 14644-1 class in operation, derived from the grade (A: 5, B: 7, C: 8); null for grade D, whose limits are set by risk assessment.
        leaf "isoClassInOperation" iso_class_in_operation: Option<i32> =
            |grade| grade.and_then(|g| iso_class(g.into()).1);
        /// Qualification status, when known.
        leaf "status" status: Option<super::CleanroomStatus> = |status| status.map(Into::into);
        /// Floor area in square metres, when known.
        leaf "areaM2" area_m2: Option<f64> = |area_m2| *area_m2;
        /// Date of the last (re)qualification (ISO 8601), when known.
        leaf "qualifiedOn" qualified_on: Option<String> =
            |qualified_on| qualified_on.map(|d| d.to_string());
        /// What the room is used for, when known.
        leaf "intendedUse" intended_use: Option<&str> = |intended_use| intended_use.as_deref();
        /// The facility the room belongs to.
        reference "unit" unit: super::Unit = unit_id;
        /// The institution of the facility.
        reference "institution" institution: super::Institution = institution_id;
        provenance;
        version;
        visibility;
    }
}

/// ISO 14644-1 classes at rest and in operation for an EU GMP grade (Annex 1, 2022, table 1).
fn iso_class(grade: GmpGrade) -> (i32, Option<i32>) {
    match grade {
        GmpGrade::A => (5, Some(5)),
        GmpGrade::B => (5, Some(7)),
        GmpGrade::C => (7, Some(8)),
        GmpGrade::D => (8, None),
    }
}

/// The cleanroom mutations: create, update and delete, for the data stewards of the
/// facility's institution and for admins.
#[derive(Default)]
pub struct CleanroomMutations;

/// A cleanroom to create. It belongs to its facility's institution: a data steward creates
/// cleanrooms in their own institution's facilities only.
#[derive(InputObject)]
pub struct CreateCleanroomInput {
    /// Any text, answered as it came in the payload, to match answers to requests.
    pub client_mutation_id: Option<String>,
    /// The facility the room belongs to (a unit's ID).
    pub unit: ID,
    /// Room code, unique within its facility.
    pub code: String,
    /// Room name, when it has one.
    pub name: Option<String>,
    /// GMP or pre-GMP.
    pub regime: CleanroomRegime,
    /// EU GMP Annex 1 grade; none for pre-GMP rooms and where unknown.
    pub grade: Option<GmpGrade>,
    /// Qualification status, when known.
    pub status: Option<CleanroomStatus>,
    /// Floor area in square metres, when known: not negative.
    pub area_m2: Option<f64>,
    /// Date of the last (re)qualification, as an ISO 8601 date (`2024-05-31`), when known.
    pub qualified_on: Option<String>,
    /// What the room is used for, when known.
    pub intended_use: Option<String>,
    /// Who its institution shows it to; `PUBLIC` when left out.
    pub visibility: Option<Visibility>,
}

/// Changes to a cleanroom: a field left out keeps its value; `null` empties a field that may
/// be empty (and is a mistake for one that may not).
#[derive(InputObject, Default)]
pub struct CleanroomPatch {
    /// Another facility (a unit's ID) of the same institution.
    pub unit: MaybeUndefined<ID>,
    /// Room code, unique within its facility.
    pub code: MaybeUndefined<String>,
    /// Room name.
    pub name: MaybeUndefined<String>,
    /// GMP or pre-GMP.
    pub regime: MaybeUndefined<CleanroomRegime>,
    /// EU GMP Annex 1 grade.
    pub grade: MaybeUndefined<GmpGrade>,
    /// Qualification status.
    pub status: MaybeUndefined<CleanroomStatus>,
    /// Floor area in square metres: not negative.
    pub area_m2: MaybeUndefined<f64>,
    /// Date of the last (re)qualification, as an ISO 8601 date (`2024-05-31`).
    pub qualified_on: MaybeUndefined<String>,
    /// What the room is used for.
    pub intended_use: MaybeUndefined<String>,
    /// Who its institution shows it to.
    pub visibility: MaybeUndefined<Visibility>,
}

/// A change to a cleanroom, made only if it is still at `expectedVersion`.
#[derive(InputObject)]
pub struct UpdateCleanroomInput {
    /// Any text, answered as it came in the payload, to match answers to requests.
    pub client_mutation_id: Option<String>,
    /// The cleanroom.
    pub id: ID,
    /// The version the change was made against (the cleanroom's `version` when it was read).
    pub expected_version: i32,
    /// What changes.
    pub patch: CleanroomPatch,
}

/// A cleanroom to delete, only if it is still at `expectedVersion`.
#[derive(InputObject)]
pub struct DeleteCleanroomInput {
    /// Any text, answered as it came in the payload, to match answers to requests.
    pub client_mutation_id: Option<String>,
    /// The cleanroom.
    pub id: ID,
    /// The version the deletion was decided on.
    pub expected_version: i32,
}

/// What `createCleanroom` did.
#[derive(SimpleObject)]
pub struct CreateCleanroomPayload {
    /// The input's `clientMutationId`, as it came.
    pub client_mutation_id: Option<String>,
    /// The new cleanroom, as you may see it; null when there are `userErrors`.
    pub cleanroom: Option<Cleanroom>,
    /// The mistakes that kept the cleanroom from being created; empty when it was.
    pub user_errors: Vec<UserError>,
}

/// What `updateCleanroom` did.
#[derive(SimpleObject)]
pub struct UpdateCleanroomPayload {
    /// The input's `clientMutationId`, as it came.
    pub client_mutation_id: Option<String>,
    /// The cleanroom as you may see it: changed, or after `STALE` as it is now (with its
    /// current `version`); null when no cleanroom you may see has the ID.
    pub cleanroom: Option<Cleanroom>,
    /// The mistakes that kept the cleanroom from being changed; empty when it was.
    pub user_errors: Vec<UserError>,
}

/// What `deleteCleanroom` did.
#[derive(SimpleObject)]
pub struct DeleteCleanroomPayload {
    /// The input's `clientMutationId`, as it came.
    pub client_mutation_id: Option<String>,
    /// The ID of the deleted cleanroom; null when there are `userErrors`.
    pub deleted_cleanroom_id: Option<ID>,
    /// After `STALE`, the cleanroom as it is now (with its current `version`); otherwise null.
    pub cleanroom: Option<Cleanroom>,
    /// The mistakes that kept the cleanroom from being deleted; empty when it was.
    pub user_errors: Vec<UserError>,
}

/// Where the refusals of the cleanroom mutations point, in a creation's input and in an
/// update's.
const CREATED: RefusalFields<'static> = RefusalFields {
    id: &["unit"],
    owner: &["unit"],
    unique: &["code"],
};
const UPDATED: RefusalFields<'static> = RefusalFields {
    id: &["id"],
    owner: &["patch", "unit"],
    unique: &["patch", "code"],
};

/// The facility a cleanroom input names, and the institution that then owns the cleanroom.
struct Facility {
    unit_id: Uuid,
    institution_id: Uuid,
}

async fn facility(
    ctx: &Context<'_>,
    writer: &Writer<'_>,
    mistakes: &mut Mistakes,
    field: &[&str],
    id: &ID,
) -> Result<Option<Facility>, ApiError> {
    Ok(writer
        .reference::<super::Unit>(ctx, mistakes, field, id)
        .await?
        .map(|unit| Facility {
            unit_id: unit.id,
            institution_id: unit.institution_id,
        }))
}

#[Object]
impl CleanroomMutations {
    /// Creates a cleanroom in a facility of an institution whose records you keep.
    async fn create_cleanroom(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cleanroom to create.")] input: CreateCleanroomInput,
    ) -> Result<CreateCleanroomPayload, ApiError> {
        let writer = writer(ctx)?;
        let mut mistakes = Mistakes::default();
        let facility = facility(ctx, &writer, &mut mistakes, &["unit"], &input.unit).await?;
        let code = mistakes.required_text(&["code"], &input.code);
        let name = mistakes.optional_text(&["name"], input.name.as_deref());
        let intended_use = mistakes.optional_text(&["intendedUse"], input.intended_use.as_deref());
        let area_m2 = input
            .area_m2
            .and_then(|area| mistakes.measure(&["areaM2"], area));
        let qualified_on = input
            .qualified_on
            .as_deref()
            .and_then(|date| mistakes.date(&["qualifiedOn"], date));
        let answer = |cleanroom, user_errors| CreateCleanroomPayload {
            client_mutation_id: input.client_mutation_id.clone(),
            cleanroom,
            user_errors,
        };
        let (Some(facility), Some(code), true) = (facility, code, mistakes.is_empty()) else {
            return Ok(answer(None, mistakes.into_vec()));
        };
        let row = cleanroom::Model {
            id: Uuid::now_v7(),
            institution_id: facility.institution_id,
            unit_id: facility.unit_id,
            code,
            name,
            regime: input.regime.into(),
            grade: input.grade.map(Into::into),
            status: input.status.map(Into::into),
            area_m2,
            qualified_on,
            intended_use,
            provenance: entities::enums::Provenance::Document,
            sample_fields: String::new(),
            visibility: input
                .visibility
                .map_or(entities::enums::Visibility::Public, Into::into),
            // Composed by the writer.
            partner_of: None,
            internal_of: None,
            version: 1,
        };
        let id = row.id;
        match writer.change::<Cleanroom>(ctx, Change::Create(row)).await? {
            Ok(_) => Ok(answer(writer.reread::<Cleanroom>(id).await?, Vec::new())),
            Err(refused) => {
                refusal(&mut mistakes, "cleanroom", &refused, CREATED);
                Ok(answer(None, mistakes.into_vec()))
            }
        }
    }

    /// Changes a cleanroom of an institution whose records you keep, if it is still at
    /// `expectedVersion`.
    async fn update_cleanroom(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cleanroom, the version it was read at, and what changes.")]
        input: UpdateCleanroomInput,
    ) -> Result<UpdateCleanroomPayload, ApiError> {
        let writer = writer(ctx)?;
        let mut mistakes = Mistakes::default();
        let id = writer.id_of::<Cleanroom>(&mut mistakes, &["id"], &input.id);
        let patch = &input.patch;
        let facility = match mistakes.not_null(&["patch", "unit"], &patch.unit) {
            Some(unit) => facility(ctx, &writer, &mut mistakes, &["patch", "unit"], unit).await?,
            None => None,
        };
        let code = mistakes
            .not_null(&["patch", "code"], &patch.code)
            .cloned()
            .and_then(|code| mistakes.required_text(&["patch", "code"], &code));
        let regime = mistakes
            .not_null(&["patch", "regime"], &patch.regime)
            .copied();
        let visibility = mistakes
            .not_null(&["patch", "visibility"], &patch.visibility)
            .copied();
        let name = patch.name.as_opt_ref().map(|name| {
            name.and_then(|name| mistakes.optional_text(&["patch", "name"], Some(name)))
        });
        let intended_use = patch.intended_use.as_opt_ref().map(|text| {
            text.and_then(|text| mistakes.optional_text(&["patch", "intendedUse"], Some(text)))
        });
        let area_m2 = patch
            .area_m2
            .as_opt_ref()
            .map(|area| area.and_then(|area| mistakes.measure(&["patch", "areaM2"], *area)));
        let qualified_on = patch
            .qualified_on
            .as_opt_ref()
            .map(|date| date.and_then(|date| mistakes.date(&["patch", "qualifiedOn"], date)));
        let grade = patch.grade.as_opt_ref().map(|grade| grade.copied());
        let status = patch.status.as_opt_ref().map(|status| status.copied());
        let answer = |cleanroom, user_errors| UpdateCleanroomPayload {
            client_mutation_id: input.client_mutation_id.clone(),
            cleanroom,
            user_errors,
        };
        let (Some(id), true) = (id, mistakes.is_empty()) else {
            return Ok(answer(None, mistakes.into_vec()));
        };
        let change = Change::Update {
            id,
            expected: input.expected_version,
            patch: Box::new(move |row: &mut cleanroom::Model| {
                if let Some(facility) = facility {
                    row.unit_id = facility.unit_id;
                    row.institution_id = facility.institution_id;
                }
                if let Some(code) = code {
                    row.code = code;
                }
                if let Some(regime) = regime {
                    row.regime = regime.into();
                }
                if let Some(visibility) = visibility {
                    row.visibility = visibility.into();
                }
                if let Some(name) = name {
                    row.name = name;
                }
                if let Some(intended_use) = intended_use {
                    row.intended_use = intended_use;
                }
                if let Some(area_m2) = area_m2 {
                    row.area_m2 = area_m2;
                }
                if let Some(qualified_on) = qualified_on {
                    row.qualified_on = qualified_on;
                }
                if let Some(grade) = grade {
                    row.grade = grade.map(Into::into);
                }
                if let Some(status) = status {
                    row.status = status.map(Into::into);
                }
            }),
        };
        match writer.change::<Cleanroom>(ctx, change).await? {
            Ok(_) => Ok(answer(writer.reread::<Cleanroom>(id).await?, Vec::new())),
            Err(refused) => {
                refusal(&mut mistakes, "cleanroom", &refused, UPDATED);
                let current = writer.current::<Cleanroom>(&refused, id).await?;
                Ok(answer(current, mistakes.into_vec()))
            }
        }
    }

    /// Deletes a cleanroom of an institution whose records you keep, if it is still at
    /// `expectedVersion`.
    async fn delete_cleanroom(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cleanroom and the version it was read at.")]
        input: DeleteCleanroomInput,
    ) -> Result<DeleteCleanroomPayload, ApiError> {
        let writer = writer(ctx)?;
        let mut mistakes = Mistakes::default();
        let id = writer.id_of::<Cleanroom>(&mut mistakes, &["id"], &input.id);
        let answer = |deleted, cleanroom, user_errors| DeleteCleanroomPayload {
            client_mutation_id: input.client_mutation_id.clone(),
            deleted_cleanroom_id: deleted,
            cleanroom,
            user_errors,
        };
        let Some(id) = id else {
            return Ok(answer(None, None, mistakes.into_vec()));
        };
        let change = Change::Delete {
            id,
            expected: input.expected_version,
        };
        match writer.change::<Cleanroom>(ctx, change).await? {
            Ok(_) => Ok(answer(Some(input.id.clone()), None, Vec::new())),
            Err(refused) => {
                refusal(&mut mistakes, "cleanroom", &refused, UPDATED);
                let current = writer.current::<Cleanroom>(&refused, id).await?;
                Ok(answer(None, current, mistakes.into_vec()))
            }
        }
    }
}
