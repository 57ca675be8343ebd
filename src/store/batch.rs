//! Batching without a timer: the keys a request asks for while its resolvers run become one
//! load per key kind, dispatched as soon as the request has nothing more to ask.
//!
//! A GraphQL request runs as one task: async-graphql polls the fields of every object, and the
//! items of every list, as futures inside it. [`Clock::drive`] counts the task's turns (each
//! time the executor polls it). A field that needs a key registers it and sleeps until the next
//! turn, so the rest of this turn polls every sibling, and each of them registers its key too.
//! When the first of them wakes and no key of its kind arrived since it last looked, it takes
//! every waiting key of that kind and loads them in one call; the others wait for that call and
//! then read their value from the request's cache. Nothing waits on a timer: a level of a query
//! costs a turn of the task, and the load runs in the request's own task (and tracing span).

use std::any::{Any, TypeId};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use futures::channel::oneshot;
use futures::future::{FutureExt, Shared};

use super::{HashMap, StoreError, StoreLoader};

/// The values of keys loaded together, by key: keys that name nothing are left out, and a key
/// whose value alone could not be read (a record in a source that did not answer) has its error.
pub type Loaded<K, V> = HashMap<K, Result<V, Arc<StoreError>>>;

/// Loads the values of many keys of one kind at once.
pub trait Load<K>: Send + Sync {
    /// What a key names.
    type Value: Clone + Send + Sync + 'static;

    /// The values of `keys`; an error fails every key.
    fn load(
        &self,
        keys: &[K],
    ) -> impl Future<Output = Result<Loaded<K, Self::Value>, Arc<StoreError>>> + Send;
}

/// A request's batching loads and their cache. One per request: the caller's scope travels
/// with every batch, and no value is shared between callers.
pub struct Batcher {
    loader: StoreLoader,
    clock: Arc<Clock>,
    /// The state of each key kind, by the key's type.
    kinds: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
}

/// Resolves once a batch's load has finished (or was dropped).
type Finished = Shared<oneshot::Receiver<()>>;

enum Slot<V> {
    /// Registered, not yet dispatched.
    Waiting,
    /// In a batch being loaded.
    Loading(Finished),
    Loaded(Option<V>),
    Failed(Arc<StoreError>),
}

struct Kind<K, V> {
    slots: HashMap<K, Slot<V>>,
    waiting: Vec<K>,
    /// Counts registrations, so a key's future can tell whether siblings are still arriving.
    registered: u64,
}

/// What a key's future does next.
enum Step<K, V> {
    Answer(Result<Option<V>, Arc<StoreError>>),
    /// Siblings registered keys since this one last looked: give them another turn.
    Yield,
    Wait(Finished),
    Dispatch(Vec<K>, oneshot::Sender<()>),
}

impl Batcher {
    /// A batcher loading through `loader`.
    pub fn new(loader: StoreLoader) -> Self {
        Batcher {
            loader,
            clock: Arc::default(),
            kinds: Mutex::new(HashMap::default()),
        }
    }

    /// The clock that must drive the request this batcher serves.
    pub fn clock(&self) -> Arc<Clock> {
        self.clock.clone()
    }

    /// The loader, for reads that need no batching (top-level lists).
    pub fn loader(&self) -> &StoreLoader {
        &self.loader
    }

    /// The value `key` names, loaded together with every key of its kind that the request's
    /// other fields ask for meanwhile; cached for the rest of the request.
    pub async fn load_one<K>(
        &self,
        key: K,
    ) -> Result<Option<<StoreLoader as Load<K>>::Value>, Arc<StoreError>>
    where
        K: Clone + Eq + Hash + Send + Sync + 'static,
        StoreLoader: Load<K>,
    {
        type Value<K> = <StoreLoader as Load<K>>::Value;
        let mut seen =
            match self.with_kind(|kind: &mut Kind<K, Value<K>>| match kind.slots.get(&key) {
                Some(Slot::Loaded(value)) => Err(Ok(value.clone())),
                Some(Slot::Failed(error)) => Err(Err(error.clone())),
                Some(_) => Ok(kind.registered),
                None => Ok(kind.register(&key)),
            }) {
                Ok(seen) => seen,
                Err(answer) => return answer,
            };
        let mut turn = true;
        loop {
            if turn {
                self.clock.next_turn().await;
            }
            turn = true;
            let step = self.with_kind(|kind: &mut Kind<K, Value<K>>| match kind.slots.get(&key) {
                Some(Slot::Loaded(value)) => Step::Answer(Ok(value.clone())),
                Some(Slot::Failed(error)) => Step::Answer(Err(error.clone())),
                Some(Slot::Loading(finished)) => Step::Wait(finished.clone()),
                Some(Slot::Waiting) if kind.registered != seen => {
                    seen = kind.registered;
                    Step::Yield
                }
                None => {
                    seen = kind.register(&key);
                    Step::Yield
                }
                Some(Slot::Waiting) => {
                    let keys = std::mem::take(&mut kind.waiting);
                    let (done, finished) = oneshot::channel();
                    let finished = finished.shared();
                    for key in &keys {
                        kind.slots
                            .insert(key.clone(), Slot::Loading(finished.clone()));
                    }
                    Step::Dispatch(keys, done)
                }
            });
            match step {
                Step::Answer(answer) => return answer,
                Step::Yield => {}
                Step::Wait(finished) => {
                    if finished.await.is_err() {
                        // The future that loaded the batch was dropped: load the key anew.
                        self.with_kind(|kind: &mut Kind<K, Value<K>>| {
                            if let Some(Slot::Loading(_)) = kind.slots.get(&key) {
                                kind.register(&key);
                            }
                        });
                    } else {
                        turn = false;
                    }
                }
                Step::Dispatch(keys, done) => {
                    let loaded = self.loader.load(&keys).await;
                    self.with_kind(|kind: &mut Kind<K, Value<K>>| match loaded {
                        Ok(mut values) => {
                            for key in keys {
                                let slot = match values.remove(&key) {
                                    Some(Ok(value)) => Slot::Loaded(Some(value)),
                                    Some(Err(error)) => Slot::Failed(error),
                                    None => Slot::Loaded(None),
                                };
                                kind.slots.insert(key, slot);
                            }
                        }
                        Err(error) => {
                            for key in keys {
                                kind.slots.insert(key, Slot::Failed(error.clone()));
                            }
                        }
                    });
                    // Nobody may be waiting: that is fine.
                    let _ = done.send(());
                    turn = false;
                }
            }
        }
    }

