//! What the `tighten_*` tests share: fixture paths, scratch folders, and
//! reading the files of a trail.
#![allow(dead_code)] // each test binary uses its own part

use std::io::Read;
use std::path::{Path, PathBuf};

pub fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tighten")
        .join(p)
}

/// A fresh, empty scratch folder for one test.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("doorman-tighten-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `root`, sorted.
pub fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The JSON a log file holds, gunzipped when it is gzip.
pub fn json_bytes(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut v = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut v)
            .unwrap();
        v
    } else {
        raw
    }
}
