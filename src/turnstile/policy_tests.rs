//! The admission policies, driven through exact schedules: the scheduler is told
//! the time, so these tests decide when everything arrives and how long every
//! request holds the lock, and check who is admitted when. No threads, no sleeps,
//! no timing: the clock is a number the test moves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::admission::{Admission, AdmissionConfig, LockClass, LockPolicy, Refusal};
use super::metrics::LockMetrics;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// What happened, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    /// A phase of this class opened (seen at its first admission).
    Phase(LockClass),
    /// A request was admitted in the phase with this serial number, after
    /// waiting this long.
    Admitted(String, u64, Duration),
}

/// A scheduler with an instrumented clock and a log of admissions. Requests are
/// named "r…" and "w…"; reads have as many threads as they need.
struct Schedule {
    admission: Admission<String, String>,
    start: Instant,
    now: Duration,
    events: Vec<Event>,
    /// The reads holding the lock now.
    reading: Vec<String>,
    /// The serial number of the phase of the last admission.
    last_serial: Option<u64>,
}

impl Schedule {
    fn new(config: AdmissionConfig) -> Schedule {
        let metrics = Arc::new(LockMetrics::new(config.policy, Duration::from_secs(60)));
        Schedule {
            admission: Admission::new(config, 1000, metrics),
            start: Instant::now(),
            now: Duration::ZERO,
            events: Vec::new(),
            reading: Vec::new(),
            last_serial: None,
        }
    }

    fn policy(policy: LockPolicy) -> Schedule {
        Schedule::new(AdmissionConfig {
            policy,
            ..AdmissionConfig::default()
        })
    }

    fn at(&self) -> Instant {
        self.start + self.now
    }

    fn pass(&mut self, time: Duration) {
        self.now += time;
    }

    fn read(&mut self, name: &str) {
        self.admission.push_read(name.into(), self.at()).unwrap();
    }

    fn write(&mut self, name: &str) {
        self.admission.push_write(name.into(), self.at()).unwrap();
    }

    fn admitted(&mut self, class: LockClass, name: String, since: Instant) {
        let serial = self.admission.phases_opened();
        if self.last_serial != Some(serial) {
            self.events.push(Event::Phase(class));
            self.last_serial = Some(serial);
        }
        let waited = self.at() - since;
        self.events.push(Event::Admitted(name, serial, waited));
    }

    /// Reader threads take every read admitted now.
    fn admit_reads(&mut self) {
        while let Some(queued) = self.admission.admit_read(self.at()) {
            self.admitted(LockClass::Read, queued.job.clone(), queued.since);
            self.reading.push(queued.job);
        }
    }

    /// After `hold`, every read holding the lock leaves (no hand-over: the
    /// reader threads go back to waiting).
    fn finish_reads(&mut self, hold: Duration) {
        self.pass(hold);
        for _ in std::mem::take(&mut self.reading) {
            assert!(self.admission.read_done(self.at(), false).is_none());
        }
    }

    /// The writer thread runs one write phase, if one is open: each write holds
    /// the lock for `hold`, and `during(self, n)` runs while the n-th write holds
    /// it, at its start (to let more requests arrive). Returns the writes it ran.
    fn write_phase(
        &mut self,
        hold: Duration,
        mut during: impl FnMut(&mut Schedule, usize),
    ) -> usize {
        let Some(first) = self.admission.begin_write() else {
            return 0;
        };
        self.admitted(LockClass::Write, first.job, first.since);
        let mut ran = 1;
        loop {
            during(self, ran);
            self.pass(hold);
            let Some(next) = self.admission.continue_write(self.at(), hold, |_| true) else {
                break;
            };
            self.admitted(LockClass::Write, next.job, next.since);
            ran += 1;
        }
        self.admission.end_write(self.at());
        ran
    }

    /// The names admitted, phase by phase.
    fn phases(&self) -> Vec<(LockClass, Vec<String>)> {
        let mut phases: Vec<(LockClass, Vec<String>)> = Vec::new();
        for event in &self.events {
            match event {
                Event::Phase(class) => phases.push((*class, Vec::new())),
                Event::Admitted(name, _, _) => phases.last_mut().unwrap().1.push(name.clone()),
            }
        }
        phases
    }

