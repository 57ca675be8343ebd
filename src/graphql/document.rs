//! A query's text, checked before anything costly sees it.
//!
//! First a linear, non-recursive scan of the tokens (apollo-parser's lexer) bounds the
//! nesting of `{`, `[` and `(` and the token count, so the recursive parser never meets a
//! document deep enough to exhaust a worker's stack. Then the parsed document is measured
//! against the per-request limits: selection depth, aliases per selection set, root fields,
//! directives per selection and fields after expanding fragments. Each fragment is measured
//! once and its figures reused wherever it is spread, so a fragment that spreads another
//! twice, thirty levels deep, costs thirty steps to refuse, not 2³⁰.

use std::collections::HashMap;

use apollo_parser::{Lexer, TokenKind};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Pos};

use super::ApiError;

/// What one query may ask; each limit is a setting of its own.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Deepest nesting of `{`, `[` and `(` in the query text.
    pub max_nesting: usize,
    /// Most tokens in the query text (names, values and punctuation; not spaces, commas or comments).
    pub max_tokens: usize,
    /// Deepest nesting of fields.
    pub max_depth: usize,
    /// Most aliased fields in one selection set.
    pub max_aliases: usize,
    /// Most fields at the root of an operation, fragments expanded.
    pub max_root_fields: usize,
    /// Most directives on one field, fragment spread or inline fragment.
    pub max_directives: usize,
    /// Most fields after expanding fragments (every fragment spread counts one too).
    pub max_fields: usize,
}

/// Why a query is refused before execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentError {
    /// Over one of the [`QueryLimits`]: code `QUERY_TOO_COMPLEX`.
    TooComplex { message: String, pos: Option<Pos> },
    /// Not a GraphQL document, or a fragment that spreads itself: code `BAD_USER_INPUT`.
    Invalid { message: String, pos: Option<Pos> },
}

impl From<DocumentError> for async_graphql::ServerError {
    fn from(error: DocumentError) -> Self {
        match error {
            DocumentError::TooComplex { message, pos } => {
                ApiError::QueryTooComplex(message).into_server_error(pos)
            }
            DocumentError::Invalid { message, pos } => {
                ApiError::BadUserInput(message).into_server_error(pos)
            }
        }
    }
}

fn too_complex(message: String, pos: Option<Pos>) -> DocumentError {
    DocumentError::TooComplex { message, pos }
}

/// Scans, parses and measures `text`: the document, or why it is refused.
pub fn parse_checked(text: &str, limits: &QueryLimits) -> Result<Checked, DocumentError> {
    let tokens = scan(text, limits)?;
    let document = async_graphql::parser::parse_query(text).map_err(syntax_error)?;
    let fields = measure(&document, limits)?;
    Ok(Checked {
        document,
        weight: Weight { tokens, fields },
    })
}

/// A document within every limit, and what it weighs.
#[derive(Debug)]
pub struct Checked {
    pub document: ExecutableDocument,
    pub weight: Weight,
}

/// What a checked document's validation and execution grow with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight {
    /// Tokens in the text.
    pub tokens: usize,
    /// Fields of its largest operation, fragments expanded.
    pub fields: u64,
}

impl Weight {
    /// Whether validating and running the document may take long enough (a millisecond or
    /// more) that it should not hold an async worker that other requests are waiting for.
    pub fn is_heavy(&self) -> bool {
        self.tokens > 2_000 || self.fields > 500
    }
}

/// Bounds nesting and tokens in one pass over the text, before any recursive parsing; the
/// number of tokens.
fn scan(text: &str, limits: &QueryLimits) -> Result<usize, DocumentError> {
    let mut nesting: usize = 0;
    let mut tokens: usize = 0;
    for token in Lexer::new(text) {
        // Lexical errors (an unterminated string, a stray character) are the parser's to report.
        let Ok(token) = token else { continue };
        match token.kind() {
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Comma | TokenKind::Eof => {
                continue
            }
            TokenKind::LCurly | TokenKind::LBracket | TokenKind::LParen => {
                nesting += 1;
                if nesting > limits.max_nesting {
                    return Err(too_complex(
                        format!(
                            "the query nests `{{`, `[` and `(` deeper than {} levels (limit `max-nesting`)",
                            limits.max_nesting
                        ),
                        None,
                    ));
                }
            }
            TokenKind::RCurly | TokenKind::RBracket | TokenKind::RParen => {
                nesting = nesting.saturating_sub(1);
            }
            _ => {}
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(too_complex(
                format!(
                    "the query has more than {} tokens (limit `max-tokens`)",
                    limits.max_tokens
                ),
                None,
            ));
        }
    }
    Ok(tokens)
}

