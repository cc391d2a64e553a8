//! The thread store (spec §9): every thread's runs, one active run per thread, live fan-out to
//! `agent/connect` followers, stop, and the views behind `resource/request` (§10.4).
//!
//! [`ThreadStore`] is the backend-neutral interface (futures everywhere, so Redis/Postgres
//! implementations fit); [`InMemoryThreadStore`] is the bounded process-local implementation.
//!
//! Locking in the in-memory store: one short global lock (thread map, LRU clock, byte total) and
//! one lock per thread (runs, messages, active run). The global lock may be taken before a thread
//! lock, never the other way round, and no lock is held across an `.await`. A live run's events sit
//! in their own [`LiveRun`] buffer: the run task appends, followers read by index and wait on a
//! `watch` channel, so a slow follower costs no memory beyond the run itself.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::time::now_ms;
use super::compact::{apply_events_to_messages, compact_events};
use super::events::AguiEvent;

// ------------------------------------------------------------------------------------------------
// The interface
// ------------------------------------------------------------------------------------------------

/// Registration of a new run.
#[derive(Debug, Clone)]
pub struct BeginRun {
    pub thread_id: String,
    pub run_id: String,
    pub agent_id: String,
    /// The request's normalised messages (the whole history the client sent).
    pub input_messages: Vec<Value>,
    /// Cancelled by [`ThreadStore::stop`].
    pub cancel: CancellationToken,
}

