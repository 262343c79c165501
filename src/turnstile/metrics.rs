//! The lock's metrics: how long requests wait for the lock and hold it, per class
//! and per request name (`SELECT`, `UPDATE`, `CALL transfer`, …), how many of them
//! ran on the session's own task (the short paths) rather than on a lock thread,
//! how long phases last, and how many requests are queued.
//!
//! They live in a Prometheus registry of this turnstile's own (not the process's
//! global one: tests run many turnstiles in one process), which serves both
//! readers: the text endpoint (`--metrics-listen`) encodes it, and the system views
//! `turnstile_lock_stats` / `turnstile_lock_phases` read the same histograms back,
//! with percentiles estimated from the buckets as Prometheus's
//! `histogram_quantile` does (linear within a bucket; the buckets go 1-2-5 per
//! decade, so an estimate is within the bucket holding the true value).
//!
//! # Recording per thread
//!
//! Every request records two durations and every phase one, on the hot path of
//! every statement. Shared atomic histograms (Prometheus's own) make each of them
//! several read-modify-writes on cache lines that both cores keep taking from
//! each other, plus a hash and a shared read lock to find the labelled child: in a
//! profile of pgbench's prepared point select that was about 670 ns of the
//! server's 14 µs per transaction, as much as the primary key lookup itself.
//! So each thread records into a [`Shard`] of its own, found through a
//! thread-local; its mutex is only ever contended by a reader of the metrics,
//! which sums the shards (and what exited threads left behind) when it collects.
//! Reads are exact: a request is counted once its `request` call returns.
//!
//! A request that holds the lock for `slow_hold` or longer is logged with its name
//! and duration, as it happens.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Bucket, Counter, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use rustc_hash::FxHashMap;

use super::admission::{LockClass, LockPolicy};

/// What a request is, for metrics and logs: a statement's kind (`SELECT`,
/// `INSERT`), `CALL <reducer>`, `COMMIT`, … Each becomes a label value, so the
/// set is bounded: a client can CALL any name (an unknown one fails under the
/// lock, after it waited), and past `REQUEST_NAMES_MAX` names per class a new
/// one is counted as `OTHER_REQUESTS`.
pub type RequestName = Cow<'static, str>;

/// How many request names a class counts apart, per recording thread.
pub const REQUEST_NAMES_MAX: usize = 256;

/// What the requests past [`REQUEST_NAMES_MAX`] names are counted as.
pub const OTHER_REQUESTS: &str = "other requests";

const WAIT: &str = "turnstile_lock_wait_seconds";
const HOLD: &str = "turnstile_lock_hold_seconds";
const ON_SESSION: &str = "turnstile_lock_requests_on_session_total";
const PHASE: &str = "turnstile_lock_phase_seconds";
const QUEUED: &str = "turnstile_lock_queue_length";
const POLICY: &str = "turnstile_lock_policy_info";

/// Bucket upper bounds in nanoseconds: 1 µs to 10 s, 1-2-5 per decade.
const BOUNDS_NANOS: [u64; 22] = {
    let mut bounds = [0; 22];
    let mut decade = 1_000;
    let mut i = 0;
    while i < 21 {
        bounds[i] = decade;
        bounds[i + 1] = 2 * decade;
        bounds[i + 2] = 5 * decade;
        decade *= 10;
        i += 3;
    }
    bounds[21] = decade;
    bounds
};

/// Where a request ran under the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RanOn {
    /// On a session's task: a short read or write the scheduler admitted at once,
    /// or a short write queued behind one and run by the same task (see
    /// `Turnstile::read_short` and `Turnstile::write_maybe_short`).
    Session,
    /// On a reader thread or the writer thread, handed over and back.
    LockThread,
}

/// The lock's metrics for one turnstile.
pub struct LockMetrics {
    registry: Registry,
    histograms: Arc<Histograms>,
    queued: [IntGauge; 2],
    policy: LockPolicy,
    slow_hold: Duration,
}

const CLASSES: [LockClass; 2] = [LockClass::Read, LockClass::Write];

fn class_index(class: LockClass) -> usize {
    match class {
        LockClass::Read => 0,
        LockClass::Write => 1,
    }
}

