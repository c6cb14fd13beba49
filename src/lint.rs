//! `doorman lint`: judge policy files and SAM / CloudFormation templates.
//!
//! The types here are shared by every input kind: a policy JSON file and a
//! template both produce [`FileResult`]s made of [`LocatedFinding`]s.
//! [`lint_paths`] is the whole command minus argument parsing and printing,
//! so everything a user sees is testable without the binary.

use crate::policy::{self, ParseError};
use crate::rules::{self, Context, Finding, PolicyKind, RuleId, Severity};
use serde::Serialize;
use std::cmp::Reverse;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a finding is, as precisely as the input allows (SPEC §6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    /// 1-based line in `file`, where known.
    pub line: Option<usize>,
    /// Zero-based index of the statement in its `Statement` array.
    pub statement: Option<usize>,
    pub sid: Option<String>,
    /// The template resource the finding belongs to.
    pub logical_id: Option<String>,
}

/// A finding and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedFinding {
    pub finding: Finding,
    pub location: Location,
}

/// The outcome of checking one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// The input as the user named it (a path, or `-`).
    pub source: String,
    pub findings: Vec<LocatedFinding>,
    /// Why the input could not be checked at all (unreadable, not JSON, not a
    /// policy or template). The other inputs are still checked.
    pub error: Option<String>,
}

impl FileResult {
    fn error(source: String, error: String) -> Self {
        FileResult {
            source,
            findings: Vec::new(),
            error: Some(error),
        }
    }
}

/// What to check and what to report.
#[derive(Debug, Clone)]
pub struct Options {
    /// Findings below this are dropped (SPEC §6: default `low`).
    pub min_severity: Severity,
    /// Rules whose findings are dropped.
    pub ignore: Vec<RuleId>,
    /// Judge every policy file as this kind instead of detecting it.
    pub kind: Option<PolicyKind>,
    /// The account that owns the roles and functions: principals of this
    /// account are not "another account".
    pub account_id: Option<String>,
    /// Accounts every cross-account rule treats like the owner's own.
    pub trusted_accounts: Vec<String>,
    /// Organizations whose `aws:PrincipalOrgID` conditions guard a
    /// cross-account grant; empty: any organization does.
    pub trusted_orgs: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_severity: Severity::Low,
            ignore: Vec::new(),
            kind: None,
            account_id: None,
            trusted_accounts: Vec::new(),
            trusted_orgs: Vec::new(),
        }
    }
}

/// `doorman.toml`: the settings a team commits beside its templates, so
/// every run in CI and on laptops judges alike. Options given on the command
/// line win; `--ignore` adds to the file's list.
///
/// ```toml
/// min-severity = "medium"
/// ignore = ["cross-account-layer"]
/// account = "111122223333"
/// trusted-accounts = ["444455556666"]
/// trusted-orgs = ["o-a1b2c3d4e5"]
/// ```
#[cfg(feature = "cli")]
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ConfigFile {
    min_severity: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
    account: Option<String>,
    #[serde(default)]
    trusted_accounts: Vec<String>,
    #[serde(default)]
    trusted_orgs: Vec<String>,
}

/// The name `doorman lint` looks for in the current folder.
pub const CONFIG_FILE: &str = "doorman.toml";

#[cfg(feature = "cli")]
impl Options {
    /// Reads a config file into options; every problem names the file.
    pub fn from_config_file(path: &Path) -> Result<Options, String> {
        let shown = path.display();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read it: {e}"))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let msg = e.message().trim_end().to_string();
            match e.span().map(|s| line_of(&text, s.start)) {
                Some(line) => format!("{shown}:{line}: {msg}"),
                None => format!("{shown}: {msg}"),
            }
        })?;
        let mut opts = Options::default();
        if let Some(s) = file.min_severity {
            opts.min_severity = s
                .parse()
                .map_err(|e| format!("{shown}: `min-severity`: {e}"))?;
        }
        for rule in file.ignore {
            opts.ignore.push(
                rule.parse()
                    .map_err(|e| format!("{shown}: `ignore`: {e}"))?,
            );
        }
        if let Some(account) = file.account {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{shown}: `account`: `{account}` is not an AWS account id; it has 12 digits"
                ));
            }
            opts.account_id = Some(account);
        }
        opts.trusted_accounts = crate::config::account_ids(file.trusted_accounts)
            .map_err(|e| format!("{shown}: `trusted-accounts`: {e}"))?;
        opts.trusted_orgs = crate::config::org_ids(file.trusted_orgs)
            .map_err(|e| format!("{shown}: `trusted-orgs`: {e}"))?;
        Ok(opts)
    }
}

