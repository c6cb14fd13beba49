//! `doorman managed-policies --write DIR` (hidden): writes every AWS managed
//! policy doorman carries as `<PolicyName>.json`, for tools that take files:
//! `scripts/bench` lints them with doorman and parliament side by side.
//! Hidden because it serves the project's own scripts, not users' checks.
use super::{EXIT_CLEAN, EXIT_ERROR};
use crate::catalog::managed;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ManagedPoliciesArgs {
    /// The folder to write `<PolicyName>.json` files into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub write: PathBuf,
}

pub fn run(args: ManagedPoliciesArgs) -> u8 {
    match managed::write_documents(&args.write) {
        Ok(n) => {
            eprintln!(
                "{n} AWS managed policies ({} {}) written to {}",
                managed::SOURCE_PACKAGE,
                managed::SOURCE_VERSION,
                args.write.display()
            );
            EXIT_CLEAN
        }
        Err(e) => {
            eprintln!("doorman: cannot write to {}: {e}", args.write.display());
            EXIT_ERROR
        }
    }
}