impl LockMetrics {
    /// Metrics for a turnstile running `policy`, logging holds of `slow_hold` or
    /// longer.
    pub fn new(policy: LockPolicy, slow_hold: Duration) -> LockMetrics {
        let queued = IntGaugeVec::new(
            Opts::new(QUEUED, "Requests waiting for admission to the lock."),
            &["class"],
        )
        .expect("a valid gauge definition");
        let policy_info = IntGaugeVec::new(
            Opts::new(POLICY, "The admission policy in force (value 1)."),
            &["policy"],
        )
        .expect("a valid gauge definition");
        policy_info.with_label_values(&[policy.name()]).set(1);
        let histograms = Arc::new(Histograms::new());
        let registry = Registry::new();
        for collector in [
            Box::new(HistogramCollector(histograms.clone())) as Box<dyn Collector>,
            Box::new(queued.clone()),
            Box::new(policy_info),
        ] {
            registry.register(collector).expect("distinct metric names");
        }
        LockMetrics {
            registry,
            histograms,
            queued: CLASSES.map(|class| queued.with_label_values(&[class.name()])),
            policy,
            slow_hold,
        }
    }

    /// A request of `class` named `name` waited `wait` for the lock and held it
    /// for `hold`, on `ran_on`.
    pub fn request(
        &self,
        class: LockClass,
        name: &str,
        ran_on: RanOn,
        wait: Duration,
        hold: Duration,
    ) {
        self.histograms.record(|shard| {
            let requests = &mut shard.requests[class_index(class)];
            let full = requests.len() >= REQUEST_NAMES_MAX;
            let counts = match requests.get_mut(name) {
                Some(counts) => counts,
                None if !full => requests.entry(Cow::Owned(name.to_owned())).or_default(),
                None => requests.entry(Cow::Borrowed(OTHER_REQUESTS)).or_default(),
            };
            counts.wait.observe(wait);
            counts.hold.observe(hold);
            if ran_on == RanOn::Session {
                counts.on_session += 1;
            }
        });
        if hold >= self.slow_hold {
            tracing::warn!(
                request = name,
                held_ms = hold.as_secs_f64() * 1000.0,
                threshold_ms = self.slow_hold.as_secs_f64() * 1000.0,
                "a request held the {} lock for {:.1} ms (--slow-lock-threshold)",
                class.name(),
                hold.as_secs_f64() * 1000.0,
            );
        }
    }

    /// A phase of `class` closed after `length`.
    pub fn phase_ended(&self, class: LockClass, length: Duration) {
        self.histograms
            .record(|shard| shard.phases[class_index(class)].observe(length));
    }

    /// `len` requests of `class` are queued now.
    pub fn queue_length(&self, class: LockClass, len: usize) {
        self.queued[class_index(class)].set(i64::try_from(len).unwrap_or(i64::MAX));
    }

    /// The policy these metrics are for.
    pub fn policy(&self) -> LockPolicy {
        self.policy
    }

    /// Everything, in Prometheus's text exposition format.
    pub fn encode_text(&self) -> String {
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .expect("text encoding into memory does not fail");
        String::from_utf8(text).expect("the text encoder writes UTF-8")
    }

    /// Per class and request name, what waited and held the lock so far, and how
    /// many of those requests ran on their session's own task.
    pub fn request_stats(&self) -> Vec<RequestStats> {
        let families = self.registry.gather();
        let holds = summaries(&families, HOLD);
        let on_session = counters(&families, ON_SESSION);
        summaries(&families, WAIT)
            .into_iter()
            .filter_map(|(labels, wait)| {
                let hold = holds.iter().find(|(l, _)| *l == labels)?.1;
                let on_session = on_session.iter().find(|(l, _)| *l == labels)?.1;
                let [class, request] = <[String; 2]>::try_from(labels).ok()?;
                Some(RequestStats {
                    class,
                    request,
                    wait,
                    hold,
                    on_session,
                })
            })
            .collect()
    }