pub struct BeganRun {
    pub recorder: Box<dyn RunRecorder>,
    /// Ids of the messages already in the thread's stored runs (input messages and events'
    /// `messageId`s): `RUN_STARTED.input.messages` leaves them out.
    pub seen_message_ids: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BeginRunError {
    /// The thread already has an active (or still stopping) run.
    Busy,
    Failed(String),
}

/// Receives a running run's wire events, in order. `finish` stores the run (compacted); dropping
/// a recorder without calling it stores the run too.
pub trait RunRecorder: Send {
    fn record(&mut self, events: &[AguiEvent]);
    /// Record `events` and leave the vector empty (moved, not copied, where the store can).
    fn record_drain(&mut self, events: &mut Vec<AguiEvent>) {
        self.record(events);
        events.clear();
    }
    fn finish(self: Box<Self>);
}

#[derive(Debug, Clone, PartialEq)]
pub enum StopOutcome {
    /// The active run was told to stop.
    Stopped,
    /// The thread has no active run.
    NoActiveRun,
    /// A `runId` was given and it is not the thread's active run.
    NotActiveRun,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSummary {
    pub id: String,
    /// Agent of the thread's latest stored run.
    pub agent_id: String,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

pub trait ThreadStore: Send + Sync {
    /// Register a run on a thread; fails with [`BeginRunError::Busy`] if one is active.
    fn begin_run(&self, req: BeginRun) -> BoxFuture<'_, Result<BeganRun, BeginRunError>>;
    /// Replay every stored run of the thread (compacted), then follow the active run live (from
    /// its `RUN_STARTED`, skipping messages already replayed) until it ends. Unknown thread →
    /// empty stream.
    fn connect(&self, thread_id: String) -> BoxFuture<'_, Result<BoxStream<'static, AguiEvent>, String>>;
    /// Stop the thread's active run (only if it is `run_id`, when given).
    fn stop(&self, thread_id: String, run_id: Option<String>) -> BoxFuture<'_, Result<StopOutcome, String>>;
    /// Threads with at least one stored run, newest first, optionally of one agent.
    fn list_threads(&self, agent_id: Option<String>) -> BoxFuture<'_, Result<Vec<ThreadSummary>, String>>;
    /// The message list (AG-UI JSON) after the thread's latest run; empty when unknown.
    fn thread_messages(&self, thread_id: String) -> BoxFuture<'_, Result<Vec<Value>, String>>;
    /// The compacted events a connect would replay.
    fn thread_events(&self, thread_id: String) -> BoxFuture<'_, Result<Vec<AguiEvent>, String>>;
    /// The last `STATE_SNAPSHOT` (an object) of the compacted events.
    fn thread_state(&self, thread_id: String) -> BoxFuture<'_, Result<Option<Value>, String>>;
    /// Drop every stored thread (active runs keep running).
    fn clear(&self) -> BoxFuture<'_, Result<(), String>>;
    /// Whether the store keeps threads (info `singleRoute.threadEndpoints.list/inspect`).
    fn keeps_threads(&self) -> bool {
        true
    }
}

// ------------------------------------------------------------------------------------------------
// Helpers shared with the handler
// ------------------------------------------------------------------------------------------------

fn estimate_bytes<'a>(events: impl IntoIterator<Item = &'a AguiEvent>) -> usize {
    events.into_iter().map(|e| e.to_json_string().len() + 1).sum()
}

fn estimate_value_bytes(values: &[Value]) -> usize {
    values.iter().map(|v| v.to_string().len() + 1).sum()
}

/// The state a thread's compacted events end with.
pub fn state_of(events: &[AguiEvent]) -> Option<Value> {
    for ev in events.iter().rev() {
        if let AguiEvent::StateSnapshot(s) = ev {
            return s.snapshot.is_object().then(|| s.snapshot.clone());
        }
    }
    None
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock must not wedge every later request on that thread.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ------------------------------------------------------------------------------------------------
// Live runs
// ------------------------------------------------------------------------------------------------

#[derive(Default)]
struct LiveState {
    events: Vec<AguiEvent>,
    done: bool,
}

/// A running run's events as they are produced, readable by any number of followers.
pub struct LiveRun {
    state: Mutex<LiveState>,
    notify: watch::Sender<u64>,
}

impl Default for LiveRun {
    fn default() -> Self {
        LiveRun { state: Mutex::new(LiveState::default()), notify: watch::channel(0).0 }
    }
}

impl LiveRun {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, events: &[AguiEvent]) {
        if events.is_empty() {
            return;
        }
        lock(&self.state).events.extend_from_slice(events);
        self.notify.send_modify(|v| *v += 1);
    }

    /// [`push`](Self::push) moving the events in.
    pub fn push_drain(&self, events: &mut Vec<AguiEvent>) {
        if events.is_empty() {
            return;
        }
        lock(&self.state).events.append(events);
        self.notify.send_modify(|v| *v += 1);
    }

    /// Run `f` over the events so far, without copying them (the run's own lock is held).
    pub fn with_events<R>(&self, f: impl FnOnce(&[AguiEvent]) -> R) -> R {
        f(&lock(&self.state).events)
    }

    pub fn mark_done(&self) {
        lock(&self.state).done = true;
        self.notify.send_modify(|v| *v += 1);
    }

    /// Every event from the first, then live ones until the run is done; `skip` filters.
    pub fn follow(
        self: Arc<Self>,
        skip: impl Fn(&AguiEvent) -> bool + Send + 'static,
    ) -> BoxStream<'static, AguiEvent> {
        async_stream::stream! {
            let mut rx = self.notify.subscribe();
            let mut next = 0usize;
            loop {
                let (batch, done) = {
                    let st = lock(&self.state);
                    (st.events[next.min(st.events.len())..].to_vec(), st.done)
                };
                next += batch.len();
                for ev in batch {
                    if !skip(&ev) {
                        yield ev;
                    }
                }
                if done {
                    break;
                }
                if rx.changed().await.is_err() {
                    break;
                }
            }
        }
        .boxed()
    }
}

// ------------------------------------------------------------------------------------------------
// In-memory store
// ------------------------------------------------------------------------------------------------

/// Bounds of the in-memory store; `0` disables a bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreLimits {
    /// Threads kept (least recently used idle threads are evicted first).
    pub max_threads: usize,
    /// Stored runs per thread (oldest dropped first).
    pub max_runs_per_thread: usize,
    /// Approximate bytes of stored history across threads (checked when a run is stored).
    pub max_bytes: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits { max_threads: 1000, max_runs_per_thread: 100, max_bytes: 64 * 1024 * 1024 }
    }
}

