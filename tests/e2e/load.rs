//! 1,000 events through the Runtime API in one test: every expected alert
//! reaches SQS exactly once per event id, and nothing else does.
//!
//! Throughput is printed (events per second, whole path: runtime, SDK calls
//! to the emulator, publish, SQS delivery). It is a report, not an
//! assertion: speed is measured by benchmarks, not by timed tests.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::events::{self, event_id};
use crate::runtime::Outcome;
use crate::setup::{self, Stack};

const EVENTS: usize = 1_000;
/// Warm execution environments polling the runtime, as Lambda runs
/// several when events arrive faster than one handles them.
const PROCESSES: usize = 2;

#[tokio::test]
async fn a_thousand_events_alert_exactly_once_each() {
    let mut s = Stack::start_with("load", &[], PROCESSES).await;
    let role = setup::create_role(&s.aws, "load-role", &[]).await;
    let admin = setup::create_policy(&s.aws, "load-everything", &setup::admin_document()).await;
    setup::attach_role_policy(&s.aws, "load-role", &admin).await;
    setup::create_function(&s.aws, "load-fn", &role).await;
    let statement = setup::add_permission(&s.aws, "load-fn", "anyone", "*").await;

    // Four kinds in turn: three alert (fetching a managed policy, an inline
    // document, a resource policy), one is benign.
    let mut expected = BTreeSet::new();
    let mut benign = BTreeSet::new();
    let batch: Vec<Value> = (0..EVENTS)
        .map(|i| {
            let (event, alerts) = match i % 4 {
                0 => (events::attach_role_policy("load-role", &admin), true),
                1 => (
                    events::put_role_policy("load-role", "all", &setup::admin_document()),
                    true,
                ),
                2 => (
                    events::add_permission("load-fn", "anyone", "*", &statement),
                    true,
                ),
                _ => (
                    events::put_role_policy("load-role", "read", &setup::read_one_table_document()),
                    false,
                ),
            };
            if alerts {
                expected.insert(event_id(&event));
            } else {
                benign.insert(event_id(&event));
            }
            event
        })
        .collect();

    // The queue is read while the events run: moto answers a receive in
    // tens of milliseconds, too slow to leave 750 alerts for the end.
    let reader = {
        let queue = s.alerts.clone();
        let n = expected.len();
        tokio::spawn(async move {
            queue
                .receive_until(
                    |a| a.len() >= n,
                    Duration::from_secs(15),
                    Duration::from_secs(180),
                )
                .await
        })
    };

    let started = Instant::now();
    let mut pending: Vec<_> = batch.iter().map(|e| s.function.enqueue(e)).collect();
    let mut failed = Vec::new();
    for p in &mut pending {
        if let Outcome::Error { body, .. } = s.function.wait(p).await {
            failed.push(body);
        }
    }
    let elapsed = started.elapsed();
    assert!(
        failed.is_empty(),
        "{} invocation(s) failed, first: {}",
        failed.len(),
        failed[0]
    );
    let rate = EVENTS as f64 / elapsed.as_secs_f64();
    eprintln!(
        "e2e load: {EVENTS} events answered in {:.2} s over {PROCESSES} processes = {rate:.0} events/s",
        elapsed.as_secs_f64()
    );

    let mut alerts = reader.await.expect("the SQS reader task");
    // A duplicate would already be queued; one more look catches it.
    alerts.extend(s.alerts.drain(Duration::from_millis(500)).await);
    eprintln!(
        "e2e load: {} alerts read from SQS {:.2} s after the first event",
        alerts.len(),
        started.elapsed().as_secs_f64()
    );
    let mut per_event: BTreeMap<String, usize> = BTreeMap::new();
    for alert in &alerts {
        *per_event.entry(alert.event_id().to_owned()).or_default() += 1;
    }
    let duplicates: Vec<_> = per_event.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "alerted more than once: {duplicates:?}"
    );
    let got: BTreeSet<String> = per_event.into_keys().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    assert!(
        missing.is_empty(),
        "{} expected alert(s) missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let unexpected: Vec<_> = got.difference(&expected).collect();
    assert!(
        unexpected.is_empty(),
        "alerts for benign or unknown events: {unexpected:?}"
    );
    assert!(benign.is_disjoint(&got));
    assert_eq!(alerts.len(), expected.len());
    assert!(s.function.runtime.stray_answers().is_empty());
    assert_eq!(s.function.runtime.delivered(), EVENTS as u64);
}