    /// Per class: the phases so far and the requests queued now.
    pub fn phase_stats(&self) -> Vec<PhaseStats> {
        let families = self.registry.gather();
        let phases = summaries(&families, PHASE);
        CLASSES
            .into_iter()
            .map(|class| {
                let length = phases
                    .iter()
                    .find(|(labels, _)| labels.first().map(String::as_str) == Some(class.name()))
                    .map(|(_, summary)| *summary)
                    .unwrap_or_default();
                let queued = self.queued[class_index(class)].get();
                PhaseStats {
                    class,
                    length,
                    queued: usize::try_from(queued).unwrap_or(0),
                }
            })
            .collect()
    }
}

/// One histogram's counts: per bucket (not cumulative; a duration past the last
/// bound is only in `count`), how many, and their sum.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    buckets: [u64; BOUNDS_NANOS.len()],
    count: u64,
    sum_nanos: u64,
}

impl Counts {
    fn observe(&mut self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        if let Some(bucket) = BOUNDS_NANOS.iter().position(|&bound| nanos <= bound) {
            self.buckets[bucket] += 1;
        }
        self.count += 1;
        self.sum_nanos = self.sum_nanos.saturating_add(nanos);
    }

    fn add(&mut self, other: &Counts) {
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum_nanos = self.sum_nanos.saturating_add(other.sum_nanos);
    }

    /// In Prometheus's form: cumulative buckets, seconds.
    fn to_proto(self) -> prometheus::proto::Histogram {
        let mut cumulative = 0;
        let buckets = BOUNDS_NANOS
            .iter()
            .zip(self.buckets)
            .map(|(&bound, count)| {
                cumulative += count;
                let mut bucket = Bucket::default();
                bucket.set_cumulative_count(cumulative);
                bucket.set_upper_bound(bound as f64 / 1e9);
                bucket
            })
            .collect();
        let mut histogram = prometheus::proto::Histogram::default();
        histogram.set_sample_count(self.count);
        histogram.set_sample_sum(self.sum_nanos as f64 / 1e9);
        histogram.set_bucket(buckets);
        histogram
    }
}

/// What one thread recorded of the requests of one name.
#[derive(Debug, Clone, Copy, Default)]
struct RequestCounts {
    wait: Counts,
    hold: Counts,
    /// How many ran on the session's own task.
    on_session: u64,
}

impl RequestCounts {
    fn add(&mut self, other: &RequestCounts) {
        self.wait.add(&other.wait);
        self.hold.add(&other.hold);
        self.on_session += other.on_session;
    }
}

/// What one thread recorded (or, summed, everyone).
#[derive(Debug, Default)]
struct Shard {
    /// Per class, by request name. Fx-hashed: the names are ours, not an
    /// attacker's, and every request looks its name up.
    requests: [FxHashMap<RequestName, RequestCounts>; 2],
    /// Per class: the phases' lengths.
    phases: [Counts; 2],
}

impl Shard {
    fn add(&mut self, other: &Shard) {
        for (mine, theirs) in self.requests.iter_mut().zip(&other.requests) {
            for (name, counts) in theirs {
                mine.entry(name.clone()).or_default().add(counts);
            }
        }
        for (mine, theirs) in self.phases.iter_mut().zip(&other.phases) {
            mine.add(theirs);
        }
    }
}

/// The shards of one [`LockMetrics`]: one per thread that recorded, and what the
/// threads that have exited left behind.
#[derive(Default)]
struct Histograms {
    shards: Mutex<Vec<Arc<Mutex<Shard>>>>,
    retired: Mutex<Shard>,
    descs: Vec<Desc>,
}

/// A thread's shard of one [`Histograms`]. Dropped when the thread exits: its
/// counts move to the owner's `retired`, so that exited threads leave no shards.
struct ThreadShard {
    owner: Weak<Histograms>,
    shard: Arc<Mutex<Shard>>,
}

impl Drop for ThreadShard {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            // Under the list's lock, so that a collection sees the counts once.
            let mut shards = owner.shards.lock();
            shards.retain(|s| !Arc::ptr_eq(s, &self.shard));
            owner.retired.lock().add(&self.shard.lock());
        }
    }
}

