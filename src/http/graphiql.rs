//! The GraphiQL page: an in-browser IDE for the GraphQL endpoint, with the query explorer
//! plugin, served by the binary itself so that it works on networks without internet
//! access. `build.rs` installs the pinned npm packages of `graphiql/` and embeds their UMD
//! builds; this module serves them under `/graphiql/<name>`, with the content hash in the
//! name so that browsers may cache them for good, and renders the page at `/`, which opens
//! every `examples/*.graphql` file as a tab. When the build could not install the packages
//! the page loads them from a CDN instead, and [`assets_embedded`] lets the server warn
//! about it at startup. The router must be merged at the root: the page refers to the
//! assets by absolute path.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

// Defines EMBEDDED, ASSETS, CDN_ASSETS and EXAMPLES.
include!(concat!(env!("OUT_DIR"), "/graphiql_assets.rs"));

const ASSET_PATH: &str = "/graphiql/";
/// The fetcher asks for the GraphQL-over-HTTP media type first, falling back to plain JSON.
const ACCEPT: &str = "application/graphql-response+json, application/json";
const DEFAULT_QUERY: &str = "# Welcome to atmp-graph. Ctrl+Enter runs the query; the explorer \
                             on the left\n# builds one from the schema.\nquery Welcome {\n  \
                             __typename\n}\n";
/// Operation names stay short enough to read as tab titles.
const MAX_NAME_LEN: usize = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AssetKind {
    Script,
    Style,
}

impl AssetKind {
    fn content_type(self) -> &'static str {
        match self {
            AssetKind::Script => "text/javascript; charset=utf-8",
            AssetKind::Style => "text/css; charset=utf-8",
        }
    }
}

struct Asset {
    name: &'static str,
    kind: AssetKind,
    bytes: &'static [u8],
}

/// Whether GraphiQL's scripts are served by this binary; if not, the page needs a CDN.
pub(crate) fn assets_embedded() -> bool {
    EMBEDDED
}

/// The page at `/`, talking to `graphql_endpoint`, and its assets under `/graphiql/`.
pub(crate) fn routes(graphql_endpoint: &str) -> Router {
    let page = Bytes::from(render_page(graphql_endpoint, EXAMPLES));
    Router::new()
        .route(
            "/",
            get(move || {
                let page = page.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                            // The page names the current assets, so it must not outlive them.
                            (header::CACHE_CONTROL, "no-cache"),
                        ],
                        page,
                    )
                }
            }),
        )
        .route("/graphiql/{name}", get(serve_asset))
}

async fn serve_asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.kind.content_type()),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            Bytes::from_static(asset.bytes),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// (kind, URL) of every stylesheet and script, in the order the page must load them.
fn asset_urls() -> Vec<(AssetKind, String)> {
    if EMBEDDED {
        ASSETS
            .iter()
            .map(|asset| (asset.kind, format!("{ASSET_PATH}{}", asset.name)))
            .collect()
    } else {
        CDN_ASSETS
            .iter()
            .map(|&(kind, url)| (kind, url.to_owned()))
            .collect()
    }
}

fn render_page(graphql_endpoint: &str, examples: &[(&str, &str)]) -> String {
    let mut styles = String::new();
    let mut scripts = String::new();
    for (kind, url) in asset_urls() {
        let url = html_escape(&url);
        match kind {
            AssetKind::Style => {
                styles.push_str(&format!("<link rel=\"stylesheet\" href=\"{url}\">\n"));
            }
            AssetKind::Script => scripts.push_str(&format!("<script src=\"{url}\"></script>\n")),
        }
    }

    let tabs = example_queries(examples);
    let load_error = if EMBEDDED {
        "GraphiQL could not load its scripts from this server."
    } else {
        "GraphiQL could not be loaded: this build of atmp-graph has no embedded copy and \
         loads it from cdn.jsdelivr.net, which this browser cannot reach."
    };
    let tab_list = tabs
        .iter()
        .map(|query| format!("{{\"query\":{}}}", js_string(query)))
        .collect::<Vec<_>>()
        .join(",");
    let config = format!(
        "{{\"endpoint\":{},\"accept\":{},\"tabsId\":{},\"loadError\":{},\"tabs\":[{tab_list}]}}",
        js_string(graphql_endpoint),
        js_string(ACCEPT),
        js_string(&format!("{:016x}", fnv1a(tabs.join("\u{0}").as_bytes()))),
        js_string(load_error),
    );
    let bootstrap = BOOTSTRAP.replace("/*CONFIG*/", &config);

    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>atmp-graph · GraphiQL</title>\n\
         {styles}\
         <style>{PAGE_STYLE}</style>\n\
         </head>\n\
         <body>\n\
         <div id=\"graphiql\">Loading GraphiQL…</div>\n\
         {scripts}\
         <script>\n{bootstrap}</script>\n\
         </body>\n\
         </html>\n"
    )
}