struct StoredRun {
    run_id: String,
    agent_id: String,
    #[allow(dead_code)]
    parent_run_id: Option<String>,
    events: Vec<AguiEvent>,
    bytes: usize,
    created_at_ms: u64,
}

struct ActiveRun {
    run_id: String,
    cancel: CancellationToken,
    stop_requested: bool,
    live: Arc<LiveRun>,
}

#[derive(Default)]
struct ThreadState {
    runs: VecDeque<Arc<StoredRun>>,
    active: Option<ActiveRun>,
    messages: Arc<Vec<Value>>,
    messages_bytes: usize,
    created_at_ms: Option<u64>,
}

struct ThreadEntry {
    id: String,
    last_used: AtomicU64,
    /// Has an active run (never evicted). Only changed with the global lock held.
    busy: AtomicBool,
    /// Retained bytes of this thread. Only changed with the global lock held.
    bytes: AtomicUsize,
    state: Mutex<ThreadState>,
}

#[derive(Default)]
struct Global {
    threads: HashMap<String, Arc<ThreadEntry>>,
    clock: u64,
    total_bytes: usize,
}

struct Shared {
    limits: StoreLimits,
    global: Mutex<Global>,
}

/// The bounded, process-local thread store.
#[derive(Clone)]
pub struct InMemoryThreadStore {
    shared: Arc<Shared>,
}

impl Default for InMemoryThreadStore {
    fn default() -> Self {
        Self::new(StoreLimits::default())
    }
}

impl Global {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn evict(&mut self, id: &str) {
        if let Some(e) = self.threads.remove(id) {
            self.total_bytes = self.total_bytes.saturating_sub(e.bytes.load(Ordering::Acquire));
        }
        tracing::debug!(thread_id = %id, "in-memory thread store evicted a thread");
    }

    /// Bring the store back under its limits by evicting least recently used idle threads
    /// (never `protect`, never one with an active run). Finding them scans every thread, so a full
    /// store evicts a little more than it must (1/16 of a limit) and scans again only after that
    /// many more threads or bytes: one scan per ~60 new threads at the default 1000, not one each.
    fn enforce(&mut self, limits: &StoreLimits, protect: &str) {
        let over_threads = limits.max_threads > 0 && self.threads.len() > limits.max_threads;
        let over_bytes = limits.max_bytes > 0 && self.total_bytes > limits.max_bytes;
        if !over_threads && !over_bytes {
            return;
        }
        // The slack applies to the limit that was exceeded; the other is only kept.
        let thread_goal = if over_threads { (limits.max_threads - limits.max_threads / 16).max(1) } else { limits.max_threads };
        let byte_goal = if over_bytes { limits.max_bytes - limits.max_bytes / 16 } else { limits.max_bytes };
        let mut idle: Vec<(u64, &Arc<ThreadEntry>)> = self
            .threads
            .values()
            .filter(|e| e.id != protect && !e.busy.load(Ordering::Acquire))
            .map(|e| (e.last_used.load(Ordering::Relaxed), e))
            .collect();
        idle.sort_unstable_by_key(|(used, _)| *used);
        let (mut count, mut bytes) = (self.threads.len(), self.total_bytes);
        let mut victims = Vec::new();
        for (_, e) in idle {
            let threads_ok = limits.max_threads == 0 || count <= thread_goal;
            let bytes_ok = limits.max_bytes == 0 || bytes <= byte_goal;
            if threads_ok && bytes_ok {
                break;
            }
            count -= 1;
            bytes = bytes.saturating_sub(e.bytes.load(Ordering::Acquire));
            victims.push(e.id.clone());
        }
        for id in victims {
            self.evict(&id);
        }
    }
}

