//! ROR IDs (Research Organization Registry): `0` + 6 Crockford base-32 characters + 2 check
//! digits (ISO/IEC 7064 MOD 97-10 over the base-32 value), e.g. `056d84691` for KI.

use std::fmt;

use super::InvalidValue;

const KIND: &str = "ROR ID";
const EXPECTED: &str =
    "`https://ror.org/` (optional) + `0` + 6 Crockford base-32 characters + 2 digits";
const ALPHABET: &str = "0123456789abcdefghjkmnpqrstvwxyz";

/// A checksum-valid ROR ID, held in its 9-character lowercase form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RorId(String);

impl RorId {
    /// Parses the full URL (`https://ror.org/056d84691`), `ror.org/…` or the bare 9 characters.
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let format = || InvalidValue::Format {
            kind: KIND,
            value: value.to_owned(),
            expected: EXPECTED,
        };
        let bare = value
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("ror.org/");
        if bare.len() != 9 || !bare.is_ascii() || !bare.starts_with('0') {
            return Err(format());
        }
        let (body, check) = bare.split_at_checked(7).ok_or_else(format)?;
        let mut number: u64 = 0;
        for c in body.chars() {
            let digit = ALPHABET.find(c).ok_or_else(format)?;
            number = number * 32 + digit as u64;
        }
        if !check.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format());
        }
        let check: u64 = check.parse().map_err(|_| format())?;
        if 98 - (number * 100) % 97 != check {
            return Err(InvalidValue::Checksum {
                kind: KIND,
                value: value.to_owned(),
            });
        }
        Ok(RorId(bare.to_owned()))
    }

    /// The canonical URL form.
    pub fn url(&self) -> String {
        format!("https://ror.org/{}", self.0)
    }
}

impl fmt::Display for RorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ror_ids_parse_in_every_accepted_form() {
        for value in [
            "https://ror.org/056d84691",
            "ror.org/00m8d6786",
            "03ths8210",
            "01k4yrm29",
            "0130frc33",
        ] {
            assert!(RorId::parse(value).is_ok(), "{value}");
        }
        assert_eq!(
            RorId::parse("056d84691").map(|r| r.url()),
            Ok("https://ror.org/056d84691".to_owned())
        );
    }

    #[test]
    fn malformed_or_wrong_checksum_ror_ids_are_rejected() {
        let cases = [
            ("01k4yrm30", "wrong checksum"),
            ("156d84691", "does not start with 0"),
            ("056d8469", "too short"),
            ("0o6d84691", "contains o, outside Crockford's alphabet"),
            ("0äd84691", "not ASCII"),
            ("http://ror.org/056d84691x", "ten characters"),
            ("0éé4yrm", "nine bytes, seven characters"),
            (
                "0\u{10FFFF}d846",
                "nine bytes, six characters, one of four bytes",
            ),
            ("", "empty"),
            ("https://", "only the scheme"),
            ("0zzzzzz99", "the largest body, a check that cannot be"),
        ];
        for (value, why) in cases {
            assert!(RorId::parse(value).is_err(), "{value}: {why}");
        }
        assert!(matches!(
            RorId::parse("01k4yrm30"),
            Err(InvalidValue::Checksum { .. })
        ));
    }
}
