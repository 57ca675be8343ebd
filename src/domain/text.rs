//! Folding text into the keys lists order and search by.

/// Lowercase ASCII transliteration with runs of white space collapsed, so that `Sällberg`
/// sorts with `Sallberg` and both engines compare the same bytes.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_drops_diacritics_case_and_extra_space() {
        assert_eq!(fold("Matti  Sällberg"), "matti sallberg");
        assert_eq!(fold("Gustaf Ahlén"), "gustaf ahlen");
        assert_eq!(fold("Martin Bergö"), "martin bergo");
    }
}
