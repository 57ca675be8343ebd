//! Documents ready to run, cached by their text: a client that sends the same query again (as
//! every client of a GraphQL API does) skips the scan, the parse, the measuring and the
//! rewriting. Only documents within every limit are kept, and only so many: the least recently
//! used goes first.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use lru::LruCache;

use super::aggregate::FIELD_BY_FIELD_ROOTS;
use super::document::{parse_checked, Checked, DocumentError, QueryLimits, Weight};
use super::selection_order::ask_for_typenames_below;
use super::selection_order::{ask_for_typenames, TypeMap};

/// Texts longer than this are prepared each time: a cache of a few hundred entries should not
/// hold megabytes of them.
const MAX_CACHED_TEXT_BYTES: usize = 64 * 1024;

/// A checked document, in the two forms a request needs.
#[derive(Debug)]
pub struct Prepared {
    /// As the client sent it, to order the answer by.
    pub document: ExecutableDocument,
    /// As async-graphql runs it: abstract selections also ask for `__typename`.
    pub to_run: ExecutableDocument,
    pub weight: Weight,
    /// Whether it selects `__schema` or `__type`, whose answers async-graphql resolves field by
    /// field whatever the execution.
    pub introspects: bool,
    /// The document the planned path runs: the client's, with `__typename` asked below the
    /// root fields resolved field by field on either path (a subgraph's `_service`), whose
    /// answers are put in order as a whole.
    pub to_plan: ExecutableDocument,
}

/// Prepared documents by text, the most recently used kept.
pub struct DocumentCache {
    entries: Option<Mutex<LruCache<String, Arc<Prepared>>>>,
}

impl DocumentCache {
    /// A cache of at most `capacity` documents; 0 keeps none.
    pub fn new(capacity: usize) -> Self {
        DocumentCache {
            entries: NonZeroUsize::new(capacity)
                .map(|capacity| Mutex::new(LruCache::new(capacity))),
        }
    }

    /// The prepared form of `text`, from the cache or made now (and kept).
    pub fn prepare(
        &self,
        text: &str,
        limits: &QueryLimits,
        types: &TypeMap,
    ) -> Result<Arc<Prepared>, DocumentError> {
        let Some(entries) = &self.entries else {
            return prepare(text, limits, types).map(Arc::new);
        };
        if let Some(prepared) = lock(entries).get(text) {
            return Ok(prepared.clone());
        }
        let prepared = Arc::new(prepare(text, limits, types)?);
        if text.len() <= MAX_CACHED_TEXT_BYTES {
            lock(entries).put(text.to_owned(), prepared.clone());
        }
        Ok(prepared)
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.entries
            .as_ref()
            .map_or(0, |entries| lock(entries).len())
    }

    /// Whether no document is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn prepare(text: &str, limits: &QueryLimits, types: &TypeMap) -> Result<Prepared, DocumentError> {
    let Checked { document, weight } = parse_checked(text, limits)?;
    let mut to_run = document.clone();
    ask_for_typenames(types, &mut to_run);
    let mut to_plan = document.clone();
    ask_for_typenames_below(types, &mut to_plan, FIELD_BY_FIELD_ROOTS);
    Ok(Prepared {
        introspects: introspects(&document),
        to_plan,
        document,
        to_run,
        weight,
    })
}

/// Whether any selection of the document is `__schema` or `__type`.
fn introspects(document: &ExecutableDocument) -> bool {
    let mut sets: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        )
        .collect();
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if matches!(field.node.name.node.as_str(), "__schema" | "__type") {
                        return true;
                    }
                    sets.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::document::test_limits;

    #[test]
    fn a_text_seen_before_is_not_prepared_again() {
        let cache = DocumentCache::new(2);
        let types = TypeMap::default();

        let first = cache.prepare("{ a }", &test_limits(), &types).unwrap();
        let again = cache.prepare("{ a }", &test_limits(), &types).unwrap();

        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_least_recently_used_goes_first_and_refusals_are_not_kept() {
        let cache = DocumentCache::new(2);
        let types = TypeMap::default();
        let a = cache.prepare("{ a }", &test_limits(), &types).unwrap();
        let b = cache.prepare("{ b }", &test_limits(), &types).unwrap();
        cache.prepare("{ a }", &test_limits(), &types).unwrap();
        cache.prepare("{ c }", &test_limits(), &types).unwrap();
        let refused = cache.prepare("{ a", &test_limits(), &types);

        assert!(refused.is_err());
        assert_eq!(cache.len(), 2);
        assert!(Arc::ptr_eq(
            &a,
            &cache.prepare("{ a }", &test_limits(), &types).unwrap()
        ));
        assert!(!Arc::ptr_eq(
            &b,
            &cache.prepare("{ b }", &test_limits(), &types).unwrap()
        ));
    }

    #[test]
    fn a_cache_of_none_prepares_every_time() {
        let cache = DocumentCache::new(0);
        let types = TypeMap::default();

        let first = cache.prepare("{ a }", &test_limits(), &types).unwrap();
        let again = cache.prepare("{ a }", &test_limits(), &types).unwrap();

        assert!(!Arc::ptr_eq(&first, &again));
        assert!(cache.is_empty());
    }
}
