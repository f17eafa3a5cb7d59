//! A SID scan as evidence: every target asked, a bounded number at a time, each answer an
//! input (`lsarpc://HOST`) with its identity fact, each host that gave none an input with
//! the reason. The sink gets them in the order the targets were given, whatever order the
//! answers come in, so the same targets give the same store and the same report.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kizuna_core::{Fact, FactSource, Ingest, InputKind, InputReport, Timestamp};
use sha2::{Digest, Sha256};

use crate::targets::Targets;
use crate::{Answer, Credentials, Failure, SMB_PORT, identity};

/// How a sweep asks.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub targets: Targets,
    pub credentials: Credentials,
    /// 445 but for tests.
    pub port: u16,
    /// Per step of one host's query: a dead host costs at most this.
    pub timeout: Duration,
    /// Hosts asked at once.
    pub concurrency: usize,
    /// Counters for a progress line.
    pub progress: Arc<SweepProgress>,
}

/// The default number of hosts asked at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

impl Sweep {
    /// A sweep of `targets` with the defaults: port 445, 32 at once.
    pub fn new(targets: Targets, credentials: Credentials, timeout: Duration) -> Sweep {
        Sweep {
            targets,
            credentials,
            port: SMB_PORT,
            timeout,
            concurrency: DEFAULT_CONCURRENCY,
            progress: Arc::default(),
        }
    }
}

/// What a sweep has done so far, for a progress line.
#[derive(Debug, Default)]
pub struct SweepProgress {
    total: AtomicU64,
    answered: AtomicU64,
    failed: AtomicU64,
}

/// A reading of [`SweepProgress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepSnapshot {
    pub total: u64,
    pub answered: u64,
    pub failed: u64,
}

