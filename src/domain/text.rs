//! Folding text into the keys lists order, filter and search by.

/// What a character without a transliteration folds to.
const UNKNOWN: &str = "[?]";

/// Lowercase ASCII transliteration with runs of white space collapsed, so that `Sällberg`
/// sorts with `Sallberg` and both engines compare the same bytes.
///
/// Each character folds on its own: white space to a space, an ASCII control character to
/// nothing, any other ASCII character to itself and every other character to its
/// transliteration (`ø` to `o`, `ß` to `ss`, an en dash to `-`). So a part of a text folds to a
/// part of the text's fold, and a beginning to its beginning: `contains` and `startsWith`,
/// which compare folds, find every part of a text as written.
pub fn fold(text: &str) -> String {
    let mut transliterated = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() {
            transliterated.push(' ');
        } else if c.is_ascii_control() {
            // Dropped wherever it stands (deunicode keeps it only in a text's ASCII start).
        } else if c.is_ascii() {
            transliterated.push(c);
        } else {
            transliterated.push_str(deunicode::deunicode_char(c).unwrap_or(UNKNOWN));
        }
    }
    transliterated.make_ascii_lowercase();
    transliterated
        .split_ascii_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::fold;
    use proptest::prelude::*;

    #[test]
    fn folding_drops_diacritics_case_and_extra_space() {
        assert_eq!(fold("Matti  Sällberg"), "matti sallberg");
        assert_eq!(fold("Gustaf Ahlén"), "gustaf ahlen");
        assert_eq!(fold("Martin Bergö"), "martin bergo");
    }

    #[test]
    fn letters_that_do_not_decompose_and_punctuation_fold_too() {
        assert_eq!(fold("Søren Ærø Łódź Straße"), "soren aero lodz strasse");
        assert_eq!(
            fold("Clinical application – care — “treatment”"),
            "clinical application - care -- \"treatment\""
        );
    }

    #[test]
    fn control_characters_fold_alike_wherever_they_stand() {
        assert_eq!(fold("a\u{1}b"), "ab");
        assert_eq!(fold("ö\u{1}b"), "ob");
        assert_eq!(fold("ö\nb\tc"), "o b c");
    }

    /// Any text, drawn mostly from characters folding takes apart: letters NFKD does not
    /// decompose, dashes, quotes, white space and control characters, CJK (transliterated
    /// with a trailing space), one without a transliteration, and any other character.
    fn text() -> impl Strategy<Value = String> {
        let tricky = proptest::sample::select(vec![
            'ø', 'Ø', 'æ', 'Æ', 'ß', 'Ł', 'ł', 'đ', 'þ', 'ı', 'ﬁ', 'é', 'É', 'ö', 'å', 'ñ', '–',
            '—', '‘', '’', '“', '”', '„', '«', '…', ' ', '\t', '\n', '\u{a0}', '\u{3000}', '\u{1}',
            '\u{7f}', '\u{85}', '\u{200b}', '\u{301}', '中', '国', '☃', '\u{e000}', 'a', 'Z', '0',
            '-', '%', '_', '\\',
        ]);
        let character = prop_oneof![3 => tricky, 1 => any::<char>()];
        proptest::collection::vec(character, 0..12).prop_map(|chars| chars.into_iter().collect())
    }

    /// Every part of `text` from one character boundary to another.
    fn parts(text: &str) -> Vec<(usize, &str)> {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect();
        let mut parts = Vec::new();
        for (n, &start) in bounds.iter().enumerate() {
            for &end in bounds.iter().skip(n) {
                parts.push((start, text.get(start..end).unwrap_or_default()));
            }
        }
        parts
    }

    proptest! {
        // A fixed seed: every run draws the same texts.
        #![proptest_config(ProptestConfig {
            cases: 2000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(20),
            ..ProptestConfig::default()
        })]

        #[test]
        fn every_part_of_a_text_folds_to_a_part_of_its_fold(text in text()) {
            let whole = fold(&text);
            for (start, part) in parts(&text) {
                let folded = fold(part);
                prop_assert!(whole.contains(&folded), "{part:?} of {text:?}: {folded:?} in {whole:?}");
                if start == 0 {
                    prop_assert!(whole.starts_with(&folded), "{part:?} of {text:?}: {folded:?} before {whole:?}");
                }
            }
        }

        #[test]
        fn a_fold_is_printable_ascii_lowercase_with_single_spaces(text in text()) {
            let folded = fold(&text);
            prop_assert!(folded.bytes().all(|b| (b' '..=b'~').contains(&b) && !b.is_ascii_uppercase()), "{folded:?}");
            prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "), "{folded:?}");
            prop_assert_eq!(fold(&folded), folded);
        }
    }
}