#[cfg(feature = "cli")]
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

impl Options {
    fn keeps(&self, f: &Finding) -> bool {
        f.severity >= self.min_severity && !self.ignore.contains(&f.rule)
    }

    /// The rule context's trusted accounts and organizations.
    fn trust_context(&self) -> Context {
        Context {
            trusted_accounts: self.trusted_accounts.clone(),
            trusted_orgs: self.trusted_orgs.clone(),
            ..Context::default()
        }
    }
}

/// The path that means standard input.
pub const STDIN: &str = "-";

/// Checks every input and returns one result per file, in the order the
/// inputs were given; a folder contributes its files sorted by path, so the
/// output is stable. A bad input is a result with `error` set, never a reason
/// to stop.
pub fn lint_paths<P: AsRef<Path>>(paths: &[P], opts: &Options) -> Vec<FileResult> {
    let mut results = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let source = path.display().to_string();
        if source == STDIN {
            let mut text = String::new();
            results.push(match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => lint_text(STDIN, &text, None, opts),
                Err(e) => FileResult::error(source, format!("cannot read standard input: {e}")),
            });
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                let mut errors = Vec::new();
                walk(path, &mut files, &mut errors);
                files.sort();
                results.extend(errors);
                results.extend(lint_files(&files, opts));
            }
            Ok(_) => results.extend(lint_file(path, false, opts)),
            Err(e) => results.push(FileResult::error(
                source.clone(),
                format!("cannot read `{source}`: {e}"),
            )),
        }
    }
    results
}

/// Judges the files of a folder on every core, as ripgrep does: files are
/// independent, and a repository of policies should not wait on one core.
/// Results keep the files' (sorted) order.
fn lint_files(files: &[PathBuf], opts: &Options) -> Vec<FileResult> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if workers < 2 || files.len() < 8 {
        return files
            .iter()
            .filter_map(|f| lint_file(f, true, opts))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut judged: Vec<(usize, FileResult)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(files.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break };
                        mine.extend(lint_file(file, true, opts).map(|r| (i, r)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            // A worker's panic is a bug: re-raise it rather than lose files.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    judged.sort_by_key(|(i, _)| *i);
    judged.into_iter().map(|(_, r)| r).collect()
}

/// Collects the candidate files under `dir` the way ripgrep does: hidden
/// entries (`.git`, `.aws-sam`) and whatever `.gitignore` / `.ignore` exclude
/// (`node_modules`, `target/`) are skipped, and symlinks are not followed, so
/// a link cycle cannot hang the walk. An unreadable entry is a result with
/// `error` set.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<FileResult>) {
    // `.gitignore` counts even outside a git checkout (an unpacked archive).
    for entry in ignore::WalkBuilder::new(dir).require_git(false).build() {
        match entry {
            Ok(e) => {
                let is_file = e.file_type().is_some_and(|t| t.is_file());
                if is_file && candidate(e.path()) {
                    files.push(e.into_path());
                }
            }
            Err(e) => {
                let source = dir.display().to_string();
                errors.push(FileResult::error(
                    source.clone(),
                    format!("cannot read folder `{source}`: {e}"),
                ));
            }
        }
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn candidate(path: &Path) -> bool {
    matches!(
        extension(path).as_str(),
        "json" | "yaml" | "yml" | "template"
    )
}

/// Reads and checks one file; `None` when a YAML file found in a folder is
/// not a template (a CI workflow, a config file): skipped, not reported. A
/// file named on the command line is checked whatever its extension.
fn lint_file(path: &Path, found_in_folder: bool, opts: &Options) -> Option<FileResult> {
    let source = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                return Some(FileResult::error(
                    source.clone(),
                    format!("cannot read `{source}`: it is not UTF-8 text"),
                ))
            }
        },
        Err(e) => {
            return Some(FileResult::error(
                source.clone(),
                format!("cannot read `{source}`: {e}"),
            ))
        }
    };
    let is_json = extension(path) == "json";
    if !is_json && !looks_like_json(&text) {
        if found_in_folder && !looks_like_template(&text) {
            return None;
        }
        return Some(lint_template_text(&source, &text, opts));
    }
    Some(lint_text(&source, &text, Some(path), opts))
}

fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// Whether a `.yaml` found in a folder is a template worth linting (rather
/// than a CI workflow or a config file).
#[cfg(feature = "cli")]
fn looks_like_template(text: &str) -> bool {
    crate::template::looks_like_template(text)
}

/// Without the `cli` feature (the Lambda build) there is no YAML parser, so
/// no template is recognised...
#[cfg(not(feature = "cli"))]
fn looks_like_template(_text: &str) -> bool {
    false
}

