//! ORCID iDs: 16 characters in four groups of four, the last a MOD 11-2 check character.

use std::fmt;

use super::InvalidValue;

const KIND: &str = "ORCID iD";
const EXPECTED: &str = "`https://orcid.org/` (optional) + `NNNN-NNNN-NNNN-NNNC`, C a digit or X";

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
        let groups: Vec<&str> = bare.split('-').collect();
        if groups.len() != 4 || groups.iter().any(|g| g.len() != 4) {
            return Err(format());
        }
        let characters: Vec<char> = groups.concat().chars().collect();
        let (body, check) = characters.split_at(15);
        let mut total: u32 = 0;
        for c in body {
            let digit = c.to_digit(10).ok_or_else(format)?;
            total = (total + digit) * 2;
        }
        let expected = match (12 - total % 11) % 11 {
            10 => 'X',
            digit => char::from_digit(digit, 10).ok_or_else(format)?,
        };
        match check.first() {
            Some(c) if *c == expected => Ok(Orcid(bare.to_owned())),
            Some(c) if c.is_ascii_digit() || *c == 'X' => Err(InvalidValue::Checksum {
                kind: KIND,
                value: value.to_owned(),
            }),
            _ => Err(format()),
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
}