thread_local! {
    /// This thread's shards, one per live [`Histograms`] it recorded into (a
    /// server has one; a test process may run several turnstiles).
    static THREAD_SHARDS: RefCell<Vec<ThreadShard>> = const { RefCell::new(Vec::new()) };
}

impl Histograms {
    fn new() -> Histograms {
        let desc = |name: &str, help: &str, labels: &[&str]| {
            Desc::new(
                name.to_owned(),
                help.to_owned(),
                labels.iter().map(|l| l.to_string()).collect(),
                HashMap::new(),
            )
            .expect("a valid histogram definition")
        };
        Histograms {
            descs: vec![
                desc(
                    WAIT,
                    "Time from a request's arrival to taking the database lock.",
                    &["class", "request"],
                ),
                desc(HOLD, "Time a request held the database lock.", &["class", "request"]),
                desc(
                    ON_SESSION,
                    "Requests that ran on their session's own task, not on a lock thread.",
                    &["class", "request"],
                ),
                desc(
                    PHASE,
                    "Length of admission phases (one acquisition of the write lock; a run of reads).",
                    &["class"],
                ),
            ],
            ..Histograms::default()
        }
    }

    /// Runs `update` on this thread's shard, made on the thread's first record.
    fn record(self: &Arc<Self>, update: impl FnOnce(&mut Shard)) {
        let mut update = Some(update);
        // Fails only while this thread's locals are being destroyed.
        let _ = THREAD_SHARDS.try_with(|shards| {
            let mut shards = shards.borrow_mut();
            // A live Weak keeps its allocation, so no other Histograms can have
            // the address of one this thread still holds.
            let index = match shards
                .iter()
                .position(|s| std::ptr::eq(s.owner.as_ptr(), Arc::as_ptr(self)))
            {
                Some(index) => index,
                None => {
                    shards.retain(|s| s.owner.strong_count() > 0);
                    let shard = Arc::new(Mutex::new(Shard::default()));
                    self.shards.lock().push(shard.clone());
                    shards.push(ThreadShard {
                        owner: Arc::downgrade(self),
                        shard,
                    });
                    shards.len() - 1
                }
            };
            if let Some(update) = update.take() {
                update(&mut shards[index].shard.lock());
            }
        });
        if let Some(update) = update {
            update(&mut self.retired.lock());
        }
    }

    /// Everything recorded so far, summed.
    fn total(&self) -> Shard {
        let mut total = Shard::default();
        // The lock order: the list, then `retired`, then a shard.
        let shards = self.shards.lock();
        total.add(&self.retired.lock());
        for shard in shards.iter() {
            total.add(&shard.lock());
        }
        total
    }
}

/// Exports [`Histograms`] to the registry as three histogram families and a
/// counter family.
struct HistogramCollector(Arc<Histograms>);

impl Collector for HistogramCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.0.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let total = self.0.total();
        let labelled = |labels: &[(&str, &str)]| {
            Metric::from_label(
                labels
                    .iter()
                    .map(|(name, value)| {
                        let mut pair = LabelPair::default();
                        pair.set_name(name.to_string());
                        pair.set_value(value.to_string());
                        pair
                    })
                    .collect(),
            )
        };
        let metric = |labels: &[(&str, &str)], counts: Counts| {
            let mut metric = labelled(labels);
            metric.set_histogram(counts.to_proto());
            metric
        };
        let family = |desc: &Desc, kind: MetricType, metrics: Vec<Metric>| {
            let mut family = MetricFamily::default();
            family.set_name(desc.fq_name.clone());
            family.set_help(desc.help.clone());
            family.set_field_type(kind);
            family.set_metric(metrics);
            family
        };
        // Sorted by label values, as Prometheus's own vectors are.
        let mut by_labels = BTreeMap::new();
        for class in CLASSES {
            for (name, counts) in &total.requests[class_index(class)] {
                by_labels.insert((class.name(), name.as_ref()), *counts);
            }
        }
        let [waits, holds] =
            [|c: &RequestCounts| c.wait, |c: &RequestCounts| c.hold].map(|which| {
                by_labels
                    .iter()
                    .map(|(&(class, name), counts)| {
                        metric(&[("class", class), ("request", name)], which(counts))
                    })
                    .collect()
            });
        let on_session = by_labels
            .iter()
            .map(|(&(class, name), counts)| {
                let mut metric = labelled(&[("class", class), ("request", name)]);
                let mut counter = Counter::default();
                counter.set_value(counts.on_session as f64);
                metric.set_counter(counter);
                metric
            })
            .collect();
        let phases = CLASSES
            .iter()
            .map(|&class| metric(&[("class", class.name())], total.phases[class_index(class)]))
            .collect();
        let [wait, hold, on_session_desc, phase] = [0, 1, 2, 3].map(|i| &self.0.descs[i]);
        vec![
            family(wait, MetricType::HISTOGRAM, waits),
            family(hold, MetricType::HISTOGRAM, holds),
            family(on_session_desc, MetricType::COUNTER, on_session),
            family(phase, MetricType::HISTOGRAM, phases),
        ]
    }
}