    fn serial_of(&self, name: &str) -> u64 {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::Admitted(n, serial, _) if n == name => Some(*serial),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name} was never admitted: {:?}", self.events))
    }

    fn wait_of(&self, name: &str) -> Duration {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::Admitted(n, _, waited) if n == name => Some(*waited),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name} was never admitted: {:?}", self.events))
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `fair`: while a write phase runs, reads and more writes arrive. The write phase
/// admits only what was queued when it began; then the phases alternate, each
/// admitting its cohort, and a read that arrives during a read phase while
/// writes wait goes to the next read phase.
#[test]
fn fair_phases_alternate_and_admit_their_cohorts() {
    let mut s = Schedule::policy(LockPolicy::Fair);
    s.write("w1");
    s.write_phase(us(100), |s, n| {
        if n == 1 {
            s.read("r1");
            s.read("r2");
            s.write("w2");
            s.write("w3");
            s.read("r3");
        }
    });
    s.admit_reads();
    // r4 arrives during the read phase, with writes waiting: not admitted now.
    s.read("r4");
    s.admit_reads();
    s.finish_reads(us(50));
    s.write_phase(us(100), |_, _| {});
    s.admit_reads();
    s.finish_reads(us(50));
    assert_eq!(
        s.phases(),
        vec![
            (LockClass::Write, names(&["w1"])),
            (LockClass::Read, names(&["r1", "r2", "r3"])),
            (LockClass::Write, names(&["w2", "w3"])),
            (LockClass::Read, names(&["r4"])),
        ]
    );
}

/// `fair`, many random schedules: every request is admitted within two phases
/// of the one running when it arrived, and while both classes wait, no two
/// phases in a row are of the same class.
#[test]
fn fair_admits_every_request_within_two_phases() {
    let mut random = Xorshift(0x2545_f491_4f6c_dd1d);
    for _ in 0..200 {
        let mut s = Schedule::policy(LockPolicy::Fair);
        let mut arrivals = Arrivals::default();
        arrivals.arrive(&mut s, &mut random, 3);
        for _ in 0..30 {
            s.admit_reads();
            let k = random.below(4);
            arrivals.arrive(&mut s, &mut random, k);
            s.finish_reads(us(20 + random.below(100)));
            let hold = us(10 + random.below(50));
            let k = random.below(3);
            s.write_phase(hold, |s, n| {
                if n == 1 {
                    arrivals.arrive(s, &mut random, k);
                }
            });
        }
        // Drain without new arrivals.
        for _ in 0..10 {
            s.admit_reads();
            s.finish_reads(us(10));
            s.write_phase(us(10), |_, _| {});
        }
        for (name, arrived) in &arrivals.phase_at_arrival {
            let admitted = s.serial_of(name);
            // Phase `arrived` was open (or the last to close) when it arrived:
            // at most two more phases may open, the other class's and its own.
            assert!(
                admitted <= *arrived + 2,
                "{name} arrived in phase {arrived}, admitted in phase {admitted}: {:?}",
                s.events
            );
        }
    }
}

/// A fixed pseudo-random sequence (xorshift64), so a failure is reproducible.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random arrivals, and the number of phases seen when each arrived.
#[derive(Default)]
struct Arrivals {
    next: usize,
    phase_at_arrival: Vec<(String, u64)>,
}

impl Arrivals {
    fn arrive(&mut self, s: &mut Schedule, random: &mut Xorshift, k: u64) {
        for _ in 0..k {
            self.next += 1;
            let phase = s.admission.phases_opened();
            let name = if random.below(2) == 0 {
                format!("r{}", self.next)
            } else {
                format!("w{}", self.next)
            };
            if name.starts_with('r') {
                s.read(&name);
            } else {
                s.write(&name);
            }
            self.phase_at_arrival.push((name, phase));
        }
    }
}