impl InMemoryThreadStore {
    pub fn new(limits: StoreLimits) -> Self {
        InMemoryThreadStore { shared: Arc::new(Shared { limits, global: Mutex::new(Global::default()) }) }
    }

    pub fn limits(&self) -> StoreLimits {
        self.shared.limits
    }

    /// Number of threads held (stored or running).
    pub fn thread_count(&self) -> usize {
        lock(&self.shared.global).threads.len()
    }

    /// Approximate retained bytes.
    pub fn byte_total(&self) -> usize {
        lock(&self.shared.global).total_bytes
    }

    fn entry(&self, thread_id: &str, touch: bool) -> Option<Arc<ThreadEntry>> {
        let mut g = lock(&self.shared.global);
        let e = g.threads.get(thread_id).cloned()?;
        if touch {
            let t = g.tick();
            e.last_used.store(t, Ordering::Relaxed);
        }
        Some(e)
    }

    fn begin_run_sync(&self, req: BeginRun) -> Result<BeganRun, BeginRunError> {
        let mut g = lock(&self.shared.global);
        let t = g.tick();
        let entry = match g.threads.get(&req.thread_id) {
            Some(e) => e.clone(),
            None => {
                let e = Arc::new(ThreadEntry {
                    id: req.thread_id.clone(),
                    last_used: AtomicU64::new(t),
                    busy: AtomicBool::new(false),
                    bytes: AtomicUsize::new(0),
                    state: Mutex::new(ThreadState::default()),
                });
                g.threads.insert(req.thread_id.clone(), e.clone());
                g.enforce(&self.shared.limits, &req.thread_id);
                e
            }
        };
        entry.last_used.store(t, Ordering::Relaxed);
        let mut st = lock(&entry.state);
        if st.active.is_some() {
            return Err(BeginRunError::Busy);
        }
        let live = Arc::new(LiveRun::new());
        let runs: Vec<Arc<StoredRun>> = st.runs.iter().cloned().collect();
        let parent_run_id = st.runs.back().map(|r| r.run_id.clone());
        st.active = Some(ActiveRun {
            run_id: req.run_id.clone(),
            cancel: req.cancel.clone(),
            stop_requested: false,
            live: live.clone(),
        });
        entry.busy.store(true, Ordering::Release);
        drop(st);
        drop(g);
        // Scanning the history happens outside every lock.
        let mut seen = HashSet::new();
        for run in &runs {
            for ev in &run.events {
                if let Some(id) = ev.message_id() {
                    seen.insert(id.to_string());
                }
                if let AguiEvent::RunStarted(rs) = ev {
                    if let Some(Value::Array(msgs)) = rs.input.as_ref().and_then(|i| i.get("messages")) {
                        for m in msgs {
                            if let Some(id) = m.get("id").and_then(Value::as_str) {
                                seen.insert(id.to_string());
                            }
                        }
                    }
                }
            }
        }
        Ok(BeganRun {
            recorder: Box::new(MemRecorder {
                shared: self.shared.clone(),
                entry,
                live,
                run_id: req.run_id,
                agent_id: req.agent_id,
                parent_run_id,
                input_messages: req.input_messages,
                finished: false,
            }),
            seen_message_ids: seen,
        })
    }