/// A histogram read back: its count, sum and estimated percentiles, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub sum: f64,
    pub p50: f64,
    pub p99: f64,
}

/// One row of `turnstile_lock_stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestStats {
    pub class: String,
    pub request: String,
    pub wait: Summary,
    pub hold: Summary,
    /// How many of the requests ran on their session's own task.
    pub on_session: u64,
}

/// One row of `turnstile_lock_phases`.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseStats {
    pub class: LockClass,
    /// The phases so far and their lengths.
    pub length: Summary,
    pub queued: usize,
}

/// Every metric of the family `name`: its label values (in the family's label
/// order) and `value` of it.
fn read_family<T>(
    families: &[MetricFamily],
    name: &str,
    value: impl Fn(&Metric) -> T,
) -> Vec<(Vec<String>, T)> {
    let Some(family) = families.iter().find(|f| f.name() == name) else {
        return Vec::new();
    };
    family
        .get_metric()
        .iter()
        .map(|metric| {
            let labels = metric
                .get_label()
                .iter()
                .map(|pair| pair.value().to_owned())
                .collect();
            (labels, value(metric))
        })
        .collect()
}

/// Every histogram of the family `name`: its label values and its summary.
fn summaries(families: &[MetricFamily], name: &str) -> Vec<(Vec<String>, Summary)> {
    read_family(families, name, |metric| {
        let histogram = metric.get_histogram();
        Summary {
            count: histogram.get_sample_count(),
            sum: histogram.get_sample_sum(),
            p50: quantile(histogram, 0.5),
            p99: quantile(histogram, 0.99),
        }
    })
}

/// Every counter of the family `name`: its label values and its value.
fn counters(families: &[MetricFamily], name: &str) -> Vec<(Vec<String>, u64)> {
    read_family(families, name, |metric| {
        metric.get_counter().get_value() as u64
    })
}

