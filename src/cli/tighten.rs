//! `doorman tighten`: CloudTrail evidence → used and unused permissions, the
//! narrowest working policy, and the fix behind each AccessDenied
//! (SPEC §13). Argument parsing only; the work is in [`crate::tighten`].

use super::{write_stdout, EXIT_ERROR};
use crate::tighten::{current, render, Current, Options, Tightener};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The report, for a person.
    Text,
    /// The whole report as JSON, the proposed policy as a document.
    Json,
    /// Only the proposed policy document (one role).
    Policy,
    /// Only the proposed statements as SAM `Policies` YAML (one role).
    Sam,
}

#[derive(Debug, clap::Args)]
pub struct TightenArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The role to tighten, by ARN or name (repeatable). Without it: every
    /// role whose sessions appear and whose trust policy lets Lambda assume
    /// it (known from --audit).
    #[arg(long, value_name = "ARN|NAME")]
    pub role: Vec<String>,
    /// The role's current policy documents (JSON files; repeatable).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["audit", "template"])]
    pub policy: Vec<PathBuf>,
    /// An audit folder (the layout `doorman audit` reads) or just its
    /// `aws iam get-account-authorization-details` output: every role's
    /// policies, trust and permissions boundary.
    #[arg(long, value_name = "DIR|FILE", conflicts_with = "template")]
    pub audit: Option<PathBuf>,
    /// A SAM / CloudFormation template holding the role's policies; with
    /// --logical-id (a role or a function).
    #[arg(long, value_name = "FILE", requires = "logical_id")]
    pub template: Option<PathBuf>,
    /// The logical id of the role or function in --template.
    #[arg(long, value_name = "ID", requires = "template")]
    pub logical_id: Option<String>,
    /// CloudTrail evidence: log files (`.json.gz` or `.json`, `{"Records":
    /// [...]}`), EventBridge events, JSON lines; folders recursively.
    #[arg(required = true, value_name = "EVIDENCE")]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: TightenArgs) -> u8 {
    let current = match load_current(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("doorman tighten: {}", crate::report::log_safe(&e));
            return EXIT_ERROR;
        }
    };
    let mut t = Tightener::new(Options {
        roles: args.role.clone(),
        current,
    });
    t.read_paths(&args.paths);
    let report = t.finish();
    let out = match args.format {
        OutputFormat::Text => Ok(render::text(&report)),
        OutputFormat::Json => Ok(render::json(&report)),
        OutputFormat::Policy => render::policy(&report),
        OutputFormat::Sam => render::sam(&report),
    };
    match out {
        Ok(text) => {
            if let Err(e) = write_stdout(&text) {
                eprintln!("doorman: cannot write: {e}");
                return EXIT_ERROR;
            }
            // A bare document on stdout: the errors and the limits of the
            // evidence it was made from go to stderr, so they are still seen.
            if !matches!(args.format, OutputFormat::Text | OutputFormat::Json) {
                for e in &report.errors {
                    eprintln!("doorman tighten: {}", crate::report::log_safe(e));
                }
                for l in &report.limits {
                    eprintln!("doorman tighten: limit: {}", crate::report::log_safe(l));
                }
            }
            report.exit_status()
        }
        Err(e) => {
            for err in &report.errors {
                eprintln!("doorman tighten: {}", crate::report::log_safe(err));
            }
            eprintln!("doorman tighten: {e}");
            EXIT_ERROR
        }
    }
}

fn load_current(args: &TightenArgs) -> Result<Current, String> {
    let single = !args.policy.is_empty() || args.template.is_some();
    if single && args.role.len() != 1 {
        return Err(
            "--policy and --template hold one role's policies: name that role with one --role"
                .to_string(),
        );
    }
    if !args.policy.is_empty() {
        let mut p = current::from_policy_files(&args.policy)?;
        p.name = args.role[0].clone();
        return Ok(Current::Single(p));
    }
    if let (Some(t), Some(id)) = (&args.template, &args.logical_id) {
        return Ok(Current::Single(current::from_template(t, id)?));
    }
    if let Some(a) = &args.audit {
        return Ok(Current::Account(current::from_authorization_details(a)?));
    }
    if args.role.is_empty() {
        return Err("name the role(s) with --role, or give --audit so doorman knows which roles trust Lambda".to_string());
    }
    Ok(Current::None)
}
