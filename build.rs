//! Build script: prepares the browser assets and example queries of the GraphiQL page
//! (`src/http/graphiql.rs`) and writes them to `$OUT_DIR/graphiql_assets.rs`.
//!
//! The page has to work on networks without internet access, so the UMD builds of React,
//! GraphiQL and its explorer plugin are installed from the npm registry with `npm ci`
//! (pinned and integrity-checked by `graphiql/package-lock.json`) into `OUT_DIR`, never into
//! the source tree, and embedded with `include_bytes!`. When npm is missing or the install
//! fails, or `ATMP_GRAPHIQL_CDN=1` asks for it, the binary still builds, with a page that
//! loads the same versions from a CDN, and the build says so with a warning.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Set to `1` to build the CDN page, so that the fallback can be tested where npm works.
const CDN_ENV: &str = "ATMP_GRAPHIQL_CDN";
const CDN_BASE: &str = "https://cdn.jsdelivr.net/npm";
/// A safety net only: npm's own retries are shortened below, but a stalled connection
/// must not hang the build of a server that can do without the embedded assets.
const NPM_TIMEOUT: Duration = Duration::from_secs(300);

/// One file that the page loads, found in an installed npm package.
struct Spec {
    package: &'static str,
    path: &'static str,
    /// Start of the served file name; the version and a content hash follow.
    stem: &'static str,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Script,
    Style,
}

impl Kind {
    fn variant(self) -> &'static str {
        match self {
            Kind::Script => "AssetKind::Script",
            Kind::Style => "AssetKind::Style",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Kind::Script => "js",
            Kind::Style => "css",
        }
    }
}

/// In the order the page loads them: each UMD script reads the globals of those before it
/// (the explorer plugin takes React from `window.React` and `window.GraphiQL.React`).
const SPECS: [Spec; 6] = [
    Spec {
        package: "graphiql",
        path: "graphiql.min.css",
        stem: "graphiql",
        kind: Kind::Style,
    },
    Spec {
        package: "@graphiql/plugin-explorer",
        path: "dist/style.css",
        stem: "plugin-explorer",
        kind: Kind::Style,
    },
    Spec {
        package: "react",
        path: "umd/react.production.min.js",
        stem: "react",
        kind: Kind::Script,
    },
    Spec {
        package: "react-dom",
        path: "umd/react-dom.production.min.js",
        stem: "react-dom",
        kind: Kind::Script,
    },
    Spec {
        package: "graphiql",
        path: "graphiql.min.js",
        stem: "graphiql",
        kind: Kind::Script,
    },
    Spec {
        package: "@graphiql/plugin-explorer",
        path: "dist/index.umd.js",
        stem: "plugin-explorer",
        kind: Kind::Script,
    },
];

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-changed=graphiql/package.json");
    println!("cargo:rerun-if-changed=graphiql/package-lock.json");
    println!("cargo:rerun-if-changed=examples");
    println!("cargo:rerun-if-env-changed={CDN_ENV}");

    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let npm_project = manifest_dir.join("graphiql");

    let package_json = read_text(&npm_project.join("package.json"))?;
    let versions = SPECS
        .iter()
        .map(|spec| pinned_version(&package_json, spec.package))
        .collect::<Result<Vec<_>, _>>()?;
    let examples = read_examples(&manifest_dir.join("examples"))?;

    let node_modules = if cdn_forced() {
        warn(&format!(
            "{CDN_ENV} is set: the GraphiQL page will load its scripts from {CDN_BASE}"
        ));
        None
    } else {
        match install(&npm_project, &out_dir) {
            Ok(node_modules) => Some(node_modules),
            Err(reason) => {
                warn(&format!(
                    "could not install GraphiQL's npm packages, so the GraphiQL page will \
                     load its scripts from {CDN_BASE} and needs internet access: {reason}"
                ));
                None
            }
        }
    };

    let code = generate(node_modules.as_deref(), &versions, &examples)?;
    write_if_changed(&out_dir.join("graphiql_assets.rs"), &code)
}

