//! `Milestone`: the history timeline of cell and gene therapy at Karolinska.

use entities::milestone;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    MilestoneConnection,
    MilestoneEdge,
    Milestone,
    milestone::Model,
    "A page of milestones.",
    "A milestone in a page, with its cursor."
);

record_type! {
    /// An event of the history timeline, such as the first CAR-T cells to enter clinical trials in Europe (2014).
    Milestone: store::Milestones {
        id;
        /// Year of the event.
        leaf "year" year: i32 = |year| *year;
        /// What happened.
        leaf "title" title: &str = |title| title;
        /// More on the event.
        leaf "description" description: Option<&str> = |description| description.as_deref();
        /// The institution the event belongs to.
        reference "institution" institution: super::Institution = institution_id;
        /// The unit the event concerns, when there is one.
        reference "unit" unit: Option<super::Unit> = unit_id;
        provenance;
        version;
        visibility;
    }
}