/// GraphiQL fills the window. The explorer plugin forces scrollbars on its operation list,
/// which browsers without overlay scrollbars would draw even when nothing overflows.
const PAGE_STYLE: &str = "html, body { height: 100%; margin: 0; } #graphiql { height: 100vh; } \
                          .graphiql-explorer-root > div:first-child { overflow: auto !important; }";

/// Starts GraphiQL once the UMD scripts have defined their globals.
const BOOTSTRAP: &str = r#"(function () {
  "use strict";
  var config = /*CONFIG*/;
  var root = document.getElementById("graphiql");
  if (!window.React || !window.ReactDOM || !window.GraphiQL || !window.GraphiQLPluginExplorer) {
    root.textContent = config.loadError;
    return;
  }

  // GraphiQL ignores defaultTabs once it has stored tabs, so a changed set of examples
  // gets its own tab key (older ones are dropped); the prefix keeps the tabs of other
  // GraphiQL pages on the same origin apart.
  var prefix = "atmp-graph:";
  var tabKey = "graphiql:tabState";
  var storage = null;
  try {
    var local = window.localStorage;
    var own = function () {
      return Object.keys(local).filter(function (k) { return k.indexOf(prefix) === 0; });
    };
    var key = function (k) { return prefix + (k === tabKey ? k + ":" + config.tabsId : k); };
    own().forEach(function (k) {
      if (k.indexOf(prefix + tabKey + ":") === 0 && k !== key(tabKey)) { local.removeItem(k); }
    });
    storage = {
      getItem: function (k) { return local.getItem(key(k)); },
      setItem: function (k, v) { local.setItem(key(k), v); },
      removeItem: function (k) { local.removeItem(key(k)); },
      clear: function () { own().forEach(function (k) { local.removeItem(k); }); },
      get length() { return own().length; }
    };
  } catch (e) {
    // Storage disabled by the browser: GraphiQL then keeps its state in memory only.
  }

  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint, headers: { accept: config.accept } }),
    defaultTabs: config.tabs,
    plugins: [explorer],
    visiblePlugin: explorer,
    storage: storage
  }));
})();
"#;

/// The query of each tab: the examples, with a lone anonymous operation named after the
/// file's first comment line (or else its file name), because GraphiQL titles a tab with
/// the operation name and has no other way to set it.
fn example_queries(examples: &[(&str, &str)]) -> Vec<String> {
    if examples.is_empty() {
        return vec![DEFAULT_QUERY.to_owned()];
    }
    examples
        .iter()
        .map(|&(file_name, text)| {
            let name = first_comment(text)
                .and_then(operation_name)
                .or_else(|| operation_name(file_name.trim_end_matches(".graphql")));
            name.and_then(|name| name_anonymous_operation(text, &name))
                .unwrap_or_else(|| text.to_owned())
        })
        .collect()
}

/// The first non-empty comment line before the query itself, without its `#`.
fn first_comment(text: &str) -> Option<&str> {
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        let comment = line.strip_prefix('#')?.trim();
        if !comment.is_empty() {
            return Some(comment);
        }
    }
    None
}