fn env_var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|err| format!("{name} is not set by cargo: {err}"))
}

fn cdn_forced() -> bool {
    std::env::var(CDN_ENV).is_ok_and(|value| {
        let value = value.trim();
        value == "1" || value.eq_ignore_ascii_case("true")
    })
}

/// Prints a warning that cargo shows even when the build succeeds; one line per line,
/// because cargo reads each `cargo:warning=` to the end of its line.
fn warn(message: &str) {
    for line in message.lines() {
        println!("cargo:warning=graphiql: {line}");
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

/// The exact version `package.json` pins for a dependency. The CDN URLs need it, and an
/// exact pin keeps the CDN page on the versions that the embedded page was tested with.
fn pinned_version(package_json: &str, package: &str) -> Result<String, String> {
    let key = format!("\"{package}\"");
    let mut rest = package_json;
    while let Some(at) = rest.find(&key) {
        rest = &rest[at + key.len()..];
        let Some(value) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let Some(value) = value.trim_start().strip_prefix('"') else {
            continue;
        };
        let version = value.split('"').next().unwrap_or_default();
        let exact = !version.is_empty()
            && version.starts_with(|c: char| c.is_ascii_digit())
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        return if exact {
            Ok(version.to_owned())
        } else {
            Err(format!(
                "graphiql/package.json must pin an exact version of {package}, not {version:?}"
            ))
        };
    }
    Err(format!(
        "graphiql/package.json has no dependency on {package}"
    ))
}

/// Every `examples/*.graphql` file as (file name, contents), sorted by file name.
fn read_examples(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(format!("cannot list {}: {err}", dir.display())),
    };
    let mut examples = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| format!("cannot list {}: {err}", dir.display()))?
            .path();
        if !path.is_file() || path.extension().is_none_or(|ext| ext != "graphql") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| format!("example file name is not utf-8: {}", path.display()))?
            .to_owned();
        examples.push((name, read_text(&path)?));
    }
    examples.sort();
    Ok(examples)
}

/// Runs `npm ci` in `$OUT_DIR/npm` on copies of package.json and package-lock.json and
/// returns its `node_modules`. A stamp of both files skips the install when only the
/// examples changed, since npm ci always starts from an empty `node_modules`.
fn install(project: &Path, out_dir: &Path) -> Result<PathBuf, String> {
    let package_json = fs::read(project.join("package.json"))
        .map_err(|err| format!("cannot read graphiql/package.json: {err}"))?;
    let lock = fs::read(project.join("package-lock.json"))
        .map_err(|err| format!("cannot read graphiql/package-lock.json: {err}"))?;
    let stamp = format!("{:016x}", fnv1a(&[&package_json[..], &lock[..]].concat()));

    let dir = out_dir.join("npm");
    let node_modules = dir.join("node_modules");
    let stamp_path = dir.join("installed.stamp");
    if node_modules.is_dir() && fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return Ok(node_modules);
    }

    let io = |err: std::io::Error| format!("cannot prepare {}: {err}", dir.display());
    fs::create_dir_all(&dir).map_err(io)?;
    // A stamp left from an earlier install must not vouch for a half-finished one.
    if let Err(err) = fs::remove_file(&stamp_path) {
        if err.kind() != ErrorKind::NotFound {
            return Err(io(err));
        }
    }
    fs::write(dir.join("package.json"), &package_json).map_err(io)?;
    fs::write(dir.join("package-lock.json"), &lock).map_err(io)?;

    // npm's output goes to a file: a pipe nobody reads while waiting could fill and stall it.
    let log_path = dir.join("npm-ci.log");
    let log = fs::File::create(&log_path).map_err(io)?;
    let log_err = log.try_clone().map_err(io)?;
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let started = Instant::now();
    let mut child = Command::new(npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            // npm's default retries take minutes to give up without a network.
            "--fetch-retries=1",
            "--fetch-retry-mintimeout=2000",
            "--fetch-retry-maxtimeout=10000",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|err| match err.kind() {
            ErrorKind::NotFound => "npm is not installed (not found on PATH)".to_owned(),
            _ => format!("cannot run npm: {err}"),
        })?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > NPM_TIMEOUT => {
                // Best effort: the build goes on with the CDN page either way.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "npm ci did not finish within {} s",
                    NPM_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(err) => return Err(format!("cannot wait for npm ci: {err}")),
        }
    };
    if !status.success() {
        return Err(format!(
            "npm ci failed ({status}); its output is in {}\n{}",
            log_path.display(),
            npm_errors(&log_path)
        ));
    }
    // Shown with `cargo build -vv`: how much of the build the install costs.
    eprintln!(
        "npm ci finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    fs::write(&stamp_path, stamp).map_err(io)?;
    Ok(node_modules)
}