/// `write-first`: writes run back to back while a stream of them keeps
/// arriving; a waiting read is admitted once it has waited the starvation bound,
/// at the first write boundary after it, and not before.
#[test]
fn write_first_bounds_how_long_a_read_starves() {
    let mut s = Schedule::new(AdmissionConfig {
        policy: LockPolicy::WriteFirst,
        starvation_bound: ms(10),
        batch_max: 1000,
        batch_time: ms(1000),
        ..AdmissionConfig::default()
    });
    s.write("w0");
    let mut n = 0;
    // Every write holds the lock 1 ms, and each brings another; the read
    // arrives while the first holds it.
    s.write_phase(ms(1), |s, ran| {
        if ran == 1 {
            s.read("r");
        }
        n += 1;
        s.write(&format!("w{n}"));
    });
    s.admit_reads();
    let waited = s.wait_of("r");
    assert!(
        waited >= ms(10) && waited <= ms(11),
        "waited {waited:?}: {:?}",
        s.phases()
    );
    // The writes ran back to back until then: the read arrived as the first
    // began, so ten of them (0 to 10 ms) in one phase.
    assert_eq!(s.phases()[0].1.len(), 10, "{:?}", s.phases());
    assert_eq!(s.phases()[1], (LockClass::Read, names(&["r"])));
}

/// `read-first`: reads keep being admitted past a waiting write until the
/// write has waited the starvation bound; then the write goes next.
#[test]
fn read_first_bounds_how_long_a_write_starves() {
    let mut s = Schedule::new(AdmissionConfig {
        policy: LockPolicy::ReadFirst,
        starvation_bound: ms(10),
        ..AdmissionConfig::default()
    });
    s.read("r0");
    s.admit_reads();
    s.write("w");
    // A new read every millisecond, each admitted while the previous one still
    // holds the lock, so the read phase never ends on its own.
    for i in 1..=20 {
        s.pass(ms(1));
        s.read(&format!("r{i}"));
        s.admit_reads();
        // The read before leaves; the new one (if admitted) keeps the phase open.
        s.reading.remove(0);
        assert!(s.admission.read_done(s.at(), false).is_none());
        if s.reading.is_empty() {
            break;
        }
    }
    s.finish_reads(us(1));
    s.write_phase(us(100), |_, _| {});
    let waited = s.wait_of("w");
    assert!(
        waited >= ms(10) && waited <= ms(11),
        "waited {waited:?}: {:?}",
        s.phases()
    );
    // Reads that arrived after the bound wait for the write.
    let phases = s.phases();
    assert_eq!(phases[1], (LockClass::Write, names(&["w"])), "{phases:?}");
}

/// `deadline`: writes run back to back, and the write phase stops before the
/// write that would make the oldest waiting read pass its target; a read that
/// has already waited past the target is admitted before the next write.
#[test]
fn deadline_admits_a_late_read_before_the_next_write() {
    let mut s = Schedule::new(AdmissionConfig {
        policy: LockPolicy::Deadline,
        max_read_wait: ms(2),
        batch_max: 1000,
        batch_time: ms(1000),
        ..AdmissionConfig::default()
    });
    // A steady stream of 250 µs writes; a read arrives during the second.
    s.write("w0");
    let mut n = 0;
    s.write_phase(us(250), |s, ran| {
        if ran == 2 {
            s.read("r1");
        }
        n += 1;
        s.write(&format!("w{n}"));
    });
    s.admit_reads();
    let waited = s.wait_of("r1");
    assert!(waited <= ms(2), "r1 waited {waited:?}: {:?}", s.phases());
    // Writes went on while the read could still wait.
    assert!(s.phases()[0].1.len() >= 8, "{:?}", s.phases());
    s.finish_reads(us(10));

    // One write holds the lock 5 ms: the read that arrived meanwhile is past
    // its target, and goes before the writes queued behind it.
    s.write_phase(us(100), |_, _| {});
    s.write("slow");
    s.write_phase(ms(5), |s, ran| {
        if ran == 1 {
            s.read("r2");
            s.write("after");
        }
    });
    s.admit_reads();
    s.finish_reads(us(10));
    s.write_phase(us(100), |_, _| {});
    // Both ran, the read first (a vacuous pass is impossible: both are looked up).
    assert!(s.serial_of("r2") < s.serial_of("after"), "{:?}", s.phases());
}