    fn connect_sync(&self, thread_id: &str) -> BoxStream<'static, AguiEvent> {
        let Some(entry) = self.entry(thread_id, true) else {
            return futures_util::stream::empty().boxed();
        };
        let (runs, live) = {
            let st = lock(&entry.state);
            (st.runs.iter().cloned().collect::<Vec<_>>(), st.active.as_ref().map(|a| a.live.clone()))
        };
        async_stream::stream! {
            let all: Vec<AguiEvent> = runs.iter().flat_map(|r| r.events.iter().cloned()).collect();
            let replay = compact_events(&all);
            let mut replayed = HashSet::new();
            for ev in replay {
                if let Some(id) = ev.message_id() {
                    replayed.insert(id.to_string());
                }
                yield ev;
            }
            if let Some(live) = live {
                let mut follow = live.follow(move |ev| ev.message_id().is_some_and(|id| replayed.contains(id)));
                while let Some(ev) = follow.next().await {
                    yield ev;
                }
            }
        }
        .boxed()
    }

    fn stop_sync(&self, thread_id: &str, run_id: Option<&str>) -> StopOutcome {
        let idle = if run_id.is_some() { StopOutcome::NotActiveRun } else { StopOutcome::NoActiveRun };
        let Some(entry) = self.entry(thread_id, false) else { return idle };
        let mut st = lock(&entry.state);
        match st.active.as_mut() {
            Some(a) if !a.stop_requested => {
                if run_id.is_some_and(|r| r != a.run_id) {
                    return StopOutcome::NotActiveRun;
                }
                a.stop_requested = true;
                a.cancel.cancel();
                StopOutcome::Stopped
            }
            _ => idle,
        }
    }

    fn events_sync(&self, thread_id: &str) -> Vec<AguiEvent> {
        let Some(entry) = self.entry(thread_id, false) else { return Vec::new() };
        let runs: Vec<Arc<StoredRun>> = lock(&entry.state).runs.iter().cloned().collect();
        let all: Vec<AguiEvent> = runs.iter().flat_map(|r| r.events.iter().cloned()).collect();
        compact_events(&all)
    }

    fn list_sync(&self, agent_id: Option<&str>) -> Vec<ThreadSummary> {
        let entries: Vec<Arc<ThreadEntry>> = lock(&self.shared.global).threads.values().cloned().collect();
        let mut out = Vec::new();
        for entry in &entries {
            let st = lock(&entry.state);
            let Some(last) = st.runs.back() else { continue };
            if agent_id.is_some_and(|a| a != last.agent_id) {
                continue;
            }
            out.push(ThreadSummary {
                id: entry.id.clone(),
                agent_id: last.agent_id.clone(),
                created_at_ms: st.created_at_ms.unwrap_or(last.created_at_ms),
                updated_at_ms: last.created_at_ms,
            });
        }
        out.sort_by(|a, b| b.updated_at_ms.cmp(&a.updated_at_ms).then_with(|| b.created_at_ms.cmp(&a.created_at_ms)));
        out
    }

    fn clear_sync(&self) {
        let mut g = lock(&self.shared.global);
        let mut keep = HashMap::new();
        for (id, entry) in g.threads.drain() {
            let mut st = lock(&entry.state);
            st.runs.clear();
            st.messages = Arc::new(Vec::new());
            st.messages_bytes = 0;
            st.created_at_ms = None;
            entry.bytes.store(0, Ordering::Release);
            let busy = st.active.is_some();
            drop(st);
            if busy {
                keep.insert(id, entry);
            }
        }
        g.threads = keep;
        g.total_bytes = 0;
    }
}

struct MemRecorder {
    shared: Arc<Shared>,
    entry: Arc<ThreadEntry>,
    live: Arc<LiveRun>,
    run_id: String,
    agent_id: String,
    parent_run_id: Option<String>,
    input_messages: Vec<Value>,
    finished: bool,
}

