//! The lock's metrics: how long requests wait for the lock and hold it, per class
//! and per request name (`SELECT`, `UPDATE`, `CALL transfer`, …), how long phases
//! last, and how many requests are queued.
//!
//! They live in a Prometheus registry of this turnstile's own (not the process's
//! global one: tests run many turnstiles in one process), which serves both
//! readers: the text endpoint (`--metrics-listen`) encodes it, and the system views
//! `turnstile_lock_stats` / `turnstile_lock_phases` read the same histograms back,
//! with percentiles estimated from the buckets as Prometheus's
//! `histogram_quantile` does (linear within a bucket; the buckets go 1-2-5 per
//! decade, so an estimate is within the bucket holding the true value).
//!
//! A request that holds the lock for `slow_hold` or longer is logged with its name
//! and duration, as it happens.

use std::borrow::Cow;
use std::time::Duration;

use prometheus::proto::MetricFamily;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use super::admission::{LockClass, LockPolicy};

/// What a request is, for metrics and logs: a statement's kind (`SELECT`,
/// `INSERT`), `CALL <reducer>`, `COMMIT`, … A small, bounded set of names: each
/// becomes a label value.
pub type RequestName = Cow<'static, str>;

const WAIT: &str = "turnstile_lock_wait_seconds";
const HOLD: &str = "turnstile_lock_hold_seconds";
const PHASE: &str = "turnstile_lock_phase_seconds";
const QUEUED: &str = "turnstile_lock_queue_length";
const POLICY: &str = "turnstile_lock_policy_info";

/// Bucket bounds in seconds: 1 µs to 10 s, 1-2-5 per decade.
fn buckets() -> Vec<f64> {
    let mut bounds = Vec::new();
    let mut decade = 1e-6;
    while decade < 10.0 {
        bounds.extend([decade, 2.0 * decade, 5.0 * decade]);
        decade *= 10.0;
    }
    bounds.push(10.0);
    bounds
}

/// The lock's metrics for one turnstile.
pub struct LockMetrics {
    registry: Registry,
    wait: HistogramVec,
    hold: HistogramVec,
    /// Per class (indexed by [`class_index`]): resolved once, because the
    /// scheduler updates them under its mutex.
    phase: [Histogram; 2],
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
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets()), labels)
                .expect("a valid histogram definition")
        };
        let wait = histogram(
            WAIT,
            "Time from a request's arrival to taking the database lock.",
            &["class", "request"],
        );
        let hold = histogram(
            HOLD,
            "Time a request held the database lock.",
            &["class", "request"],
        );
        let phase = histogram(
            PHASE,
            "Length of admission phases (one acquisition of the write lock; a run of reads).",
            &["class"],
        );
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
        let registry = Registry::new();
        for collector in [
            Box::new(wait.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(hold.clone()),
            Box::new(phase.clone()),
            Box::new(queued.clone()),
            Box::new(policy_info),
        ] {
            registry.register(collector).expect("distinct metric names");
        }
        LockMetrics {
            registry,
            wait,
            hold,
            phase: CLASSES.map(|class| phase.with_label_values(&[class.name()])),
            queued: CLASSES.map(|class| queued.with_label_values(&[class.name()])),
            policy,
            slow_hold,
        }
    }

    /// A request of `class` named `name` waited `wait` for the lock and held it
    /// for `hold`.
    pub fn request(&self, class: LockClass, name: &str, wait: Duration, hold: Duration) {
        let labels = [class.name(), name];
        self.wait
            .with_label_values(&labels)
            .observe(wait.as_secs_f64());
        self.hold
            .with_label_values(&labels)
            .observe(hold.as_secs_f64());
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
        self.phase[class_index(class)].observe(length.as_secs_f64());
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

    /// Per class and request name, what waited and held the lock so far.
    pub fn request_stats(&self) -> Vec<RequestStats> {
        let families = self.registry.gather();
        let holds = summaries(&families, HOLD);
        summaries(&families, WAIT)
            .into_iter()
            .filter_map(|(labels, wait)| {
                let hold = holds.iter().find(|(l, _)| *l == labels)?.1;
                let [class, request] = <[String; 2]>::try_from(labels).ok()?;
                Some(RequestStats {
                    class,
                    request,
                    wait,
                    hold,
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
}

/// One row of `turnstile_lock_phases`.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseStats {
    pub class: LockClass,
    /// The phases so far and their lengths.
    pub length: Summary,
    pub queued: usize,
}

/// Every histogram of the family `name`: its label values (in the family's label
/// order) and its summary.
fn summaries(families: &[MetricFamily], name: &str) -> Vec<(Vec<String>, Summary)> {
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
            let histogram = metric.get_histogram();
            let summary = Summary {
                count: histogram.get_sample_count(),
                sum: histogram.get_sample_sum(),
                p50: quantile(histogram, 0.5),
                p99: quantile(histogram, 0.99),
            };
            (labels, summary)
        })
        .collect()
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
                Duration::ZERO,
                Duration::from_micros(7),
            );
        }
        metrics.request(
            LockClass::Write,
            "UPDATE",
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

    #[test]
    fn the_text_endpoint_names_the_policy_and_the_requests() {
        let metrics = LockMetrics::new(LockPolicy::Deadline, Duration::from_secs(60));
        metrics.request(
            LockClass::Read,
            "SELECT",
            Duration::from_micros(3),
            Duration::from_micros(4),
        );
        metrics.queue_length(LockClass::Write, 2);
        let text = metrics.encode_text();
        assert!(
            text.contains("turnstile_lock_policy_info{policy=\"deadline\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("turnstile_lock_wait_seconds_count{class=\"read\",request=\"SELECT\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("turnstile_lock_queue_length{class=\"write\"} 2"),
            "{text}"
        );
    }
}