impl SweepProgress {
    pub fn snapshot(&self) -> SweepSnapshot {
        SweepSnapshot {
            total: self.total.load(Ordering::Relaxed),
            answered: self.answered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// One host's outcome, waiting for its turn to reach the sink.
struct Done {
    host: String,
    result: Result<Answer, Failure>,
    at: Timestamp,
}

impl FactSource for Sweep {
    fn read_into<S: Ingest>(&self, sink: &mut S) -> Result<(), S::Error> {
        self.progress
            .total
            .store(self.targets.len(), Ordering::Relaxed);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build();
        match runtime {
            Ok(rt) => rt.block_on(self.ask_all(sink)),
            // No runtime, no query: every host says why.
            Err(e) => {
                let why = Failure::Smb(format!("cannot start the SMB runtime: {e}"));
                for host in self.targets.iter() {
                    self.deliver(sink, done(host, Err(why.clone())))?;
                }
                Ok(())
            }
        }
    }
}

fn done(host: String, result: Result<Answer, Failure>) -> Done {
    Done {
        host,
        result,
        at: kizuna_core::time::now(),
    }
}

impl Sweep {
    async fn ask_all<S: Ingest>(&self, sink: &mut S) -> Result<(), S::Error> {
        let at_once = self.concurrency.max(1);
        // Answers wait here for the hosts given before them; no host is started more than
        // this far ahead of the oldest unanswered one, so memory stays bounded.
        let window = at_once * 4;
        let mut hosts = self.targets.iter().enumerate();
        let mut tasks = tokio::task::JoinSet::new();
        let mut asked: HashMap<tokio::task::Id, (usize, String)> = HashMap::new();
        let mut waiting: BTreeMap<usize, Done> = BTreeMap::new();
        let (mut next, mut started) = (0usize, 0usize);
        loop {
            while tasks.len() < at_once && started < next + window {
                let Some((i, host)) = hosts.next() else {
                    break;
                };
                started += 1;
                let (credentials, port, timeout) =
                    (self.credentials.clone(), self.port, self.timeout);
                let h = host.clone();
                let task = tasks.spawn(async move {
                    let result = crate::pipe::query(&h, port, &credentials, timeout).await;
                    done(h, result)
                });
                asked.insert(task.id(), (i, host));
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (id, outcome) = match joined {
                Ok((id, d)) => (id, d),
                // A query that panicked is that host's failure, not the scan's.
                Err(e) => {
                    let host = asked.get(&e.id()).map(|a| a.1.clone()).unwrap_or_default();
                    let why = Failure::Smb(format!("the query stopped: {e}"));
                    (e.id(), done(host, Err(why)))
                }
            };
            if let Some((i, _)) = asked.remove(&id) {
                waiting.insert(i, outcome);
            }
            while let Some(d) = waiting.remove(&next) {
                self.deliver(sink, d)?;
                next += 1;
            }
        }
        Ok(())
    }

    /// One host's input: its answer and identity fact, or why it gave none.
    fn deliver<S: Ingest>(&self, sink: &mut S, d: Done) -> Result<(), S::Error> {
        let path = format!("lsarpc://{}", d.host);
        let answer = match d.result {
            Ok(a) => a,
            Err(why) => {
                self.progress.failed.fetch_add(1, Ordering::Relaxed);
                let mut report = InputReport::new(path, InputKind::Lsarpc, String::new(), 0);
                report.error(format!("{}: {why}", why.reason()));
                report.settle();
                return sink.finish(report);
            }
        };
        self.progress.answered.fetch_add(1, Ordering::Relaxed);
        let fingerprint = fingerprint(&d.host, &answer, d.at);
        if let Some(mut earlier) = sink.known(&fingerprint)? {
            earlier.path = path;
            return sink.finish(earlier);
        }
        let mut report = InputReport::new(path, InputKind::Lsarpc, fingerprint.clone(), 0);
        report.records = 1;
        match identity(&d.host, &answer, d.at) {
            Some(fact) => {
                sink.facts(&fingerprint, vec![Fact::Identity(fact)])?;
                report.kept = 1;
            }
            None => report.notes.push(format!(
                "a domain controller of {} asked by its address: the domain's SID it answers names no computer (ask it by name)",
                answer.primary.name
            )),
        }
        sink.finish(report)
    }
}

/// What identifies an answer as content: the host asked, what it said, and when.
fn fingerprint(host: &str, a: &Answer, at: Timestamp) -> String {
    let text = format!(
        "lsarpc\n{host}\n{}\n{}\n{}\n{}\n{}\n",
        a.account.name,
        a.account.sid.as_deref().unwrap_or(""),
        a.primary.name,
        a.primary.sid.as_deref().unwrap_or(""),
        at.to_rfc3339()
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::input::sinks::Collect;
    use kizuna_core::{InputStatus, Secret};
    use kizuna_testbed::sid_hosts::{PASSWORD, SidHosts, USER};

    const A: &str = "S-1-5-21-1111111111-2222222222-3333333335";
    const B: &str = "S-1-5-21-1111111111-2222222222-3333333336";

    #[test]
    fn every_target_once_in_the_order_given_with_facts_or_reasons() {
        let set = SidHosts::start(&[A, B, A]).unwrap();
        let mut targets = Targets::default();
        // the silent address first: the others must not wait for it to be reported after it
        for t in [&set.silent, &set.hosts[2].ip, &set.closed]
            .into_iter()
            .chain([&set.hosts[0].ip, &set.hosts[1].ip])
        {
            targets.add(t).unwrap();
        }
        targets.add("no-such-host.invalid").unwrap();
        let mut sweep = Sweep::new(
            targets,
            Credentials::User {
                name: USER.into(),
                password: Secret::new(PASSWORD.to_string()),
            },
            Duration::from_secs(3),
        );
        sweep.concurrency = 2;
        let mut sink = Collect::default();
        let started = std::time::Instant::now();
        sweep.read_into(&mut sink).unwrap();
        // the silent host costs one timeout, not one per host behind it
        assert!(
            started.elapsed() < Duration::from_secs(9),
            "{:?}",
            started.elapsed()
        );
        let paths: Vec<&str> = sink.reports.iter().map(|r| r.path.as_str()).collect();
        let expected: Vec<String> = [
            &set.silent,
            &set.hosts[2].ip,
            &set.closed,
            &set.hosts[0].ip,
            &set.hosts[1].ip,
        ]
        .iter()
        .map(|h| format!("lsarpc://{h}"))
        .chain(["lsarpc://no-such-host.invalid".to_string()])
        .collect();
        assert_eq!(paths, expected);
        let reason = |i: usize| {
            sink.reports[i].errors[0]
                .split(':')
                .next()
                .unwrap()
                .to_string()
        };
        assert!(
            matches!(reason(0).as_str(), "timeout" | "no-route"),
            "{:?}",
            sink.reports[0]
        );
        assert_eq!(reason(2), "port-closed");
        assert_eq!(reason(5), "name");
        for i in [0, 2, 5] {
            assert_eq!(sink.reports[i].status, InputStatus::Error);
            assert_eq!(sink.reports[i].kind, InputKind::Lsarpc);
        }
        // the three answers, each one identity fact under its own fingerprint
        let answered: Vec<_> = sink
            .reports
            .iter()
            .filter(|r| r.status == InputStatus::Ok)
            .collect();
        assert_eq!(answered.len(), 3);
        assert!(
            answered
                .iter()
                .all(|r| r.records == 1 && r.kept == 1 && r.fingerprint.len() == 64)
        );
        let sids: Vec<(String, String)> = sink
            .facts
            .iter()
            .map(|(_, f)| match f {
                Fact::Identity(r) => (
                    r.device.as_ref().unwrap().to_string(),
                    r.machine_sid.as_ref().unwrap().to_string(),
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            sids,
            [
                ("SIDHOST3".to_string(), A.to_string()),
                ("SIDHOST1".to_string(), A.to_string()),
                ("SIDHOST2".to_string(), B.to_string()),
            ]
        );
        assert_eq!(
            sweep.progress.snapshot(),
            SweepSnapshot {
                total: 6,
                answered: 3,
                failed: 3
            }
        );
    }
}