/// ...and one named explicitly is reported as not checkable.
#[cfg(not(feature = "cli"))]
fn lint_template_text(source: &str, _text: &str, _opts: &Options) -> FileResult {
    FileResult::error(
        source.to_string(),
        "template linting needs doorman built with the `cli` feature".to_string(),
    )
}

/// Checks a policy document (or a JSON template) given as text. `source`
/// names it in the result and in every location.
pub fn lint_policy_text(source: &str, text: &str, opts: &Options) -> FileResult {
    lint_text(source, text, None, opts)
}

/// Checks a text that is a policy document (plain JSON or URL-encoded) or a
/// template; `file` is where it was read from, if anywhere.
fn lint_text(source: &str, text: &str, file: Option<&Path>, opts: &Options) -> FileResult {
    if !looks_like_json(text) && looks_like_template(text) {
        // A YAML template on standard input.
        return lint_template_text(source, text, opts);
    }
    let policy = match policy::parse_document(text) {
        Ok(p) => p,
        Err(ParseError::NoStatement) if is_json_template(text) => {
            return lint_template_text(source, text, opts)
        }
        Err(e) => return FileResult::error(source.to_string(), e.to_string()),
    };
    let kind = opts.kind.unwrap_or_else(|| PolicyKind::detect(&policy));
    let ctx = Context {
        account_id: opts.account_id.clone(),
        managed_policy_name: file.and_then(managed_policy_name),
        ..opts.trust_context()
    };
    let lines = if looks_like_json(text) {
        policy::locate::statement_lines(text)
    } else {
        // URL-encoded: the text has one line, which tells a reader nothing.
        Vec::new()
    };
    let mut findings: Vec<LocatedFinding> = rules::evaluate(&policy, kind, &ctx)
        .into_iter()
        .filter(|f| opts.keeps(f))
        .map(|finding| {
            let at = finding.statement.as_ref();
            let location = Location {
                file: source.to_string(),
                line: at.and_then(|a| lines.get(a.index).copied()),
                statement: at.map(|a| a.index),
                sid: at.and_then(|a| a.sid.clone()),
                logical_id: None,
            };
            LocatedFinding { finding, location }
        })
        .collect();
    sort_findings(&mut findings);
    FileResult {
        source: source.to_string(),
        findings,
        error: None,
    }
}

/// Document-level findings first, then by statement; within a statement the
/// worst first. Stable, so rules keep their order among equals.
fn sort_findings(findings: &mut [LocatedFinding]) {
    findings.sort_by_key(|f| {
        (
            f.location.logical_id.clone(),
            f.location.statement,
            Reverse(f.finding.severity),
        )
    });
}

/// The AWS managed policy a file holds, when its name says so: the corpus of
/// AWS managed policies (and `aws iam get-policy-version` dumps) are saved as
/// `<PolicyName>.json`. The rules allow-list a few managed execution policies
/// for `resource-wildcard` only, so a misnamed file can hide nothing worse.
fn managed_policy_name(file: &Path) -> Option<String> {
    file.file_stem().map(|s| s.to_string_lossy().into_owned())
}

fn is_json_template(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| o.contains_key("Resources") || o.contains_key("AWSTemplateFormatVersion"))
        })
        .unwrap_or(false)
}

/// SAM / CloudFormation templates (YAML, or JSON with a top-level
/// `Resources` or `AWSTemplateFormatVersion`) are judged by
/// [`crate::template`]; their findings go through the same severity and
/// ignore filters as a policy file's. `--kind` does not apply: a template
/// says what each of its documents is.
#[cfg(feature = "cli")]
fn lint_template_text(source: &str, text: &str, opts: &Options) -> FileResult {
    match crate::template::lint_template_with(source, text, &opts.trust_context()) {
        Ok(findings) => FileResult {
            source: source.to_string(),
            findings: findings
                .into_iter()
                .filter(|f| opts.keeps(&f.finding))
                .collect(),
            error: None,
        },
        Err(e) => FileResult::error(source.to_string(), e),
    }
}

/// Counts over a whole run, for the summary line and the exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub files_with_findings: usize,
    pub errors: usize,
    /// Findings per severity, indexed like [`Severity::ALL`].
    pub by_severity: [usize; 5],
}

impl Summary {
    pub fn of(results: &[FileResult]) -> Self {
        let mut s = Summary {
            files: results.len(),
            ..Summary::default()
        };
        for r in results {
            if r.error.is_some() {
                s.errors += 1;
            }
            if !r.findings.is_empty() {
                s.files_with_findings += 1;
            }
            for f in &r.findings {
                s.by_severity[f.finding.severity as usize] += 1;
            }
        }
        s
    }