/// One line, with the position, instead of the parser's multi-line drawing.
fn syntax_error(error: async_graphql::parser::Error) -> DocumentError {
    let pos = error.positions().next();
    let message = match &error {
        async_graphql::parser::Error::Syntax { message, .. } => {
            // pest ends its drawing with `= expected …`: keep that line, in words.
            let expected = message
                .lines()
                .rev()
                .find_map(|line| line.trim().strip_prefix("= "))
                .unwrap_or("unexpected input")
                .replace('_', " ");
            format!("syntax error: {expected}")
        }
        other => format!("invalid document: {other}"),
    };
    let message = match pos {
        Some(pos) => format!("{message} (line {}, column {})", pos.line, pos.column),
        None => message,
    };
    DocumentError::Invalid { message, pos }
}

/// A selection set's figures, fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    /// Fields, fragment spreads and inline fragments, each fragment's counted where spread.
    selections: u64,
    /// Fields directly in the set, or in fragments spread into it.
    fields_here: u64,
    /// Deepest nesting of fields.
    depth: usize,
}

/// Measures every operation and fragment of `document` against `limits`: the fields of the
/// largest operation.
fn measure(document: &ExecutableDocument, limits: &QueryLimits) -> Result<u64, DocumentError> {
    let order = fragments_in_dependency_order(document)?;
    let mut measurer = Measurer {
        limits,
        fragments: HashMap::with_capacity(order.len()),
    };
    for name in order {
        if let Some(fragment) = document.fragments.get(name) {
            let size = measurer.selection_set(&fragment.node.selection_set)?;
            measurer.fragments.insert(name, size);
        }
    }
    let mut largest = 0;
    for (_, operation) in document.operations.iter() {
        let set = &operation.node.selection_set;
        let size = measurer.selection_set(set)?;
        largest = largest.max(size.selections);
        if size.fields_here > limits.max_root_fields as u64 {
            return Err(too_complex(
                format!(
                    "the operation selects more than {} root fields (limit `max-root-fields`)",
                    limits.max_root_fields
                ),
                Some(set.pos),
            ));
        }
        measurer.directives(&operation.node.directives, operation.pos)?;
    }
    Ok(largest)
}

struct Measurer<'a> {
    limits: &'a QueryLimits,
    /// Figures of the fragments measured so far; a fragment is measured after those it spreads.
    fragments: HashMap<&'a Name, Size>,
}

impl<'a> Measurer<'a> {
    /// Recurses only as deep as the text nests, which the scan has bounded.
    fn selection_set(&self, set: &Positioned<SelectionSet>) -> Result<Size, DocumentError> {
        let mut size = Size::default();
        let mut aliases = 0;
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives(&field.directives, selection.pos)?;
                    if field.alias.is_some() {
                        aliases += 1;
                        if aliases > self.limits.max_aliases {
                            return Err(too_complex(
                                format!(
                                    "a selection set has more than {} aliased fields (limit `max-aliases`)",
                                    self.limits.max_aliases
                                ),
                                Some(selection.pos),
                            ));
                        }
                    }
                    let inner = self.selection_set(&field.selection_set)?;
                    size.selections = size.selections.saturating_add(1 + inner.selections);
                    size.fields_here = size.fields_here.saturating_add(1);
                    size.depth = size.depth.max(inner.depth.saturating_add(1));
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives, selection.pos)?;
                    // An unknown fragment is validation's to report; it adds nothing here.
                    let inner = self
                        .fragments
                        .get(&spread.node.fragment_name.node)
                        .copied()
                        .unwrap_or_default();
                    self.add_fragment(&mut size, inner);
                }
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives, selection.pos)?;
                    let inner = self.selection_set(&inline.node.selection_set)?;
                    self.add_fragment(&mut size, inner);
                }
            }
            if size.depth > self.limits.max_depth {
                return Err(too_complex(
                    format!(
                        "the query nests fields deeper than {} levels (limit `max-depth`)",
                        self.limits.max_depth
                    ),
                    Some(selection.pos),
                ));
            }
            if size.selections > self.limits.max_fields as u64 {
                return Err(too_complex(
                    format!(
                        "the query selects more than {} fields, counting each fragment wherever it is spread (limit `max-fields`)",
                        self.limits.max_fields
                    ),
                    Some(selection.pos),
                ));
            }
        }
        Ok(size)
    }

    fn add_fragment(&self, size: &mut Size, inner: Size) {
        size.selections = size.selections.saturating_add(1 + inner.selections);
        size.fields_here = size.fields_here.saturating_add(inner.fields_here);
        size.depth = size.depth.max(inner.depth);
    }

    fn directives<T>(&self, directives: &[T], pos: Pos) -> Result<(), DocumentError> {
        if directives.len() > self.limits.max_directives {
            return Err(too_complex(
                format!(
                    "a selection has more than {} directives (limit `max-directives`)",
                    self.limits.max_directives
                ),
                Some(pos),
            ));
        }
        Ok(())
    }
}

