//! The README's example queries (`examples/*.graphql`, also GraphiQL's tabs) work as written.

use crate::helpers::TestApp;

fn examples() -> Vec<(String, String)> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            (
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect()
}

/// Whether any list in the answer is empty, which would make a poor example.
fn has_empty_top_list(data: &serde_json::Value) -> bool {
    data.as_object().unwrap().values().any(|field| match field {
        serde_json::Value::Array(rows) => rows.is_empty(),
        other => other["nodes"]
            .as_array()
            .is_some_and(|rows| rows.is_empty()),
    })
}

#[tokio::test]
async fn every_example_runs_without_errors_and_finds_records() {
    let app = TestApp::spawn().await;
    let examples = examples();
    assert!(
        examples.len() >= 6,
        "the README promises at least six examples"
    );

    for (path, query) in examples {
        let response = app.graphql(&query).await;

        assert!(
            response.body.get("errors").is_none(),
            "{path}: {response:#?}"
        );
        assert!(
            !has_empty_top_list(response.data()),
            "{path}: {response:#?}"
        );
    }
}

#[tokio::test]
async fn every_example_query_crosses_both_institutions() {
    let app = TestApp::spawn().await;

    for (path, query) in examples() {
        let answer = app.graphql(&query).await.data().to_string();

        for code in ["\"KI\"", "\"KUH\""] {
            assert!(answer.contains(code), "{path} shows no record of {code}");
        }
    }
}

#[tokio::test]
async fn the_readme_shows_every_example_as_it_is() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();

    for (path, query) in examples() {
        assert!(
            readme.contains(query.trim()),
            "README.md lacks {path} as written"
        );
    }
}
