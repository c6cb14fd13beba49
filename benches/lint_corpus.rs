//! Lints every AWS managed policy doorman carries (the built-in set, written
//! out to `target/managed-policies`, one file per policy) in one process, as `doorman lint --format json <folder>` does: reading,
//! parsing, judging, locating and rendering (SPEC §8).
//!
//! Run: `cargo bench --bench lint_corpus`. The median is criterion's
//! "time" middle value.

use criterion::{criterion_group, criterion_main, Criterion};
use doorman::lint::{lint_paths, Options};
use doorman::report::{render, Format};
use std::path::PathBuf;
use std::time::Duration;

/// The built-in AWS managed policies, written out as one file per policy
/// under `target/managed-policies` (nothing outside the repository).
fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/managed-policies");
    match doorman::catalog::managed::write_documents(&dir) {
        Ok(_) => dir,
        Err(e) => {
            eprintln!("lint_corpus: cannot write {}: {e}", dir.display());
            std::process::exit(2);
        }
    }
}

fn lint_corpus(c: &mut Criterion) {
    let dir = corpus();
    let opts = Options::default();
    let results = lint_paths(&[&dir], &opts);
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    assert_eq!(errors, 0, "the corpus must lint without error results");
    eprintln!("lint_corpus: {} files per iteration", results.len());

    let mut group = c.benchmark_group("lint_corpus");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("aws-managed-policies, json", |b| {
        b.iter(|| {
            let results = lint_paths(&[&dir], &opts);
            render(&results, Format::Json, false).len()
        })
    });
    group.finish();
}

criterion_group!(benches, lint_corpus);
criterion_main!(benches);
