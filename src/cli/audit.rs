//! `doorman audit`: argument parsing and printing around [`crate::audit`].
use super::lint::{config_options, parse_account, parse_rule, parse_severity, OutputFormat};
use super::{write_stdout, EXIT_ERROR};
use crate::audit::{self, html, output};
use crate::lint::Options;
use crate::report::log_safe;
use crate::rules::{RuleId, Severity};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_long_help = LAYOUT)]
pub struct AuditArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also write the report as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Report only findings at or above this severity
    /// (critical, high, medium, low, info) [default: low].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
    /// Do not report this rule (repeatable); `doorman explain` lists the ids.
    #[arg(long, value_name = "RULE", value_parser = parse_rule)]
    pub ignore: Vec<RuleId>,
    /// The audited account id [default: read from the inventory's ARNs].
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub account: Option<String>,
    /// Settings file, as for `doorman lint` (`doorman.toml` in the current
    /// folder when there is one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the account through the AWS SDK (default credentials, Region
    /// and `AWS_ENDPOINT_URL`) into DIR, in the layout below, then audit it.
    #[cfg(feature = "aws")]
    #[arg(long, value_name = "DIR", conflicts_with = "live")]
    pub collect: Option<PathBuf>,
    /// Audit the account through the AWS SDK: `--collect` into a
    /// temporary folder, audited and removed.
    #[cfg(feature = "aws")]
    #[arg(long)]
    pub live: bool,
    /// With `--live` / `--collect`: a Region whose functions to read
    /// (repeatable) [default: the configured Region].
    #[cfg(feature = "aws")]
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Folders or files of AWS CLI JSON outputs (see the layout below).
    #[cfg_attr(feature = "aws", arg(required_unless_present_any = ["collect", "live"]))]
    #[cfg_attr(not(feature = "aws"), arg(required = true))]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// A new, empty folder for `--live` (never one left by another run).
#[cfg(feature = "aws")]
fn fresh_temp_dir() -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    for n in 0..1000 {
        let dir = base.join(format!("doorman-audit-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create a folder in {}: {e}", base.display())),
        }
    }
    Err(format!("cannot create a new folder in {}", base.display()))
}

/// With `--live` or `--collect DIR`: reads the account into a folder and
/// returns it, with whether it is a temporary one to remove.
#[cfg(feature = "aws")]
fn collect(args: &AuditArgs) -> Result<Option<(PathBuf, bool)>, String> {
    let (dir, temporary) = match (&args.collect, args.live) {
        (Some(dir), _) => (dir.clone(), false),
        (None, true) => (fresh_temp_dir()?, true),
        (None, false) => return Ok(None),
    };
    match crate::resolve::collect::collect_default(&args.regions, &dir) {
        Ok(c) => {
            eprintln!(
                "doorman: collected {} roles and {} functions into {} files under {}",
                c.roles,
                c.functions,
                c.files,
                log_safe(&dir.display().to_string())
            );
            Ok(Some((dir, temporary)))
        }
        Err(e) => {
            if temporary {
                let _ = std::fs::remove_dir_all(&dir);
            }
            Err(format!("cannot read the account: {e}"))
        }
    }
}

const LAYOUT: &str = "\
Inputs are recognised by content, not by name: any *.json under the folders.
  get-account-authorization-details (whole or one file per page)
  lambda list-functions, list-event-source-mappings, list-function-url-configs
  or get-function-url-config,
  lambda get-policy (one file per function; the statements name it, or the
  file is named <FunctionName>.json), get-layer-version-policy
A folder with only the authorization details is valid: the report says the
Lambda inventory was not provided. README \"Audit an account\" has a script
that collects the folder with the AWS CLI.";

/// The settings `audit` shares with `lint` (config file, then flags).
fn options(args: &AuditArgs) -> Result<Options, String> {
    config_options(
        args.config.as_deref(),
        args.min_severity,
        &args.ignore,
        args.account.as_deref(),
    )
}

pub fn run(args: AuditArgs) -> u8 {
    let opts = match options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("doorman: {}", log_safe(&e));
            return EXIT_ERROR;
        }
    };
    #[allow(unused_mut)]
    let mut paths = args.paths.clone();
    #[cfg(feature = "aws")]
    let collected = match collect(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("doorman: {}", log_safe(&e));
            return EXIT_ERROR;
        }
    };
    #[cfg(feature = "aws")]
    if let Some((dir, _)) = &collected {
        paths.insert(0, dir.clone());
    }
    let audit::Loaded {
        inventory,
        errors,
        skipped,
        notes,
    } = audit::load(&paths);
    #[cfg(feature = "aws")]
    if let Some((dir, true)) = &collected {
        let _ = std::fs::remove_dir_all(dir);
    }
    let mut report = audit::judge(&inventory, &opts);
    report.errors = errors;
    report.skipped = skipped.len();
    report.notes.extend(notes);
    let mut status = report.exit_status();
    if let Some(path) = &args.html {
        if let Err(e) = std::fs::write(path, html::page(&report)) {
            eprintln!(
                "doorman: cannot write the HTML report to {}: {e}",
                log_safe(&path.display().to_string())
            );
            status = EXIT_ERROR;
        }
    }
    let out = match args.format {
        // Two columns fit the width the shell says (`COLUMNS`), else 100.
        OutputFormat::Text => output::text_width(
            &report,
            output::width_from(std::env::var("COLUMNS").ok().as_deref()),
        ),
        OutputFormat::Json => output::json(&report),
        OutputFormat::Sarif => output::sarif(&report),
    };
    let status = match write_stdout(&out) {
        Ok(()) => status,
        Err(e) => {
            eprintln!("doorman: cannot write the report: {e}");
            EXIT_ERROR
        }
    };
    // The process ends here: freeing a large account's millions of small
    // allocations one by one would cost more than judging it.
    std::mem::forget((inventory, report, out));
    status
}
