//! `doorman lint`: argument parsing and printing around [`crate::lint`].
use super::{write_stdout_with, EXIT_ERROR};
use crate::lint::{lint_run, Options, Summary, CONFIG_FILE};
use crate::report::{self, Format};
use crate::rules::{PolicyKind, RuleId, Severity};
use std::io::IsTerminal;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One line per finding and its fix, for a terminal.
    Text,
    /// One JSON document (`{"version": 1, "results": [...], "skipped": N}`),
    /// for scripts.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Report only findings at or above this severity
    /// (critical, high, medium, low, info) [default: low].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
    /// Do not report this rule (repeatable); `doorman explain` lists the ids.
    #[arg(long, value_name = "RULE", value_parser = parse_rule)]
    pub ignore: Vec<RuleId>,
    /// Judge policy files as this kind instead of detecting it from their
    /// content (permission, trust, resource).
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<PolicyKind>,
    /// Your AWS account id: principals of this account are not "another
    /// account".
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub account: Option<String>,
    /// Settings file (`min-severity`, `ignore`, `account`); without it,
    /// `doorman.toml` in the current folder is read if there is one.
    /// Options given here win over the file; `--ignore` adds to its list.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Policy JSON files, templates, or folders (every `*.json` inside, and
    /// the templates among `*.yaml`/`*.yml`/`*.template`); `-` reads stdin.
    ///
    /// A file named here must be a policy or a template; anything else is an
    /// error. In a folder, JSON that is neither (`package.json`,
    /// `tsconfig.json`, CloudTrail or sample events) is skipped and counted
    /// in the summary, YAML that is not a template (CI workflows) is passed
    /// over, and hidden and `.gitignore`d files are not read. A file that
    /// looks like a template or policy but does not parse is an error, never
    /// skipped; a folder with nothing to check is an error. Symbolic links
    /// are followed (loops are reported). FIFOs, devices and inputs over
    /// 10 MiB (standard input included) are refused: no policy or template
    /// comes near that size.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,
}

pub(super) fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

pub(super) fn parse_rule(s: &str) -> Result<RuleId, String> {
    s.parse()
}

fn parse_kind(s: &str) -> Result<PolicyKind, String> {
    s.parse()
}

pub(super) fn parse_account(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not an AWS account id; it has 12 digits, e.g. `111122223333`"
        ))
    }
}

pub fn run(args: LintArgs) -> u8 {
    let opts = match options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("doorman: {}", report::log_safe(&e));
            return EXIT_ERROR;
        }
    };
    let run = lint_run(&args.paths, &opts);
    let format = match args.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
    };
    let color = format == Format::Text && use_color();
    let status = Summary::of_run(&run).exit_status();
    let written = write_stdout_with(|out| report::write_run(&run, format, color, out));
    // The process ends next: freeing a folder's thousands of results one
    // allocation at a time would only delay the exit (a serial 5% of a
    // corpus lint).
    std::mem::forget(run);
    match written {
        Ok(()) => status,
        Err(e) => {
            eprintln!("doorman: cannot write the report: {e}");
            EXIT_ERROR
        }
    }
}

/// The options of a run: the config file's (explicit, or `doorman.toml`
/// in the current folder), overridden by the command line.
fn options(args: &LintArgs) -> Result<Options, String> {
    let mut opts = config_options(
        args.config.as_deref(),
        args.min_severity,
        &args.ignore,
        args.account.as_deref(),
    )?;
    opts.kind = args.kind;
    Ok(opts)
}

/// The settings `lint` and `audit` share: the config file's (explicit, or
/// `doorman.toml` in the current folder), overridden by the command line;
/// `ignore` adds to the file's list.
pub(super) fn config_options(
    config: Option<&Path>,
    min_severity: Option<Severity>,
    ignore: &[RuleId],
    account: Option<&str>,
) -> Result<Options, String> {
    let default_file = Path::new(CONFIG_FILE);
    let mut opts = match config {
        Some(path) => Options::from_config_file(path)?,
        None if default_file.is_file() => Options::from_config_file(default_file)?,
        None => Options::default(),
    };
    if let Some(s) = min_severity {
        opts.min_severity = s;
    }
    for rule in ignore {
        if !opts.ignore.contains(rule) {
            opts.ignore.push(*rule);
        }
    }
    if let Some(account) = account {
        opts.account_id = Some(account.to_string());
    }
    Ok(opts)
}

/// Colour for a terminal, unless `NO_COLOR` is set (no-color.org).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
