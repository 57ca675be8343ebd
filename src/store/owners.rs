//! Which institutions own the rows a filter can match, and so which sources are asked: a row is
//! held only by its owner's source, so a filter that limits the owner column, anywhere in its
//! tree where it narrows every match, needs only those owners' sources. The rest may answer
//! while another source is down.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::filter::{Predicate, Scalar, Test};

/// The institutions owning every row `predicate` can match, by the tests of the owner column
/// `owner`: an `and` holds the owners all of its parts allow, an `or` those any of them does,
/// and a `not` or any other test allows every owner (`None`). `Some` of none: no row matches.
pub(crate) fn owners(predicate: &Predicate, owner: &str) -> Option<BTreeSet<Uuid>> {
    match predicate {
        Predicate::All(all) => all
            .iter()
            .filter_map(|part| owners(part, owner))
            .reduce(|allowed, part| allowed.intersection(&part).copied().collect()),
        // No row matches an empty `or`: none of its parts allows any owner.
        Predicate::Any(any) => any.iter().try_fold(BTreeSet::new(), |allowed, part| {
            owners(part, owner).map(|part| allowed.union(&part).copied().collect())
        }),
        Predicate::Column { column, test, .. } if *column == owner => match test {
            Test::Eq(value) => ids([value]),
            Test::In(values) => ids(values),
            _ => None,
        },
        _ => None,
    }
}

/// The IDs among `values`, when they all are.
fn ids<'a>(values: impl IntoIterator<Item = &'a Scalar>) -> Option<BTreeSet<Uuid>> {
    values
        .into_iter()
        .map(|value| match value {
            Scalar::Uuid(id) => Some(*id),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::filter::TextMatch;
    use super::*;

    const KI: Uuid = Uuid::from_u128(1);
    const KUH: Uuid = Uuid::from_u128(2);

    fn owned_by(ids: &[Uuid]) -> Predicate {
        Predicate::Column {
            column: "institution_id",
            text: TextMatch::Exact,
            test: Test::In(ids.iter().copied().map(Scalar::Uuid).collect()),
        }
    }

    fn grade_a() -> Predicate {
        Predicate::Column {
            column: "grade",
            text: TextMatch::Exact,
            test: Test::Eq(Scalar::Text("A".to_owned())),
        }
    }

    fn set(ids: &[Uuid]) -> Option<BTreeSet<Uuid>> {
        Some(ids.iter().copied().collect())
    }

    #[test]
    fn the_owner_column_narrows_the_owners_wherever_it_narrows_every_match() {
        for (predicate, expected, what) in [
            (owned_by(&[KI]), set(&[KI]), "a test of the owner"),
            (
                Predicate::Column {
                    column: "institution_id",
                    text: TextMatch::Exact,
                    test: Test::Eq(Scalar::Uuid(KUH)),
                },
                set(&[KUH]),
                "`eq`",
            ),
            (
                Predicate::All(vec![Predicate::All(vec![owned_by(&[KI])]), grade_a()]),
                set(&[KI]),
                "an `and` within an `and`, beside another test",
            ),
            (
                Predicate::All(vec![owned_by(&[KI, KUH]), owned_by(&[KUH])]),
                set(&[KUH]),
                "an `and` intersects",
            ),
            (
                Predicate::All(vec![owned_by(&[KI]), owned_by(&[KUH])]),
                set(&[]),
                "an `and` of two owners matches nothing",
            ),
            (
                Predicate::Any(vec![owned_by(&[KI]), owned_by(&[KUH])]),
                set(&[KI, KUH]),
                "an `or` unites",
            ),
            (
                Predicate::Any(vec![
                    Predicate::All(vec![owned_by(&[KI]), grade_a()]),
                    owned_by(&[KI]),
                ]),
                set(&[KI]),
                "an `or` of parts each narrowed",
            ),
            (Predicate::Any(Vec::new()), set(&[]), "an empty `or`"),
        ] {
            assert_eq!(owners(&predicate, "institution_id"), expected, "{what}");
        }
    }

    #[test]
    fn anything_else_allows_every_owner() {
        for (predicate, what) in [
            (Predicate::True, "no test"),
            (Predicate::All(Vec::new()), "an empty `and`"),
            (grade_a(), "a test of another column"),
            (Predicate::Not(Box::new(owned_by(&[KUH]))), "a `not`"),
            (
                Predicate::Any(vec![owned_by(&[KI]), grade_a()]),
                "an `or` with a part that allows every owner",
            ),
            (
                Predicate::Column {
                    column: "partner_institution_id",
                    text: TextMatch::Exact,
                    test: Test::In(vec![Scalar::Uuid(KI)]),
                },
                "a column placing a record at an institution that does not own it",
            ),
            (
                Predicate::Column {
                    column: "institution_id",
                    text: TextMatch::Exact,
                    test: Test::Ne(Scalar::Uuid(KI)),
                },
                "`ne`",
            ),
            (
                Predicate::Refers {
                    column: "unit_id",
                    table: "unit",
                    predicate: Box::new(owned_by(&[KI])),
                },
                "the owner of another record",
            ),
        ] {
            assert_eq!(owners(&predicate, "institution_id"), None, "{what}");
        }
    }
}