impl MemRecorder {
    fn store(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        // The heavy work (compaction, message rebuild, sizing) happens before any lock.
        let input_messages = std::mem::take(&mut self.input_messages);
        let (any_events, compacted, messages) = self.live.with_events(|events| {
            (!events.is_empty(), compact_events(events), apply_events_to_messages(input_messages, events))
        });
        let bytes = estimate_bytes(&compacted);
        let messages_bytes = estimate_value_bytes(&messages);
        let now = now_ms();
        let limits = self.shared.limits;
        {
            let mut g = lock(&self.shared.global);
            let in_map = g.threads.get(&self.entry.id).is_some_and(|e| Arc::ptr_eq(e, &self.entry));
            let t = g.tick();
            let mut st = lock(&self.entry.state);
            let owns = st.active.as_ref().is_some_and(|a| Arc::ptr_eq(&a.live, &self.live));
            if owns {
                st.active = None;
                if any_events {
                    st.runs.push_back(Arc::new(StoredRun {
                        run_id: self.run_id.clone(),
                        agent_id: self.agent_id.clone(),
                        parent_run_id: self.parent_run_id.clone(),
                        events: compacted,
                        bytes,
                        created_at_ms: now,
                    }));
                    st.created_at_ms.get_or_insert(now);
                    if !messages.is_empty() {
                        st.messages = Arc::new(messages);
                        st.messages_bytes = messages_bytes;
                    }
                }
                while limits.max_runs_per_thread > 0 && st.runs.len() > limits.max_runs_per_thread {
                    st.runs.pop_front();
                }
                let new_bytes = st.runs.iter().map(|r| r.bytes).sum::<usize>() + st.messages_bytes;
                drop(st);
                let old_bytes = self.entry.bytes.swap(new_bytes, Ordering::AcqRel);
                self.entry.busy.store(false, Ordering::Release);
                if in_map {
                    g.total_bytes = g.total_bytes.saturating_sub(old_bytes) + new_bytes;
                    self.entry.last_used.store(t, Ordering::Relaxed);
                }
            } else {
                drop(st);
            }
            g.enforce(&limits, &self.entry.id);
        }
        self.live.mark_done();
    }
}

impl RunRecorder for MemRecorder {
    fn record(&mut self, events: &[AguiEvent]) {
        self.live.push(events);
    }

    fn record_drain(&mut self, events: &mut Vec<AguiEvent>) {
        self.live.push_drain(events);
    }

    fn finish(mut self: Box<Self>) {
        self.store();
    }
}

impl Drop for MemRecorder {
    fn drop(&mut self) {
        self.store();
    }
}