    /// Runs `change` on the state of key kind `K`, made on first use.
    fn with_kind<K, V, T>(&self, change: impl FnOnce(&mut Kind<K, V>) -> T) -> T
    where
        K: Send + 'static,
        V: Send + 'static,
    {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        let state = kinds
            .entry(TypeId::of::<Kind<K, V>>())
            .or_insert_with(|| Box::new(Kind::<K, V>::default()));
        if let Some(kind) = state.downcast_mut::<Kind<K, V>>() {
            return change(kind);
        }
        // Not reached: the map is keyed by the state's own type.
        let mut kind = Kind::<K, V>::default();
        let result = change(&mut kind);
        *state = Box::new(kind);
        result
    }
}

impl<K: Clone + Eq + Hash, V> Kind<K, V> {
    /// Puts `key` among the waiting ones; the count of registrations so far.
    fn register(&mut self, key: &K) -> u64 {
        self.slots.insert(key.clone(), Slot::Waiting);
        self.waiting.push(key.clone());
        self.registered += 1;
        self.registered
    }
}

impl<K, V> Default for Kind<K, V> {
    fn default() -> Self {
        Kind {
            slots: HashMap::default(),
            waiting: Vec::new(),
            registered: 0,
        }
    }
}

/// Counts a request's turns, and wakes at the end of a turn the futures waiting for the next.
#[derive(Default)]
pub struct Clock {
    turn: AtomicU64,
    driven: AtomicBool,
    /// Futures to wake once the current turn is over.
    sleepers: Mutex<Vec<Waker>>,
}

impl Clock {
    /// Runs `request`, counting its turns: every load of the request's batcher must run inside.
    pub fn drive<F: Future>(self: Arc<Self>, request: F) -> Driven<F> {
        self.driven.store(true, Ordering::Relaxed);
        Driven {
            clock: self,
            request,
        }
    }

    /// Ready from the next turn of the request on.
    fn next_turn(&self) -> NextTurn<'_> {
        NextTurn {
            clock: self,
            asleep_at: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// A request driven by its [`Clock`].
    pub struct Driven<F> {
        clock: Arc<Clock>,
        #[pin]
        request: F,
    }
}

impl<F: Future> Future for Driven<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.clock.turn.fetch_add(1, Ordering::Relaxed);
        let polled = this.request.poll(cx);
        // The turn is over: whoever waited for the next one may run in it.
        let sleepers = std::mem::take(
            &mut *this
                .clock
                .sleepers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for sleeper in sleepers {
            sleeper.wake();
        }
        polled
    }
}

/// Pending until the request's next turn.
struct NextTurn<'a> {
    clock: &'a Clock,
    asleep_at: Option<u64>,
}

impl Future for NextTurn<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = self.clock.turn.load(Ordering::Relaxed);
        match self.asleep_at {
            Some(asleep_at) if now > asleep_at => return Poll::Ready(()),
            // Not driven (a caller outside a request): one pass of the executor, which
            // batches less but never hangs.
            Some(_) if !self.clock.driven.load(Ordering::Relaxed) => return Poll::Ready(()),
            _ => {}
        }
        self.asleep_at.get_or_insert(now);
        if self.clock.driven.load(Ordering::Relaxed) {
            self.clock
                .sleepers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(cx.waker().clone());
        } else {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
