//! The `doorman` command line: argument parsing and dispatch. Each subcommand
//! lives in its own file; all judging happens in the library.
//!
//! Exit status (as ripgrep): 0 nothing at or above `--min-severity`,
//! 1 findings, 2 usage or input error. A closed stdout (`| head`) is not an error.

pub mod audit;
pub mod completions;
pub mod explain;
pub mod lint;
pub mod man;
pub mod managed_policies;
pub mod replay;
pub mod tighten;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit status: no finding at or above the minimum severity.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: usage or input error.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "doorman",
    version,
    about = "Least-privilege guardrail for both doors of every AWS Lambda function"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check IAM policy files and SAM / CloudFormation templates.
    Lint(lint::LintArgs),
    /// Explain a rule: why it matters, an example that fires, the fix.
    Explain(explain::ExplainArgs),
    /// Run the Lambda pipeline offline on CloudTrail event files and print
    /// the alerts it would publish.
    Replay(replay::ReplayArgs),
    /// Audit an account: both doors of every function, every role, user and
    /// group, from the AWS CLI's JSON outputs.
    Audit(audit::AuditArgs),
    /// Tighten roles from CloudTrail: used and unused permissions, the
    /// narrowest working policy, and the fix behind each AccessDenied.
    Tighten(tighten::TightenArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), e.g. `doorman man > doorman.1`.
    Man(man::ManArgs),
    /// Write the built-in AWS managed policies to a folder (for scripts/bench).
    #[command(hide = true)]
    ManagedPolicies(managed_policies::ManagedPoliciesArgs),
}

pub fn main(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Lint(args) => lint::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Tighten(args) => tighten::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::ManagedPolicies(args) => managed_policies::run(args),
    };
    ExitCode::from(code)
}

/// Writes `text` to stdout. A reader that went away (`doorman lint . | head`)
/// is not an error: the output is simply no longer wanted.
/// Writes a page (an explanation, a man page, a completion script) to
/// stdout: exit status 0, or 2 with the reason when stdout cannot be written.
pub fn print_page(text: &str) -> u8 {
    match write_stdout(text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => {
            eprintln!("doorman: cannot write: {e}");
            EXIT_ERROR
        }
    }
}

pub fn write_stdout(text: &str) -> std::io::Result<()> {
    write_stdout_with(|out| out.write_all(text.as_bytes()))
}

/// [`write_stdout`] for output written in parts by `write`.
pub fn write_stdout_with(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