/// The `q` quantile of a histogram, interpolated linearly within the bucket that
/// holds it (Prometheus's `histogram_quantile`); 0 for an empty one, the largest
/// bound for one beyond the last bucket.
fn quantile(histogram: &prometheus::proto::Histogram, q: f64) -> f64 {
    let count = histogram.get_sample_count();
    if count == 0 {
        return 0.0;
    }
    let rank = q * count as f64;
    let (mut lower_bound, mut lower_count) = (0.0, 0u64);
    for bucket in histogram.get_bucket() {
        let cumulative = bucket.cumulative_count();
        if cumulative as f64 >= rank {
            let in_bucket = (cumulative - lower_count) as f64;
            let fraction = (rank - lower_count as f64) / in_bucket;
            return lower_bound + (bucket.upper_bound() - lower_bound) * fraction;
        }
        lower_bound = bucket.upper_bound();
        lower_count = cumulative;
    }
    lower_bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_buckets() {
        let metrics = LockMetrics::new(LockPolicy::Fair, Duration::from_secs(60));
        // 99 quick holds (between 5 and 10 µs) and one of 3 ms.
        for _ in 0..99 {
            metrics.request(
                LockClass::Write,
                "UPDATE",
                RanOn::LockThread,
                Duration::ZERO,
                Duration::from_micros(7),
            );
        }
        metrics.request(
            LockClass::Write,
            "UPDATE",
            RanOn::LockThread,
            Duration::ZERO,
            Duration::from_millis(3),
        );
        let stats = metrics.request_stats();
        assert_eq!(stats.len(), 1);
        let hold = stats[0].hold;
        assert_eq!(hold.count, 100);
        assert!((5e-6..=10e-6).contains(&hold.p50), "{hold:?}");
        assert!((5e-6..=10e-6).contains(&hold.p99), "{hold:?}");
        assert!((hold.sum - (99.0 * 7e-6 + 3e-3)).abs() < 1e-9, "{hold:?}");
    }

    /// Each thread records into its own shard; a collection sums them all, and
    /// what a thread recorded outlives the thread.
    #[test]
    fn what_every_thread_recorded_is_counted_after_it_exits() {
        let metrics = Arc::new(LockMetrics::new(LockPolicy::Fair, Duration::from_secs(60)));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let metrics = metrics.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        metrics.request(
                            LockClass::Read,
                            "SELECT",
                            RanOn::LockThread,
                            Duration::from_micros(1),
                            Duration::from_micros(2),
                        );
                    }
                    metrics.phase_ended(LockClass::Read, Duration::from_micros(3));
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("the recording thread ends");
        }
        metrics.request(
            LockClass::Read,
            "SELECT",
            RanOn::LockThread,
            Duration::ZERO,
            Duration::ZERO,
        );
        // The exited threads' shards were retired; only this thread's is left.
        assert_eq!(metrics.histograms.shards.lock().len(), 1);
        let stats = metrics.request_stats();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].wait.count, 101);
        assert!(
            (stats[0].hold.sum - 100.0 * 2e-6).abs() < 1e-12,
            "{stats:?}"
        );
        let phases = metrics.phase_stats();
        assert_eq!(phases[0].length.count, 4);
        assert_eq!(phases[1].length.count, 0);
    }

    /// A client can CALL any name; the names counted apart stay bounded.
    #[test]
    fn request_names_past_the_bound_are_counted_together() {
        let metrics = LockMetrics::new(LockPolicy::Fair, Duration::from_secs(60));
        let extra = 10;
        for n in 0..REQUEST_NAMES_MAX + extra {
            let name = format!("CALL nope_{n}");
            metrics.request(
                LockClass::Write,
                &name,
                RanOn::LockThread,
                Duration::ZERO,
                Duration::ZERO,
            );
        }
        // A name counted before the bound was reached is still counted apart.
        metrics.request(
            LockClass::Write,
            "CALL nope_0",
            RanOn::LockThread,
            Duration::ZERO,
            Duration::ZERO,
        );
        let stats = metrics.request_stats();
        assert_eq!(stats.len(), REQUEST_NAMES_MAX + 1);
        let count = |name: &str| {
            stats
                .iter()
                .find(|s| s.request == name)
                .map(|s| s.hold.count)
        };
        assert_eq!(count(OTHER_REQUESTS), Some(extra as u64));
        assert_eq!(count("CALL nope_0"), Some(2));
    }

    #[test]
    fn the_text_endpoint_names_the_policy_and_the_requests() {
        let metrics = LockMetrics::new(LockPolicy::Deadline, Duration::from_secs(60));
        metrics.request(
            LockClass::Read,
            "SELECT",
            RanOn::LockThread,
            Duration::from_micros(3),
            Duration::from_micros(4),
        );
        metrics.request(
            LockClass::Read,
            "SELECT",
            RanOn::Session,
            Duration::ZERO,
            Duration::from_micros(1),
        );
        metrics.queue_length(LockClass::Write, 2);
        let text = metrics.encode_text();
        assert!(
            text.contains("turnstile_lock_policy_info{policy=\"deadline\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("turnstile_lock_wait_seconds_count{class=\"read\",request=\"SELECT\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "turnstile_lock_requests_on_session_total{class=\"read\",request=\"SELECT\"} 1"
            ),
            "{text}"
        );
        let stats = metrics.request_stats();
        assert_eq!((stats[0].wait.count, stats[0].on_session), (2, 1));
        assert!(
            text.contains("turnstile_lock_queue_length{class=\"write\"} 2"),
            "{text}"
        );
    }
}