/// The document's fragments, each after every fragment it spreads; a cycle is an error.
///
/// Depth-first with an explicit stack: a chain of thousands of fragments must not recurse.
fn fragments_in_dependency_order(
    document: &ExecutableDocument,
) -> Result<Vec<&Name>, DocumentError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&Name, Mark> = HashMap::with_capacity(document.fragments.len());
    let mut order = Vec::with_capacity(document.fragments.len());
    // By name, so that the same document always gets the same error.
    let mut roots: Vec<_> = document.fragments.iter().collect();
    roots.sort_unstable_by_key(|(name, _)| *name);
    for (root, fragment) in roots {
        if marks.contains_key(root) {
            continue;
        }
        // (fragment, the fragments it spreads, how many of them are visited)
        let mut stack = vec![(root, spreads_of(fragment), 0)];
        marks.insert(root, Mark::Open);
        while let Some((name, spreads, next)) = stack.last_mut() {
            let Some(&spread) = spreads.get(*next) else {
                marks.insert(*name, Mark::Done);
                order.push(*name);
                stack.pop();
                continue;
            };
            *next += 1;
            let Some((spread, fragment)) = document.fragments.get_key_value(spread) else {
                continue;
            };
            match marks.get(spread) {
                Some(Mark::Done) => {}
                Some(Mark::Open) => {
                    return Err(DocumentError::Invalid {
                        message: format!(
                        "fragment `{spread}` spreads itself, directly or through other fragments"
                    ),
                        pos: Some(fragment.pos),
                    })
                }
                None => {
                    marks.insert(spread, Mark::Open);
                    stack.push((spread, spreads_of(fragment), 0));
                }
            }
        }
    }
    Ok(order)
}

/// The names of the fragments spread in `fragment`, at any nesting.
fn spreads_of(fragment: &Positioned<FragmentDefinition>) -> Vec<&Name> {
    let mut spreads = Vec::new();
    let mut sets = vec![&fragment.node.selection_set.node];
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => sets.push(&field.node.selection_set.node),
                Selection::FragmentSpread(spread) => spreads.push(&spread.node.fragment_name.node),
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
            }
        }
    }
    spreads
}