impl ThreadStore for InMemoryThreadStore {
    fn begin_run(&self, req: BeginRun) -> BoxFuture<'_, Result<BeganRun, BeginRunError>> {
        let r = self.begin_run_sync(req);
        Box::pin(async move { r })
    }

    fn connect(&self, thread_id: String) -> BoxFuture<'_, Result<BoxStream<'static, AguiEvent>, String>> {
        let s = self.connect_sync(&thread_id);
        Box::pin(async move { Ok(s) })
    }

    fn stop(&self, thread_id: String, run_id: Option<String>) -> BoxFuture<'_, Result<StopOutcome, String>> {
        let r = self.stop_sync(&thread_id, run_id.as_deref());
        Box::pin(async move { Ok(r) })
    }

    fn list_threads(&self, agent_id: Option<String>) -> BoxFuture<'_, Result<Vec<ThreadSummary>, String>> {
        let r = self.list_sync(agent_id.as_deref());
        Box::pin(async move { Ok(r) })
    }

    fn thread_messages(&self, thread_id: String) -> BoxFuture<'_, Result<Vec<Value>, String>> {
        let r = self.entry(&thread_id, false).map(|e| lock(&e.state).messages.clone());
        Box::pin(async move { Ok(r.map(|m| (*m).clone()).unwrap_or_default()) })
    }

    fn thread_events(&self, thread_id: String) -> BoxFuture<'_, Result<Vec<AguiEvent>, String>> {
        let r = self.events_sync(&thread_id);
        Box::pin(async move { Ok(r) })
    }

    fn thread_state(&self, thread_id: String) -> BoxFuture<'_, Result<Option<Value>, String>> {
        let r = state_of(&self.events_sync(&thread_id));
        Box::pin(async move { Ok(r) })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), String>> {
        self.clear_sync();
        Box::pin(async move { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn begin(store: &InMemoryThreadStore, thread: &str, run: &str) -> Result<BeganRun, BeginRunError> {
        store.begin_run_sync(BeginRun {
            thread_id: thread.into(),
            run_id: run.into(),
            agent_id: "default".into(),
            input_messages: vec![json!({"id": format!("u-{run}"), "role":"user","content":"hi"})],
            cancel: CancellationToken::new(),
        })
    }

    fn text_run(thread: &str, run: &str, msg: &str, text: &str) -> Vec<AguiEvent> {
        let mut rs = AguiEvent::run_started(thread, run);
        if let AguiEvent::RunStarted(r) = &mut rs {
            r.input = Some(json!({"threadId": thread, "runId": run, "messages":[{"id": format!("u-{run}"), "role":"user","content":"hi"}]}));
        }
        vec![
            rs,
            AguiEvent::text_start(msg),
            AguiEvent::text_content(msg, &text[..1]),
            AguiEvent::text_content(msg, &text[1..]),
            AguiEvent::text_end(msg),
            AguiEvent::run_finished(thread, run),
        ]
    }

    fn complete(store: &InMemoryThreadStore, thread: &str, run: &str, msg: &str, text: &str) {
        let mut b = begin(store, thread, run).unwrap();
        b.recorder.record(&text_run(thread, run, msg, text));
        b.recorder.finish();
    }

    #[test]
    fn one_active_run_per_thread_and_seen_ids() {
        let store = InMemoryThreadStore::default();
        let b = begin(&store, "t", "r1").unwrap();
        assert!(matches!(begin(&store, "t", "r2"), Err(BeginRunError::Busy)));
        assert!(b.seen_message_ids.is_empty());
        let mut rec = b.recorder;
        rec.record(&text_run("t", "r1", "m1", "hello"));
        rec.finish();
        let b2 = begin(&store, "t", "r2").unwrap();
        assert!(b2.seen_message_ids.contains("m1"));
        assert!(b2.seen_message_ids.contains("u-r1"));
    }

    #[tokio::test]
    async fn stop_outcomes() {
        let store = InMemoryThreadStore::default();
        assert_eq!(store.stop_sync("t", None), StopOutcome::NoActiveRun);
        assert_eq!(store.stop_sync("t", Some("x")), StopOutcome::NotActiveRun);
        let cancel = CancellationToken::new();
        let b = store
            .begin_run_sync(BeginRun {
                thread_id: "t".into(),
                run_id: "r".into(),
                agent_id: "a".into(),
                input_messages: vec![],
                cancel: cancel.clone(),
            })
            .unwrap();
        assert_eq!(store.stop_sync("t", Some("other")), StopOutcome::NotActiveRun);
        assert_eq!(store.stop_sync("t", Some("r")), StopOutcome::Stopped);
        assert!(cancel.is_cancelled());
        // A second stop while the run is still finishing finds nothing to stop, and the thread
        // stays busy until the run is stored.
        assert_eq!(store.stop_sync("t", None), StopOutcome::NoActiveRun);
        assert!(matches!(begin(&store, "t", "r2"), Err(BeginRunError::Busy)));
        b.recorder.finish();
        assert!(begin(&store, "t", "r2").is_ok());
    }

    #[tokio::test]
    async fn connect_replays_compacted_runs_then_follows_live() {
        let store = InMemoryThreadStore::default();
        complete(&store, "t", "r1", "m1", "hello");
        let mut b = begin(&store, "t", "r2").unwrap();
        let live = text_run("t", "r2", "m2", "world");
        b.recorder.record(&live[..3]);
        let mut s = store.connect_sync("t");
        let mut got = Vec::new();
        for _ in 0..5 + 3 {
            got.push(s.next().await.unwrap());
        }
        assert_eq!(got[2], AguiEvent::text_content("m1", "hello"));
        assert_eq!(got[5], live[0]);
        assert_eq!(got[7], live[2]);
        let mut rec = b.recorder;
        rec.record(&live[3..]);
        rec.finish();
        let rest: Vec<AguiEvent> = s.collect().await;
        assert_eq!(rest, live[3..].to_vec());
        // After the run: replay of both runs, compacted, no live part.
        let all: Vec<AguiEvent> = store.connect_sync("t").collect().await;
        assert_eq!(all.len(), 10);
        assert_eq!(all[7], AguiEvent::text_content("m2", "world"));
        assert!(store.connect_sync("unknown").collect::<Vec<_>>().await.is_empty());
    }

    #[tokio::test]
    async fn views_and_clear() {
        let store = InMemoryThreadStore::default();
        complete(&store, "t1", "r1", "m1", "hello");
        std::thread::sleep(std::time::Duration::from_millis(3));
        complete(&store, "t2", "r2", "m2", "world");
        let list = store.list_sync(None);
        assert_eq!(list.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["t2", "t1"]);
        assert!(store.list_sync(Some("other")).is_empty());
        let msgs = store.thread_messages("t1".into()).await.unwrap();
        assert_eq!(msgs, vec![json!({"id":"u-r1","role":"user","content":"hi"}), json!({"id":"m1","role":"assistant","content":"hello"})]);
        assert_eq!(store.thread_state("t1".into()).await.unwrap(), None);
        store.clear_sync();
        assert!(store.list_sync(None).is_empty());
        assert_eq!(store.thread_count(), 0);
        assert_eq!(store.byte_total(), 0);
    }

    #[test]
    fn bounds_evict_idle_lru_threads_never_running_ones() {
        let store = InMemoryThreadStore::new(StoreLimits { max_threads: 3, max_runs_per_thread: 2, max_bytes: 0 });
        let running = begin(&store, "busy", "rb").unwrap();
        complete(&store, "a", "r1", "ma", "aa");
        complete(&store, "b", "r2", "mb", "bb");
        // Touch "a" so that "b" is the least recently used idle thread.
        store.entry("a", true);
        complete(&store, "c", "r3", "mc", "cc");
        let mut ids: Vec<String> = store.list_sync(None).into_iter().map(|t| t.id).collect();
        ids.sort();
        assert_eq!(ids, vec!["a", "c"]);
        assert_eq!(store.thread_count(), 3);
        assert!(store.entry("busy", false).is_some());
        drop(running);

        // Oldest runs go first.
        for i in 0..4 {
            complete(&store, "a", &format!("x{i}"), &format!("m{i}"), "zz");
        }
        let events = store.events_sync("a");
        let starts: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                AguiEvent::RunStarted(r) => Some(r.run_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(starts, vec!["x2", "x3"]);
    }

    #[test]
    fn byte_bound_evicts_other_idle_threads() {
        let store = InMemoryThreadStore::new(StoreLimits { max_threads: 0, max_runs_per_thread: 0, max_bytes: 1500 });
        for i in 0..10 {
            complete(&store, &format!("t{i}"), "r", "m", "some text that takes room");
        }
        assert!(store.byte_total() <= 1500, "{}", store.byte_total());
        assert!(store.thread_count() < 10);
        assert!(store.entry("t9", false).is_some(), "the newest thread is kept");
    }

    #[test]
    fn a_full_store_evicts_a_batch_of_the_oldest_then_fills_again_without_evicting() {
        let store = InMemoryThreadStore::new(StoreLimits { max_threads: 64, max_runs_per_thread: 1, max_bytes: 0 });
        for i in 0..64 {
            complete(&store, &format!("t{i}"), "r", "m", "x");
        }
        assert_eq!(store.thread_count(), 64);
        // One over the limit: the 5 least recently used go (64 - 64/16 = 60 remain).
        complete(&store, "t64", "r", "m", "x");
        assert_eq!(store.thread_count(), 60);
        for gone in 0..5 {
            assert!(store.entry(&format!("t{gone}"), false).is_none(), "t{gone} evicted");
        }
        assert!(store.entry("t5", false).is_some());
        // The next four fit without another eviction.
        for i in 65..69 {
            complete(&store, &format!("t{i}"), "r", "m", "x");
        }
        assert_eq!(store.thread_count(), 64);
    }
}
