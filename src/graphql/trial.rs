//! `Trial`: clinical trials of ATMPs, with their registry identifiers.

use entities::trial;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    TrialConnection,
    TrialEdge,
    Trial,
    trial::Model,
    "A page of trials.",
    "A trial in a page, with its cursor."
);

record_type! {
    /// A clinical trial of an ATMP.
    Trial: store::Trials {
        id;
        /// Title of the trial.
        leaf "title" title: &str = |title| title;
        /// EU CT number in CTIS (`YYYY-NNNNNN-NN-NN`), when known.
        leaf "euCtNumber" eu_ct_number: Option<&str> = |eu_ct_number| eu_ct_number.as_deref();
        /// EudraCT number (`YYYY-NNNNNN-CC`), when known.
        leaf "eudractNumber" eudract_number: Option<&str> =
            |eudract_number| eudract_number.as_deref();
        /// ClinicalTrials.gov identifier (`NCT` + 8 digits), when known.
        leaf "nctNumber" nct_number: Option<&str> = |nct_number| nct_number.as_deref();
        /// Trial phase, when known.
        leaf "phase" phase: Option<super::TrialPhase> = |phase| phase.map(Into::into);
        /// Normalised status, when known.
        leaf "status" status: Option<super::TrialStatus> = |status| status.map(Into::into);
        /// Year the trial started, when known.
        leaf "startYear" start_year: Option<i32> = |start_year| *start_year;
        /// Year the trial ended; null while ongoing or unknown.
        leaf "endYear" end_year: Option<i32> = |end_year| *end_year;
        /// What the source says of the trial.
        leaf "description" description: Option<&str> = |description| description.as_deref();
        /// The institution whose records hold the trial.
        reference "institution" institution: super::Institution = institution_id;
        /// The sponsoring institution, when known.
        reference "sponsor" sponsor: Option<super::Institution> = sponsor_institution_id;
        /// The principal investigator, when known.
        reference "principalInvestigator" principal_investigator: Option<super::Person> =
            principal_investigator_id;
        /// The product under trial, when known.
        reference "product" product: Option<super::Product> = product_id;
        /// The unit that manufactures the product for the trial, when known.
        reference "manufacturingUnit" manufacturing_unit: Option<super::Unit> = manufacturing_unit_id;
        provenance;
        version;
        visibility;
    }
}