/// Whether a JSON value (a request's `variables`) nests deeper than `max` arrays and objects.
///
/// Iterative, so that the check itself cannot exhaust the stack.
pub fn json_nests_deeper_than(value: &serde_json::Value, max: usize) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match value {
            serde_json::Value::Array(items) => Box::new(items.iter()),
            serde_json::Value::Object(members) => Box::new(members.values()),
            _ => continue,
        };
        if depth + 1 > max {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// The default limits, for unit tests.
#[cfg(test)]
pub(crate) fn test_limits() -> QueryLimits {
    crate::config::Config::for_database("sqlite::memory:")
        .map(|config| config.request_limits().query)
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> String {
        match parse_checked(text, &test_limits()) {
            Ok(_) => "accepted".to_owned(),
            Err(DocumentError::TooComplex { message, .. }) => format!("too complex: {message}"),
            Err(DocumentError::Invalid { message, .. }) => format!("invalid: {message}"),
        }
    }

    fn fragment_bomb(levels: usize) -> String {
        let mut text = String::from("fragment F0 on Query { __typename }\n");
        for level in 1..=levels {
            let below = level - 1;
            text.push_str(&format!(
                "fragment F{level} on Query {{ ...F{below} ...F{below} }}\n"
            ));
        }
        text.push_str(&format!("query {{ ...F{levels} }}"));
        text
    }

    #[test]
    fn nesting_is_bounded_before_parsing_in_every_bracket_kind() {
        for (open, close) in [("[", "]"), ("{ a: ", "}"), ("(", ")")] {
            let deep = format!(
                "query($v: Int = {}1{}) {{ __typename }}",
                open.repeat(5_000),
                close.repeat(5_000)
            );
            assert!(
                refusal(&deep).contains("limit `max-nesting`"),
                "{open}: {}",
                refusal(&deep)
            );
        }
        let shallow = format!(
            "query($v: [Int] = {}1{}) {{ __typename }}",
            "[".repeat(10),
            "]".repeat(10)
        );
        assert_eq!(refusal(&shallow), "accepted");
    }

    #[test]
    fn the_deepest_text_allowed_parses_on_half_a_worker_stack() {
        // Tokio's workers have 2 MiB of stack; the parser must not need more than half of it
        // for the deepest document the scan lets through, even in a debug build.
        let at_the_limit = [
            format!(
                "query($v: Int = {}1{}) {{ __typename }}",
                "[".repeat(63),
                "]".repeat(63)
            ),
            format!("{{ f(a: {}1{}) }}", "{ a: ".repeat(62), "}".repeat(62)),
            format!("{{ {}__typename{} }}", "a { ".repeat(63), " }".repeat(63)),
        ];
        let unlimited = QueryLimits {
            max_depth: usize::MAX,
            ..test_limits()
        };
        let parsed = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                at_the_limit
                    .iter()
                    .map(|text| parse_checked(text, &unlimited).map(|_| ()))
                    .collect::<Vec<_>>()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(parsed, vec![Ok(()), Ok(()), Ok(())]);
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = format!(
            "# {}\n{{ institution(code: \"{}\") {{ name }} }}",
            "[".repeat(1_000),
            "{".repeat(1_000)
        );
        assert_eq!(refusal(&text), "accepted");
    }

    #[test]
    fn tokens_are_bounded() {
        let text = format!("{{ {} }}", "__typename ".repeat(16_000));
        assert!(
            refusal(&text).contains("limit `max-tokens`"),
            "{}",
            refusal(&text)
        );
    }

    #[test]
    fn a_fragment_bomb_is_refused_by_its_expanded_size() {
        assert!(refusal(&fragment_bomb(10)).contains("limit `max-fields`"));
        assert!(refusal(&fragment_bomb(60)).contains("limit `max-fields`"));
        assert_eq!(refusal(&fragment_bomb(4)), "accepted");
    }

    #[test]
    fn a_long_chain_of_fragments_does_not_recurse() {
        let mut text = String::from("fragment F0 on Query { __typename }\n");
        for level in 1..=3_000 {
            text.push_str(&format!(
                "fragment F{level} on Query {{ ...F{} }}\n",
                level - 1
            ));
        }
        text.push_str("{ ...F3000 }");
        let limits = QueryLimits {
            max_tokens: 100_000,
            max_fields: 10_000,
            ..test_limits()
        };
        assert!(parse_checked(&text, &limits).is_ok());
    }

    #[test]
    fn large_documents_weigh_heavy() {
        let weight = |text: &str| parse_checked(text, &test_limits()).map(|checked| checked.weight);
        let aliases: String = (0..45)
            .map(|i| format!("i{i}: institution {{ {} }} ", "code name kind ".repeat(4)))
            .collect();

        assert_eq!(
            weight("{ a: __typename b: __typename }"),
            Ok(Weight {
                tokens: 8,
                fields: 2
            })
        );
        assert!(!weight("{ institutions { code } }").unwrap().is_heavy());
        assert!(weight(&format!("{{ units {{ nodes {{ {aliases} }} }} }}"))
            .unwrap()
            .is_heavy());
        let ids = "\"x\" ".repeat(2_001);
        assert!(weight(&format!("{{ nodes(ids: [{ids}]) {{ id }} }}"))
            .unwrap()
            .is_heavy());
    }

    #[test]
    fn a_fragment_cycle_is_invalid() {
        assert_eq!(
            refusal("fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"),
            "invalid: fragment `A` spreads itself, directly or through other fragments"
        );
    }

    #[test]
    fn each_limit_names_itself() {
        let aliases: String = (0..51).map(|i| format!("a{i}: __typename ")).collect();
        let roots: String = (0..31).map(|i| format!("r{i}: __typename ")).collect();
        let deep = format!(
            "{{ {} __typename {} }}",
            "units { nodes { ".repeat(8),
            "} } ".repeat(8)
        );
        let cases = [
            (format!("{{ {aliases} }}"), "limit `max-aliases`"),
            (format!("fragment R on Query {{ {} }} {{ ...R }}", &roots), "limit `max-root-fields`"),
            (
                "{ __typename @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) }".to_owned(),
                "limit `max-directives`",
            ),
            (deep, "limit `max-depth`"),
        ];
        for (text, limit) in cases {
            assert!(
                refusal(&text).contains(limit),
                "{limit}: {}",
                refusal(&text)
            );
        }
    }

    #[test]
    fn a_syntax_error_is_one_line_with_its_position() {
        assert_eq!(
            refusal("{ units(first: ) { totalCount } }"),
            "invalid: syntax error: expected value (line 1, column 16)"
        );
    }

    #[test]
    fn deep_json_is_detected_without_recursion() {
        let mut value = serde_json::json!(1);
        for _ in 0..10_000 {
            value = serde_json::Value::Array(vec![value]);
        }
        assert!(json_nests_deeper_than(&value, 64));
        assert!(!json_nests_deeper_than(
            &serde_json::json!({ "a": [1, { "b": 2 }] }),
            3
        ));
        assert!(json_nests_deeper_than(
            &serde_json::json!({ "a": [1, { "b": 2 }] }),
            2
        ));
        // serde_json's own drop of a 100 000-deep value recurses: forget it here.
        std::mem::forget(value);
    }
}