/// `rwlock`, the baseline: nothing is held back by a policy (the lock's own
/// order decides), and every write is one acquisition.
#[test]
fn rwlock_admits_everything_one_write_per_acquisition() {
    let mut s = Schedule::policy(LockPolicy::RwLock);
    s.write("w1");
    s.write("w2");
    s.read("r1");
    s.admit_reads();
    assert_eq!(s.wait_of("r1"), Duration::ZERO);
    let ran = s.write_phase(us(10), |_, _| {});
    assert_eq!(ran, 1);
    let ran = s.write_phase(us(10), |_, _| {});
    assert_eq!(ran, 1);
}

/// The batch bounds every phase, by count and by time, even with nobody else
/// waiting: a write phase's replies wait for its end.
#[test]
fn the_batch_bounds_a_write_phase() {
    let mut s = Schedule::new(AdmissionConfig {
        policy: LockPolicy::Fair,
        batch_max: 4,
        batch_time: ms(1),
        ..AdmissionConfig::default()
    });
    for i in 0..10 {
        s.write(&format!("w{i}"));
    }
    assert_eq!(s.write_phase(us(10), |_, _| {}), 4);
    // 300 µs writes: the fourth would start after the phase's 1 ms.
    assert_eq!(s.write_phase(us(300), |_, _| {}), 4);
    assert_eq!(s.write_phase(ms(2), |_, _| {}), 1);
    // A batch of one turns writer batching off.
    let mut s = Schedule::new(AdmissionConfig {
        batch_max: 1,
        ..AdmissionConfig::default()
    });
    s.write("a");
    s.write("b");
    assert_eq!(s.write_phase(us(10), |_, _| {}), 1);
}

/// The short paths on sessions' tasks never overtake anyone queued: a short
/// read is refused while a write waits, a short rehearsal while anyone waits
/// or holds the lock.
#[test]
fn short_paths_never_overtake_the_queue() {
    for policy in LockPolicy::ALL {
        let mut s = Schedule::policy(policy);
        assert!(s.admission.try_enter_read(s.at()), "{policy}");
        assert!(s.admission.read_done(s.at(), false).is_none());
        assert!(s.admission.try_enter_write(s.at()), "{policy}");
        s.admission.end_write(s.at());
        s.write("w");
        if policy != LockPolicy::RwLock {
            assert!(!s.admission.try_enter_read(s.at()), "{policy}");
        }
        assert!(!s.admission.try_enter_write(s.at()), "{policy}");
        s.write_phase(us(10), |_, _| {});
        s.read("r");
        assert!(
            !s.admission.try_enter_read(s.at()),
            "{policy}: a read is queued"
        );
        assert!(!s.admission.try_enter_write(s.at()), "{policy}");
    }
}

/// A session's task holding a write phase (its short write was admitted at once)
/// runs the writes queued meanwhile that it may run, as the writer thread would,
/// and stops at one it may not: that one and those after it are the writer
/// thread's next phase. The batch bounds the session's phase as any, a waiting
/// read ends it under `fair`, and the `rwlock` baseline, which has no phases,
/// runs one write per acquisition.
#[test]
fn a_session_holding_the_lock_runs_the_short_writes_queued_meanwhile() {
    let short = |w: &String| w.starts_with("short");
    for policy in LockPolicy::ALL {
        let mut s = Schedule::policy(policy);
        assert!(s.admission.try_enter_write(s.at()), "{policy}");
        for name in ["short 1", "short 2", "long", "short 3"] {
            s.write(name);
        }
        assert!(
            !s.admission.writer_may_wake(),
            "{policy}: the lock is taken"
        );
        let mut combined = Vec::new();
        s.pass(us(10));
        while let Some(next) = s.admission.continue_write(s.at(), us(10), short) {
            combined.push(next.job);
            s.pass(us(10));
        }
        s.admission.end_write(s.at());
        if policy == LockPolicy::RwLock {
            assert!(combined.is_empty(), "one write per acquisition");
            continue;
        }
        assert_eq!(combined, ["short 1", "short 2"], "{policy}");
        assert!(s.admission.writer_may_wake(), "{policy}");
        assert_eq!(
            s.write_phase(us(10), |_, _| {}),
            2,
            "{policy}: long, short 3"
        );
    }

    let mut s = Schedule::new(AdmissionConfig {
        batch_max: 2,
        ..AdmissionConfig::default()
    });
    assert!(s.admission.try_enter_write(s.at()));
    s.write("short 1");
    s.write("short 2");
    s.pass(us(10));
    let next = s.admission.continue_write(s.at(), us(10), short);
    assert_eq!(next.unwrap().job, "short 1", "the second of a batch of two");
    assert!(s.admission.continue_write(s.at(), us(10), short).is_none());
    s.admission.end_write(s.at());

    let mut s = Schedule::policy(LockPolicy::Fair);
    assert!(s.admission.try_enter_write(s.at()));
    s.write("short 1");
    s.read("r");
    assert!(
        s.admission.continue_write(s.at(), us(10), short).is_none(),
        "a read waits, and the write came after the phase opened"
    );
    s.admission.end_write(s.at());
    s.admit_reads();
    assert_eq!(s.reading, ["r"]);
}