/// A GraphQL name in PascalCase from free text: "Donors och prover" → "DonorsOchProver".
/// Leading numbers, such as a file's ordering prefix, are dropped.
fn operation_name(text: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if let Some(ascii) = fold_to_ascii(c) {
            word.push_str(ascii);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }

    let mut name = String::new();
    for word in words
        .iter()
        .skip_while(|word| word.chars().all(|c| c.is_ascii_digit()))
    {
        if !name.is_empty() && name.len() + word.len() > MAX_NAME_LEN {
            break;
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    // Only ASCII was pushed, so any length is a character boundary.
    name.truncate(MAX_NAME_LEN);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    (!name.is_empty()).then_some(name)
}

/// Latin letters with diacritics as ASCII, so Swedish titles keep their words.
fn fold_to_ascii(c: char) -> Option<&'static str> {
    let upper = c.is_uppercase();
    let lower = c.to_lowercase().next()?;
    let folded = match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => ("a", "A"),
        'æ' => ("ae", "Ae"),
        'ç' => ("c", "C"),
        'è' | 'é' | 'ê' | 'ë' => ("e", "E"),
        'ì' | 'í' | 'î' | 'ï' => ("i", "I"),
        'ñ' => ("n", "N"),
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => ("o", "O"),
        'ù' | 'ú' | 'û' | 'ü' => ("u", "U"),
        'ý' | 'ÿ' => ("y", "Y"),
        'ß' => ("ss", "Ss"),
        _ => return None,
    };
    Some(if upper { folded.1 } else { folded.0 })
}

