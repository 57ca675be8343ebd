//! Clinical trial registry identifiers. Their check digits have no published algorithm, so
//! they are checked by format only (see domain.md §5).

use std::fmt;

use super::InvalidValue;

/// Whether `value` is ASCII digits in groups of the given lengths joined by `-`.
fn is_digit_groups(value: &str, lengths: &[usize]) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == *n && g.bytes().all(|b| b.is_ascii_digit()))
}

macro_rules! registry_number {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, |$v:ident| $valid:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses the canonical form.
            pub fn parse(value: &str) -> Result<Self, InvalidValue> {
                let $v = value.trim();
                if $valid {
                    Ok($name($v.to_owned()))
                } else {
                    Err(InvalidValue::Format {
                        kind: $kind,
                        value: value.to_owned(),
                        expected: $expected,
                    })
                }
            }

            /// The canonical form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

registry_number!(
    /// EU CT number of the Clinical Trials Information System (Regulation 536/2014).
    EuCtNumber, "EU CT number", "`YYYY-NNNNNN-NN-NN`",
    |v| is_digit_groups(v, &[4, 6, 2, 2])
);
registry_number!(
    /// EudraCT number (2004 to 2023): `YYYY-NNNNNN-CC`, the year no earlier than 2004.
    EudractNumber, "EudraCT number", "`YYYY-NNNNNN-CC` with YYYY from 2004",
    |v| is_digit_groups(v, &[4, 6, 2])
        && v.split('-').next().and_then(|year| year.parse::<u32>().ok()).is_some_and(|y| y >= 2004)
);
registry_number!(
    /// ClinicalTrials.gov identifier.
    NctNumber, "NCT number", "`NCT` + 8 digits",
    |v| v.strip_prefix("NCT").is_some_and(|digits| digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_numbers_are_checked_by_format() {
        assert!(EuCtNumber::parse("2022-501549-57-00").is_ok());
        assert!(EuCtNumber::parse("2022-501549-57").is_err());
        assert!(EudractNumber::parse("2014-003556-31").is_ok());
        assert!(EudractNumber::parse("1999-003556-31").is_err());
        assert!(EudractNumber::parse("2014-03556-31").is_err());
        assert!(NctNumber::parse("NCT01234567").is_ok());
        assert!(NctNumber::parse("NCT1234567").is_err());
        assert!(NctNumber::parse("nct01234567").is_err());
    }

    #[test]
    fn hostile_input_is_a_format_error_not_a_panic() {
        let long = "1".repeat(100_000);
        for value in [
            "",
            "-",
            "---",
            "é",
            "NCTéééé12",
            "NCT\u{10FFFF}12345",
            "éééé-003556-31",
            "2014-éé3556-31",
            "٢٠١٤-003556-31",
            "2014-003556-31-",
            long.as_str(),
        ] {
            assert!(EuCtNumber::parse(value).is_err(), "{value:?}");
            assert!(EudractNumber::parse(value).is_err(), "{value:?}");
            assert!(NctNumber::parse(value).is_err(), "{value:?}");
        }
    }
}
