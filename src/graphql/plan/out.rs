//! The JSON writer of planned answers: leaves written as async-graphql serialises them, objects
//! and lists that take a member back when it fails, and each error kept with its path.

use async_graphql::resolver_utils::EnumType;
use async_graphql::{Context, PathSegment, Pos, ServerError, ID};
use uuid::Uuid;

use super::super::node::{write_global_id, NodeType};
use super::read_failure;
use crate::store::read::{ReadFailure, ReadId};
use crate::store::HashMap;

/// A leaf value, written as JSON the way async-graphql serialises it, with no value built.
pub(crate) trait Leaf {
    fn write(self, out: &mut Out<'_>);
}

impl Leaf for &str {
    fn write(self, out: &mut Out<'_>) {
        out.string(self);
    }
}

impl Leaf for String {
    fn write(self, out: &mut Out<'_>) {
        out.string(&self);
    }
}

impl Leaf for ID {
    fn write(self, out: &mut Out<'_>) {
        out.string(&self);
    }
}

impl Leaf for i32 {
    fn write(self, out: &mut Out<'_>) {
        out.number(self);
    }
}

impl Leaf for u64 {
    fn write(self, out: &mut Out<'_>) {
        out.number(self);
    }
}

impl Leaf for f64 {
    fn write(self, out: &mut Out<'_>) {
        // As async-graphql: a number JSON cannot hold is null.
        if self.is_finite() {
            out.number(self);
        } else {
            out.raw("null");
        }
    }
}

impl Leaf for bool {
    fn write(self, out: &mut Out<'_>) {
        out.raw(if self { "true" } else { "false" });
    }
}

impl<T: Leaf> Leaf for Option<T> {
    fn write(self, out: &mut Out<'_>) {
        match self {
            Some(value) => value.write(out),
            None => out.raw("null"),
        }
    }
}

/// Writes an enum's value: its GraphQL name.
pub(crate) fn write_enum<T: EnumType>(value: T, out: &mut Out<'_>) {
    match T::items().iter().find(|item| item.value == value) {
        Some(item) => out.string(item.name),
        None => out.raw("null"),
    }
}

/// Why a field has no value.
pub(crate) enum Failure {
    /// The field itself failed, with this error, reported at its path.
    Error(ServerError),
    /// A non-null field below it failed (its error is reported already), which makes this one
    /// null in turn (the specification's "Handling Field Errors").
    Nulled,
}

/// Where the renderer is, and the errors it met, with their paths.
pub(crate) struct Out<'p> {
    /// The root field's context, which the types' own resolvers take (and leave unused).
    ctx: &'p Context<'p>,
    root: String,
    path: Vec<Segment<'p>>,
    pub(super) errors: Vec<ServerError>,
    /// The answer so far, as JSON.
    pub(super) json: Vec<u8>,
    /// The error of each failed read met so far, made once (an internal one is logged as it is
    /// made) and reported for each row that selects the read's field.
    read_errors: HashMap<ReadId, ServerError>,
}

/// An object being written: where it starts, and how many members it has so far.
pub(super) struct Members {
    start: usize,
    written: usize,
}

pub(super) enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

impl<'p> Out<'p> {
    pub(super) fn new(ctx: &'p Context<'p>) -> Self {
        Out {
            ctx,
            root: ctx.item.node.response_key().node.to_string(),
            path: Vec::new(),
            errors: Vec::new(),
            json: Vec::with_capacity(4096),
            read_errors: HashMap::default(),
        }
    }

    /// The error of the field selected at `pos` whose read `read` failed with `failure`.
    pub(super) fn read_error(&mut self, read: ReadId, failure: &ReadFailure, pos: Pos) -> Failure {
        let error = self
            .read_errors
            .entry(read)
            .or_insert_with(|| read_failure(failure, pos));
        Failure::Error(error.clone())
    }

    /// The root field's context, for the types' resolvers.
    pub(crate) fn ctx(&self) -> &'p Context<'p> {
        self.ctx
    }

    pub(super) fn raw(&mut self, text: &str) {
        self.json.extend_from_slice(text.as_bytes());
    }

    /// A JSON string.
    pub(super) fn string(&mut self, text: &str) {
        // Writing a string to a vector cannot fail.
        let _ = serde_json::to_writer(&mut self.json, text);
    }