    pub fn findings(&self) -> usize {
        self.by_severity.iter().sum()
    }

    /// SPEC §6: 2 when any input could not be checked (an error wins over
    /// findings), 1 when there are findings (they are already filtered by
    /// the minimum severity), else 0.
    pub fn exit_status(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.findings() > 0 {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:*"},
    {
      "Sid": "Bad",
      "Effect": "Alow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::b/*"
    }
  ]
}"#;

    #[test]
    fn findings_carry_file_line_statement_and_sid() {
        let r = lint_policy_text("p.json", ADMIN, &Options::default());
        assert_eq!(r.error, None);
        let f = r
            .findings
            .iter()
            .find(|f| f.finding.rule == RuleId::InvalidPolicy)
            .expect("invalid-policy for `Alow`");
        assert_eq!(
            f.location,
            Location {
                file: "p.json".into(),
                line: Some(5),
                statement: Some(1),
                sid: Some("Bad".into()),
                logical_id: None,
            }
        );
    }

    #[test]
    fn url_encoded_documents_have_no_line() {
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Alow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%7D%5D%7D";
        let r = lint_policy_text("-", encoded, &Options::default());
        let f = &r.findings[0];
        assert_eq!(f.finding.rule, RuleId::InvalidPolicy);
        assert_eq!(f.location.line, None);
        assert_eq!(f.location.statement, Some(0));
    }

    #[test]
    fn ignore_and_min_severity_drop_findings() {
        let ignore = Options {
            ignore: vec![RuleId::InvalidPolicy],
            ..Options::default()
        };
        assert!(lint_policy_text("p.json", ADMIN, &ignore)
            .findings
            .iter()
            .all(|f| f.finding.rule != RuleId::InvalidPolicy));
        let critical = Options {
            min_severity: Severity::Critical,
            ..Options::default()
        };
        assert!(lint_policy_text("p.json", ADMIN, &critical)
            .findings
            .iter()
            .all(|f| f.finding.severity == Severity::Critical));
    }

    #[test]
    fn a_non_policy_is_an_error_not_a_panic() {
        let r = lint_policy_text("x.json", "[1, 2]", &Options::default());
        assert_eq!(
            r.error.as_deref(),
            Some("not an IAM policy: the document is a JSON array, not an object")
        );
        let r = lint_policy_text("x.json", "{\"Statement\": ", &Options::default());
        assert!(r.error.unwrap().starts_with("not valid JSON: "));
    }

    #[test]
    fn a_missing_file_is_named_in_its_error() {
        let r = lint_paths(&["no/such/file.json"], &Options::default());
        assert_eq!(r.len(), 1);
        let e = r[0].error.as_deref().unwrap();
        assert!(
            e.starts_with("cannot read `no/such/file.json`: No such file or directory"),
            "{e}"
        );
    }

    #[test]
    fn findings_are_sorted_by_statement_then_worst_first() {
        let mut v: Vec<LocatedFinding> = [
            (Some(1), Severity::Low),
            (Some(1), Severity::High),
            (None, Severity::Medium),
            (Some(0), Severity::Info),
        ]
        .into_iter()
        .map(|(statement, severity)| LocatedFinding {
            finding: Finding::new(
                RuleId::InvalidPolicy,
                severity,
                String::new(),
                String::new(),
            ),
            location: Location {
                statement,
                ..Location::default()
            },
        })
        .collect();
        sort_findings(&mut v);
        let order: Vec<_> = v
            .iter()
            .map(|f| (f.location.statement, f.finding.severity))
            .collect();
        assert_eq!(
            order,
            [
                (None, Severity::Medium),
                (Some(0), Severity::Info),
                (Some(1), Severity::High),
                (Some(1), Severity::Low)
            ]
        );
    }

    #[test]
    fn exit_status_error_wins_over_findings() {
        let finding = LocatedFinding {
            finding: Finding::new(
                RuleId::AdminAccess,
                Severity::Critical,
                String::new(),
                String::new(),
            ),
            location: Location::default(),
        };
        let ok = FileResult {
            source: "a".into(),
            findings: vec![],
            error: None,
        };
        let bad = FileResult {
            findings: vec![finding],
            ..ok.clone()
        };
        let broken = FileResult {
            error: Some("x".into()),
            ..ok.clone()
        };
        assert_eq!(Summary::of(std::slice::from_ref(&ok)).exit_status(), 0);
        assert_eq!(Summary::of(&[ok.clone(), bad.clone()]).exit_status(), 1);
        assert_eq!(Summary::of(&[bad, broken]).exit_status(), 2);
    }
}
