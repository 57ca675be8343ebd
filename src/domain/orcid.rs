//! ORCID iDs: 16 characters in four groups of four, the last a MOD 11-2 check character.

use std::fmt;

use super::InvalidValue;

const KIND: &str = "ORCID iD";
const EXPECTED: &str = "`https://orcid.org/` (optional) + `NNNN-NNNN-NNNN-NNNC`, C a digit or X";
const CHECK_CHARACTERS: &[u8; 11] = b"0123456789X";

/// A checksum-valid ORCID iD, held as `0000-0002-1825-0097`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcid(String);

impl Orcid {
    /// Parses the hyphenated form, with or without the `https://orcid.org/` prefix.
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let format = || InvalidValue::Format {
            kind: KIND,
            value: value.to_owned(),
            expected: EXPECTED,
        };
        let bare = value.trim().trim_start_matches("https://orcid.org/");
        // Four groups of four ASCII characters, checked before any position is read: a length
        // in bytes says nothing about characters until the text is known to be ASCII.
        let groups: Vec<&str> = bare.split('-').collect();
        if groups.len() != 4 || groups.iter().any(|g| g.len() != 4 || !g.is_ascii()) {
            return Err(format());
        }
        let characters = groups.concat().into_bytes();
        let Some((check, body)) = characters.split_last() else {
            return Err(format());
        };
        let mut total: u32 = 0;
        for c in body {
            let digit = char::from(*c).to_digit(10).ok_or_else(format)?;
            total = (total + digit) * 2;
        }
        // MOD 11-2: the remainder picks the check character, 10 standing for `X`.
        let expected = CHECK_CHARACTERS.get((12 - total % 11) as usize % 11);
        if Some(check) == expected {
            Ok(Orcid(bare.to_owned()))
        } else if check.is_ascii_digit() || *check == b'X' {
            Err(InvalidValue::Checksum {
                kind: KIND,
                value: value.to_owned(),
            })
        } else {
            Err(format())
        }
    }

    /// The canonical URL form.
    pub fn url(&self) -> String {
        format!("https://orcid.org/{}", self.0)
    }

    /// The bare hyphenated form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Orcid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_orcid_ids_parse() {
        assert_eq!(
            Orcid::parse("https://orcid.org/0000-0002-1825-0097").map(|o| o.url()),
            Ok("https://orcid.org/0000-0002-1825-0097".to_owned())
        );
        assert!(Orcid::parse("0000-0002-1694-233X").is_ok());
    }

    #[test]
    fn invalid_orcid_ids_are_rejected() {
        assert!(matches!(
            Orcid::parse("0000-0002-1825-0098"),
            Err(InvalidValue::Checksum { .. })
        ));
        for value in [
            "0000000218250097",
            "0000-0002-1825-009",
            "000A-0002-1825-0097",
            "0000-0002-1825-009Y",
        ] {
            assert!(
                matches!(Orcid::parse(value), Err(InvalidValue::Format { .. })),
                "{value}"
            );
        }
    }

    #[test]
    fn hostile_input_is_a_format_error_not_a_panic() {
        let long = "0000-".repeat(10_000);
        let cases = [
            ("éé-éé-éé-éé", "four bytes a group, but two characters"),
            ("0000-0002-1825-009é", "a multi-byte check character"),
            ("ééé0-0002-1825-0097", "multi-byte digits-to-be"),
            ("٠٠٠٠-٠٠٠٢-١٨٢٥-٠٠٩٧", "Arabic-Indic digits"),
            ("", "empty"),
            ("   ", "only white space"),
            ("https://orcid.org/", "only the prefix"),
            ("---", "only hyphens"),
            ("----------------", "sixteen hyphens"),
            ("0000--0002-1825-0097", "an empty group"),
            ("\0\0\0\0-\0\0\0\0-\0\0\0\0-\0\0\0\0", "control characters"),
            (long.as_str(), "very long"),
        ];
        for (value, why) in cases {
            assert!(
                matches!(Orcid::parse(value), Err(InvalidValue::Format { .. })),
                "{why}: {value:?}"
            );
        }
    }
}