/// A full queue refuses (53000 upstream); a closed one refuses new requests but
/// still runs what it holds; the queue lengths are in the metrics.
#[test]
fn queues_are_bounded_and_closing_drains_them() {
    let metrics = Arc::new(LockMetrics::new(LockPolicy::Fair, Duration::from_secs(60)));
    let mut admission: Admission<u32, u32> =
        Admission::new(AdmissionConfig::default(), 2, metrics.clone());
    let now = Instant::now();
    // A write holds the lock, so reads queue.
    admission.push_write(0, now).unwrap();
    assert!(admission.begin_write().is_some());
    admission.push_read(1, now).unwrap();
    admission.push_read(2, now).unwrap();
    assert_eq!(admission.push_read(3, now), Err(Refusal::Full));
    let queued: Vec<usize> = metrics.phase_stats().iter().map(|p| p.queued).collect();
    assert_eq!(queued, vec![2, 0]);
    admission.close_queues();
    assert_eq!(admission.push_write(4, now), Err(Refusal::Closed));
    assert!(!admission.reads_finished());
    admission.end_write(now);
    assert_eq!(admission.admit_read(now).map(|q| q.job), Some(1));
    assert_eq!(admission.admit_read(now).map(|q| q.job), Some(2));
    assert!(admission.reads_finished());
}

/// A write withdrawn while queued leaves the queue and holds back nothing: under
/// `fair` a read queued behind it is admitted into the running read phase at
/// once, and a write phase opened for it alone closes, so that the reads waiting
/// for that phase go on. A write already taken to run cannot be withdrawn.
#[test]
fn a_withdrawn_write_holds_back_nothing() {
    let metrics = Arc::new(LockMetrics::new(LockPolicy::Fair, Duration::from_secs(60)));
    let mut admission: Admission<u32, u32> = Admission::new(AdmissionConfig::default(), 8, metrics);
    let now = Instant::now();
    // A long read holds the lock; a write and then a read queue behind it.
    assert!(admission.try_enter_read(now));
    let write = admission.push_write(10, now).unwrap();
    admission.push_read(1, now).unwrap();
    assert!(
        admission.admit_read(now).is_none(),
        "the read waits behind the write"
    );
    assert_eq!(admission.withdraw_write(write, now), Some(10));
    assert_eq!(admission.admit_read(now).map(|q| q.job), Some(1));
    assert_eq!(admission.withdraw_write(write, now), None, "withdrawn once");
    admission.read_done(now, false);
    admission.read_done(now, false);

    // The read ends, a write phase opens for the write queued meanwhile; the
    // read queued after it waits for that phase, until the write is withdrawn.
    assert!(admission.try_enter_read(now));
    let write = admission.push_write(20, now).unwrap();
    admission.read_done(now, false);
    admission.push_read(2, now).unwrap();
    assert!(admission.admit_read(now).is_none(), "a write phase is open");
    assert_eq!(admission.withdraw_write(write, now), Some(20));
    assert_eq!(admission.admit_read(now).map(|q| q.job), Some(2));
    admission.read_done(now, false);

    // Taken to run, a write is no longer in the queue to withdraw.
    let write = admission.push_write(30, now).unwrap();
    assert_eq!(admission.begin_write().map(|q| q.job), Some(30));
    assert_eq!(admission.withdraw_write(write, now), None);
    admission.end_write(now);
}
