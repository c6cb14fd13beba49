//! Shared by the CLI tests: the built `doorman` binary, run from the
//! repository root as a user runs it, and what it printed.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The repository root: fixture paths in the tests are relative to it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `doorman ARGS` in the repository root. `NO_COLOR` is removed so a
/// test sees the colour decision the binary makes on its own.
pub fn doorman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run doorman")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit status")
}

/// `doorman SUBCOMMAND --format json ARGS`: the exit status and the JSON
/// it printed (the test fails, showing both streams, when it is not JSON).
pub fn json_of(subcommand: &str, args: &[&str]) -> (i32, Value) {
    let mut all = vec![subcommand, "--format", "json"];
    all.extend_from_slice(args);
    let o = doorman(&all);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (code(&o), v)
}