/// The first lines of npm's error report, without stack traces and error object dumps,
/// for the build warning.
fn npm_errors(log_path: &Path) -> String {
    let log = fs::read_to_string(log_path).unwrap_or_default();
    log.lines()
        .filter_map(|line| line.strip_prefix("npm error "))
        .filter(|detail| {
            !detail.starts_with(char::is_whitespace)
                && !detail.starts_with("syscall ")
                && !detail.starts_with("errno ")
                && detail.contains(char::is_alphabetic)
        })
        .take(4)
        .map(|detail| format!("npm error {}", detail.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn generate(
    node_modules: Option<&Path>,
    versions: &[String],
    examples: &[(String, String)],
) -> Result<String, String> {
    let mut code = String::from("// @generated by build.rs from graphiql/ and examples/.\n\n");
    let _ = writeln!(code, "const EMBEDDED: bool = {};\n", node_modules.is_some());

    code.push_str("const ASSETS: &[Asset] = &[\n");
    if let Some(node_modules) = node_modules {
        for (spec, version) in SPECS.iter().zip(versions) {
            let path = node_modules.join(spec.package).join(spec.path);
            let bytes = fs::read(&path).map_err(|err| {
                format!(
                    "npm ci installed {}@{version} without {} ({err}); \
                     build.rs must be updated along with graphiql/package.json",
                    spec.package, spec.path
                )
            })?;
            let name = format!(
                "{}-{version}.{:012x}.{}",
                spec.stem,
                fnv1a(&bytes) & 0xffff_ffff_ffff,
                spec.kind.extension()
            );
            let path = path
                .to_str()
                .ok_or_else(|| format!("OUT_DIR is not utf-8: {}", path.display()))?;
            let _ = writeln!(
                code,
                "    Asset {{ name: {name:?}, kind: {}, bytes: include_bytes!({path:?}) }},",
                spec.kind.variant()
            );
        }
    }
    code.push_str("];\n\n");

    code.push_str("const CDN_ASSETS: &[(AssetKind, &str)] = &[\n");
    for (spec, version) in SPECS.iter().zip(versions) {
        let url = format!("{CDN_BASE}/{}@{version}/{}", spec.package, spec.path);
        let _ = writeln!(code, "    ({}, {url:?}),", spec.kind.variant());
    }
    code.push_str("];\n\n");

    code.push_str("const EXAMPLES: &[(&str, &str)] = &[\n");
    for (name, text) in examples {
        let _ = writeln!(code, "    ({name:?}, {text:?}),");
    }
    code.push_str("];\n");
    Ok(code)
}

/// Leaves an unchanged file alone, so that its timestamp does not rebuild the crate.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), String> {
    if fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    fs::write(path, contents).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

/// FNV-1a: a stable content hash without a dependency; it names files for caching,
/// it does not defend against tampering (the lock file's integrity hashes do).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
