//! Where the records live: the sources of a federated deployment, from `--source` flags and
//! the `[[sources]]` of a configuration file, checked together with every problem reported
//! at once. With none configured, one database (`--database-url`) holds every institution.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// One source as configured: a database and the institutions whose records it holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// What `/ready`, errors and the logs call it; by default its institutions' codes
    /// joined by `+` (`KI`, `KI+KUH`).
    #[serde(default)]
    pub name: Option<String>,
    /// `sqlite://FILE?mode=rwc` or `postgres://USER@HOST/DB`.
    pub url: String,
    /// The codes of the institutions whose records it holds.
    pub institutions: Vec<String>,
    /// Longest a read on this source may take before the answer goes on without it, in
    /// milliseconds (the file's `source_timeout_ms` or `--source-timeout-ms` otherwise).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

impl SourceSpec {
    /// The name it is shown by.
    pub fn name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.institutions.join("+"))
    }

    /// Its URL with any password masked, for messages.
    pub fn shown_url(&self) -> String {
        shown_url(&self.url)
    }

    /// How long a read may take.
    pub fn timeout(&self, default_ms: u64) -> Duration {
        Duration::from_millis(self.timeout_ms.unwrap_or(default_ms))
    }
}

/// A configuration file: its sources, and the timeout they share unless they say otherwise.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    source_timeout_ms: Option<u64>,
    #[serde(default)]
    sources: Vec<SourceSpec>,
}

/// The sources configured, by file and by flag, and the shared timeout if the file sets one.
#[derive(Debug, Default)]
pub struct Configured {
    pub sources: Vec<SourceSpec>,
    pub timeout_ms: Option<u64>,
}

/// Reads the sources of the file at `path` (if any) and of the `--source CODES=URL` flags,
/// adding every problem to `problems`.
pub fn read(path: Option<&Path>, flags: &[String], problems: &mut Vec<String>) -> Configured {
    let mut configured = Configured::default();
    if let Some(path) = path {
        match std::fs::read_to_string(path) {
            Err(error) => problems.push(format!(
                "could not read the configuration file `{}`: {error}",
                path.display()
            )),
            Ok(text) => match toml::from_str::<File>(&text) {
                Err(error) => problems.push(format!(
                    "the configuration file `{}` is not valid: {}",
                    path.display(),
                    error.message()
                )),
                Ok(file) => {
                    configured.sources = file.sources;
                    configured.timeout_ms = file.source_timeout_ms;
                }
            },
        }
    }
    for flag in flags {
        match flag.split_once('=') {
            Some((codes, url)) if !codes.trim().is_empty() && !url.trim().is_empty() => {
                configured.sources.push(SourceSpec {
                    name: None,
                    url: url.trim().to_owned(),
                    institutions: codes.split('+').map(|c| c.trim().to_owned()).collect(),
                    timeout_ms: None,
                });
            }
            _ => problems.push(format!(
                "`--source {flag}` must be `CODES=URL`, such as `KI=postgres://postgres@127.0.0.1/ki` or `KI+KUH=sqlite://atmp.db?mode=rwc`"
            )),
        }
    }
    configured
}

/// Every problem with `sources`, given the codes of the institutions the records belong to:
/// each known institution in exactly one source, each source a usable URL, a name of its own,
/// at least one institution and a timeout of at least 1 ms.
pub fn problems(sources: &[SourceSpec], known: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if sources.is_empty() {
        return problems;
    }
    let mut holders: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for source in sources {
        let name = source.name();
        *names.entry(name.clone()).or_default() += 1;
        if source.institutions.is_empty() {
            problems.push(format!("source `{name}` holds no institution"));
        }
        for code in &source.institutions {
            if known.contains(code) {
                holders.entry(code).or_default().push(name.clone());
            } else {
                problems.push(format!(
                    "source `{name}` names the unknown institution `{code}`; known codes: {}",
                    known.join(", ")
                ));
            }
        }
        if let Some(problem) = url_problem(&source.url) {
            problems.push(format!("source `{name}`: {problem}"));
        }
        if source.timeout_ms == Some(0) {
            problems.push(format!("source `{name}`: `timeout_ms` must be at least 1"));
        }
    }
    for (name, count) in names {
        if count > 1 {
            problems.push(format!(
                "{count} sources are named `{name}`: each needs a name of its own"
            ));
        }
    }
    for code in known {
        match holders.get(code.as_str()).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "no source holds institution `{code}`: add it to one source's institutions"
            )),
            Some([_]) => {}
            Some(several) => problems.push(format!(
                "institution `{code}` is held by {} sources ({}): a record has one home",
                several.len(),
                several.join(", ")
            )),
        }
    }
    problems
}

/// Why `url` cannot be a source's database, if it cannot.
pub fn url_problem(url: &str) -> Option<String> {
    let shown = shown_url(url);
    if url.starts_with("sqlite:") {
        return None;
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Some(format!(
            "the URL `{shown}` must start with `sqlite:` or `postgres://`"
        ));
    }
    match url::Url::parse(url) {
        Err(error) => Some(format!("the URL `{shown}` is malformed: {error}")),
        Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => {
            Some(format!("the URL `{shown}` names no host"))
        }
        Ok(_) => None,
    }
}

/// `url` with its password, if any, replaced by `***` (also in a URL that does not parse).
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec!["KI".to_owned(), "KUH".to_owned()]
    }

    fn spec(codes: &[&str], url: &str) -> SourceSpec {
        SourceSpec {
            name: None,
            url: url.to_owned(),
            institutions: codes.iter().map(|c| (*c).to_owned()).collect(),
            timeout_ms: None,
        }
    }

    #[test]
    fn one_source_per_institution_is_fine() {
        let sources = [
            spec(&["KI"], "postgres://postgres@127.0.0.1/ki"),
            spec(&["KUH"], "sqlite://kuh.db?mode=rwc"),
        ];
        assert_eq!(problems(&sources, &known()), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let sources = [
            spec(&["KI"], "postgres://postgres@127.0.0.1/ki"),
            spec(&["KI", "SU"], "mysql://x"),
        ];
        assert_eq!(
            problems(&sources, &known()),
            [
                "source `KI+SU` names the unknown institution `SU`; known codes: KI, KUH",
                "source `KI+SU`: the URL `mysql://x` must start with `sqlite:` or `postgres://`",
                "institution `KI` is held by 2 sources (KI, KI+SU): a record has one home",
                "no source holds institution `KUH`: add it to one source's institutions",
            ]
        );
    }

    #[test]
    fn flags_and_files_are_read_with_their_problems() {
        let mut found = Vec::new();
        let flags = [
            "KI=postgres://u:secret@127.0.0.1/ki".to_owned(),
            "KUH".to_owned(),
        ];
        let configured = read(None, &flags, &mut found);
        assert_eq!(
            configured.sources,
            [spec(&["KI"], "postgres://u:secret@127.0.0.1/ki")]
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("`--source KUH` must be `CODES=URL`"));
        assert_eq!(
            configured.sources[0].shown_url(),
            "postgres://u:***@127.0.0.1/ki"
        );
    }

    #[test]
    fn a_malformed_postgres_url_is_named_without_its_password() {
        assert_eq!(
            url_problem("postgres://u:pw@/db").as_deref(),
            Some("the URL `postgres://u:***@/db` is malformed: empty host")
        );
        assert_eq!(url_problem("sqlite://x.db?mode=rwc"), None);
    }
}