    /// A JSON number.
    fn number<N: serde::Serialize>(&mut self, number: N) {
        // Writing a finite number to a vector cannot fail.
        let _ = serde_json::to_writer(&mut self.json, &number);
    }

    /// A record's global ID, as a JSON string.
    pub(crate) fn global_id(&mut self, kind: NodeType, id: Uuid) {
        self.json.push(b'"');
        write_global_id(kind, id, &mut self.json);
        self.json.push(b'"');
    }

    pub(super) fn begin_object(&mut self) -> Members {
        let start = self.json.len();
        self.json.push(b'{');
        Members { start, written: 0 }
    }

    /// Writes the key of the next member and returns where the member starts, to take it
    /// back if its value fails.
    pub(super) fn key(&mut self, members: &Members, key: &str) -> usize {
        let mark = self.json.len();
        if members.written > 0 {
            self.json.push(b',');
        }
        self.string(key);
        self.json.push(b':');
        mark
    }

    /// Keeps the member begun at `mark` when its value was written. A member that failed is
    /// taken back, its error (if its own) recorded, and written as `null` when it may be null;
    /// false when it may not, and its object is then null in turn.
    pub(super) fn member(
        &mut self,
        members: &mut Members,
        mark: usize,
        key: &str,
        nullable: bool,
        value: Result<(), Failure>,
    ) -> bool {
        match value {
            Ok(()) => {
                members.written += 1;
                true
            }
            Err(failure) => {
                self.json.truncate(mark);
                if let Failure::Error(error) = failure {
                    self.error(key, error);
                }
                if nullable {
                    self.key(members, key);
                    self.raw("null");
                    members.written += 1;
                }
                nullable
            }
        }
    }

    /// Closes an object whose members were all answered (`whole`), or takes it back: a
    /// non-null member failed, and the object is then null.
    pub(super) fn end_object(&mut self, members: Members, whole: bool) -> Result<(), Failure> {
        if whole {
            self.json.push(b'}');
            Ok(())
        } else {
            self.json.truncate(members.start);
            Err(Failure::Nulled)
        }
    }

    /// A list of `items`, each written by `item` one level down, under its index. An item
    /// that fails is `null` when the items may be null (`nullable`); otherwise the list fails
    /// (and is taken back), as the specification has it.
    pub(super) fn list<I>(
        &mut self,
        items: impl IntoIterator<Item = I>,
        nullable: bool,
        mut item: impl FnMut(&mut Self, I) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let start = self.json.len();
        self.json.push(b'[');
        let mut whole = true;
        for (index, value) in items.into_iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            let mark = self.json.len();
            let failed = self.under(Segment::Index(index), |out| match item(out, value) {
                Ok(()) => false,
                Err(failure) => {
                    if let Failure::Error(error) = failure {
                        out.error_here(error);
                    }
                    true
                }
            });
            if failed {
                self.json.truncate(mark);
                self.raw("null");
                whole &= nullable;
            }
        }
        if whole {
            self.json.push(b']');
            Ok(())
        } else {
            self.json.truncate(start);
            Err(Failure::Nulled)
        }
    }

    /// Records the error of field `key` of the current object.
    fn error(&mut self, key: &str, error: ServerError) {
        self.error_at(Some(key), error);
    }

    /// Records an error of the current field, whose value is written all the same.
    pub(super) fn error_here(&mut self, error: ServerError) {
        self.error_at(None, error);
    }

    fn error_at(&mut self, key: Option<&str>, mut error: ServerError) {
        error.path = std::iter::once(PathSegment::Field(self.root.clone()))
            .chain(self.path.iter().map(|segment| match segment {
                Segment::Key(key) => PathSegment::Field((*key).to_owned()),
                Segment::Index(index) => PathSegment::Index(*index),
            }))
            .chain(key.map(|key| PathSegment::Field(key.to_owned())))
            .collect();
        self.errors.push(error);
    }

    /// Renders `value` one level down, under `segment`.
    pub(super) fn under<T>(
        &mut self,
        segment: Segment<'p>,
        value: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.path.push(segment);
        let value = value(self);
        self.path.pop();
        value
    }
}