/// The document with its operation named `name`, if it has exactly one operation and that
/// one is anonymous; `None` leaves the document as written.
fn name_anonymous_operation(document: &str, name: &str) -> Option<String> {
    let [operation] = operations(document)[..] else {
        return None;
    };
    if operation.named {
        return None;
    }
    let mut named = document.to_owned();
    if operation.shorthand {
        named.insert_str(operation.at, &format!("query {name} "));
    } else {
        named.insert_str(operation.at, &format!(" {name}"));
    }
    Some(named)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Operation {
    /// Where a name goes: after the keyword, or before the `{` of a shorthand query.
    at: usize,
    shorthand: bool,
    named: bool,
}

/// The operations of a GraphQL document, found from its top-level tokens.
fn operations(document: &str) -> Vec<Operation> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut definition_start = true;
    let mut after_keyword = None;
    for (start, end, token) in tokens(document) {
        if depth == 0 {
            if let Some(at) = after_keyword.take() {
                let named = matches!(token, Token::Name(_));
                found.push(Operation {
                    at,
                    shorthand: false,
                    named,
                });
            } else if definition_start {
                definition_start = false;
                match token {
                    Token::Open(b'{') => found.push(Operation {
                        at: start,
                        shorthand: true,
                        named: false,
                    }),
                    Token::Name("query" | "mutation" | "subscription") => after_keyword = Some(end),
                    _ => {}
                }
            }
        }
        match token {
            Token::Open(_) => depth += 1,
            Token::Close(close) => {
                depth = depth.saturating_sub(1);
                // Only a selection set ends a definition; `)` may close variables.
                definition_start = depth == 0 && close == b'}';
            }
            Token::Name(_) | Token::Other => {}
        }
    }
    found
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Name(&'a str),
    Open(u8),
    Close(u8),
    Other,
}

/// GraphQL tokens as (start, end, token), skipping comments, strings and insignificant
/// characters, which is all [`operations`] needs to tell definitions apart.
fn tokens(document: &str) -> Vec<(usize, usize, Token<'_>)> {
    let bytes = document.as_bytes();
    // Reads past the end are `None` or empty, so no step can index out of bounds.
    let at = |i: usize| bytes.get(i).copied();
    let rest = |i: usize| bytes.get(i..).unwrap_or_default();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(byte) = at(i) {
        let start = i;
        match byte {
            b'#' => {
                while at(i).is_some_and(|b| b != b'\n' && b != b'\r') {
                    i += 1;
                }
                continue;
            }
            // Strings yield no token: at the top level they can only be descriptions.
            b'"' if rest(i).starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !rest(i).starts_with(b"\"\"\"") {
                    i += if rest(i).starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while let Some(b) = at(i).filter(|b| *b != b'"' && *b != b'\n') {
                    i += if b == b'\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while at(i).is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric()) {
                    i += 1;
                }
                if let Some(name) = document.get(start..i) {
                    tokens.push((start, i, Token::Name(name)));
                }
                continue;
            }
            open @ (b'{' | b'(' | b'[') => {
                i += 1;
                tokens.push((start, i, Token::Open(open)));
                continue;
            }
            close @ (b'}' | b')' | b']') => {
                i += 1;
                tokens.push((start, i, Token::Close(close)));
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            _ => i += 1,
        }
        tokens.push((start, i, Token::Other));
    }
    tokens
}

/// A JavaScript string literal that is also valid JSON and safe inside `<script>`.
fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `<`, `>` and `&` could end the script element or open a comment in it;
            // U+2028 and U+2029 end lines in older JavaScript engines.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if c.is_control() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a, as in build.rs: a stable hash without a dependency, to tell sets of tabs apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(router: &Router, uri: &str) -> (StatusCode, Option<String>, String, Bytes) {
        let Ok(request) = Request::get(uri).body(Body::empty()) else {
            panic!("bad request uri {uri}");
        };
        let Ok(response) = router.clone().oneshot(request).await;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(header::CONTENT_TYPE);
        let cache_control = header(header::CACHE_CONTROL).unwrap_or_default();
        let Ok(body) = response.into_body().collect().await else {
            panic!("no body for {uri}");
        };
        (status, content_type, cache_control, body.to_bytes())
    }

    /// The values of every `src="…"` and `href="…"` attribute in the page.
    fn references(page: &str) -> Vec<String> {
        let mut found = Vec::new();
        for attribute in ["src=\"", "href=\""] {
            for piece in page.split(attribute).skip(1) {
                found.extend(piece.split('"').next().map(str::to_owned));
            }
        }
        found
    }

    #[tokio::test]
    async fn the_page_references_exactly_the_assets_that_are_served() {
        let router = routes("/graphql");
        let (status, content_type, _, page) = get(&router, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
        let page = String::from_utf8_lossy(&page).into_owned();
        assert!(page.contains(r#""endpoint":"/graphql""#), "{page}");
        assert!(page.contains(ACCEPT));

        let refs: Vec<String> = references(&page)
            .into_iter()
            .filter(|r| !r.starts_with("data:"))
            .collect();
        let local: Vec<&String> = refs.iter().filter(|r| r.starts_with(ASSET_PATH)).collect();
        if assets_embedded() {
            assert_eq!(local.len(), ASSETS.len(), "{refs:?}");
            assert_eq!(local.len(), refs.len(), "a CDN is referenced: {refs:?}");
        } else {
            assert!(local.is_empty(), "{refs:?}");
            assert_eq!(refs.len(), CDN_ASSETS.len(), "{refs:?}");
        }
        for path in local {
            let (status, content_type, cache_control, body) = get(&router, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let expected = if path.ends_with(".js") {
                "text/javascript; charset=utf-8"
            } else {
                "text/css; charset=utf-8"
            };
            assert_eq!(content_type.as_deref(), Some(expected), "{path}");
            assert!(cache_control.contains("immutable"), "{path}");
            assert!(!body.is_empty(), "{path}");
        }
    }

    #[tokio::test]
    async fn an_unknown_asset_is_not_found() {
        let router = routes("/graphql");
        for uri in ["/graphiql/nope.js", "/graphiql/", "/graphiql/../Cargo.toml"] {
            let (status, ..) = get(&router, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
    }

    #[test]
    fn scripts_load_in_dependency_order() {
        // Each UMD script reads the globals that the ones before it define.
        let rank = |url: &str| {
            ["plugin-explorer", "react-dom", "react", "graphiql"]
                .iter()
                .position(|package| url.contains(package))
        };
        let ranks: Vec<Option<usize>> = asset_urls()
            .iter()
            .filter(|(kind, _)| *kind == AssetKind::Script)
            .map(|(_, url)| rank(url))
            .collect();
        assert_eq!(ranks, [Some(2), Some(1), Some(3), Some(0)]);
    }

    #[test]
    fn each_example_is_a_tab_named_after_its_first_comment() {
        let examples = [
            (
                "01-donors.graphql",
                "# Donors och prover\n{ donors { id } }\n",
            ),
            ("02-named.graphql", "# Ignored\nquery Named { a }\n"),
            (
                "03-no-comment.graphql",
                "query ($id: ID!) { node(id: $id) { id } }",
            ),
        ];
        let tabs = example_queries(&examples);
        assert_eq!(
            tabs,
            [
                "# Donors och prover\nquery DonorsOchProver { donors { id } }\n",
                "# Ignored\nquery Named { a }\n",
                "query NoComment ($id: ID!) { node(id: $id) { id } }",
            ]
        );
        assert_eq!(example_queries(&[]), [DEFAULT_QUERY]);
    }

    #[test]
    fn only_a_lone_anonymous_operation_is_named() {
        let cases = [
            ("{ a }", Some("query N { a }")),
            ("query { a }", Some("query N { a }")),
            ("mutation @x { a }", Some("mutation N @x { a }")),
            (
                "query ($f: F = {a: 1}) { a(f: $f) }",
                Some("query N ($f: F = {a: 1}) { a(f: $f) }"),
            ),
            (
                "fragment F on Q { a }\n{ ...F }",
                Some("fragment F on Q { a }\nquery N { ...F }"),
            ),
            (
                "# query X\n\"\"\"{\"\"\" { a(s: \"} {\") }",
                Some("# query X\n\"\"\"{\"\"\" query N { a(s: \"} {\") }"),
            ),
            ("query Named { a }", None),
            ("{ a }\n{ b }", None),
            ("query A { a }\nquery { b }", None),
            ("", None),
        ];
        for (document, expected) in cases {
            assert_eq!(
                name_anonymous_operation(document, "N").as_deref(),
                expected,
                "{document}"
            );
        }
    }

    #[test]
    fn unterminated_strings_and_comments_end_the_document() {
        let cases = [
            ("\"", None),
            ("\"\\", None),
            ("\"\"\"", None),
            ("\"\"\"\\\"\"\"", None),
            ("#", None),
            ("é{ a }\"", None),
            ("{ a(s: \"é\\", Some("query N { a(s: \"é\\")),
        ];
        for (document, expected) in cases {
            assert_eq!(
                name_anonymous_operation(document, "N").as_deref(),
                expected,
                "{document:?}"
            );
        }
    }

    #[test]
    fn names_are_graphql_names() {
        assert_eq!(
            operation_name("01-placeholder").as_deref(),
            Some("Placeholder")
        );
        assert_eq!(
            operation_name("Trials per ATMP: Å–Ö").as_deref(),
            Some("TrialsPerATMPAO")
        );
        assert_eq!(operation_name("3d models").as_deref(), Some("_3dModels"));
        assert_eq!(operation_name("42 — ✓"), None);
        let long = operation_name(&"word ".repeat(40)).unwrap_or_default();
        assert!(long.len() <= MAX_NAME_LEN && !long.is_empty(), "{long}");
        assert_eq!(first_comment("\n  #\n# Title  \n{ a }"), Some("Title"));
        assert_eq!(first_comment("{ a }\n# late"), None);
    }

    #[test]
    fn config_strings_cannot_end_the_script() {
        let page = render_page(
            "/g\"</script><script>alert(1)</script>",
            &[("x.graphql", "# </script>\n{ a }")],
        );
        assert_eq!(
            page.matches("</script>").count(),
            page.matches("<script").count()
        );
        assert!(page.contains(r#""endpoint":"/g\"\u003c/script\u003e"#));
    }
}
