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
    /// What was left unjudged and why, e.g. a template document built by
    /// `Fn::Transform` / `AWS::Include`, which only CloudFormation expands.
    pub notes: Vec<String>,
}

impl FileResult {
    fn error(source: String, error: String) -> Self {
        FileResult {
            source,
            findings: Vec::new(),
            error: Some(error),
            notes: Vec::new(),
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

/// The largest input `doorman lint` reads: 10 MiB. The largest AWS managed
/// policy is about 205 KB and the largest real templates about 1 MB
/// (CloudFormation itself refuses a template body over 1 MB), so this is ten
/// times anything real, while a folder judged on every core still cannot be
/// made to hold more than a few tens of MiB. A larger file is refused
/// unread; standard input is cut off just past the cap and refused.
pub const MAX_INPUT_BYTES: u64 = 10 * 1024 * 1024;

/// `MAX_INPUT_BYTES` as people write it, for messages and `--help`.
pub const MAX_INPUT_SHOWN: &str = "10 MiB";

/// Everything one `doorman lint` run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    /// One result per file checked or refused, in the order of
    /// [`lint_paths`].
    pub results: Vec<FileResult>,
    /// JSON files found in folders that are neither a policy nor a template
    /// (`package.json`, `tsconfig.json`, sample events): not checked, only
    /// counted, so the summary shows that something was passed over.
    pub skipped: usize,
}

/// Checks every input and returns one result per file, in the order the
/// inputs were given; a folder contributes its files sorted by path, so the
/// output is stable. A bad input is a result with `error` set, never a reason
/// to stop.
pub fn lint_paths<P: AsRef<Path>>(paths: &[P], opts: &Options) -> Vec<FileResult> {
    lint_run(paths, opts).results
}

/// [`lint_paths`], with the count of folder files skipped as neither a
/// policy nor a template.
///
/// What is read (SPEC §6): a path named on the command line is checked
/// whatever it holds, and is an error when it is neither a policy nor a
/// template. In a folder, every `*.json` and every template among
/// `*.yaml`/`*.yml`/`*.template` is checked; a file that looks like a
/// template but does not parse is an error, never skipped; other JSON is
/// skipped and counted; other YAML (CI workflows, config) is passed over as
/// before. A folder with nothing to check is an error. Symbolic links are
/// followed and loops reported; FIFOs, devices and files over
/// [`MAX_INPUT_BYTES`] are refused.
pub fn lint_run<P: AsRef<Path>>(paths: &[P], opts: &Options) -> Run {
    let mut run = Run::default();
    for path in paths {
        let path = path.as_ref();
        let source = path.display().to_string();
        if source == STDIN {
            run.results.push(match read_stdin() {
                Ok(text) => lint_text(STDIN, &text, None, opts),
                Err(e) => FileResult::error(source, e),
            });
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => lint_folder(path, opts, &mut run),
            Ok(_) => match lint_file(path, false, false, opts) {
                Outcome::Judged(r) => run.results.push(r),
                // A named file is never skipped; `lint_file` says so.
                Outcome::Skipped | Outcome::PassedOver => {}
            },
            Err(e) => run.results.push(FileResult::error(
                source.clone(),
                format!("cannot read `{source}`: {e}"),
            )),
        }
    }
    run
}

/// Walks `dir` and judges what it finds; a folder that yields no result at
/// all (nothing checked, nothing refused) is itself an error, so CI pointed
/// at the wrong folder fails instead of passing on nothing.
fn lint_folder(dir: &Path, opts: &Options, run: &mut Run) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(dir, &mut files, &mut errors);
    // Component-wise, as `Path`'s order is: the walk's paths are clean
    // (no `//`, no `.` inside), so that is byte order with each separator
    // below every other byte; one byte string per path, built once.
    files.sort_by_cached_key(|(p, _)| {
        let mut key = p.as_os_str().as_encoded_bytes().to_vec();
        for b in &mut key {
            if std::path::is_separator(char::from(*b)) {
                *b = 0;
            }
        }
        key
    });
    errors.sort_by(|a, b| a.source.cmp(&b.source));
    let before = run.results.len();
    run.results.extend(errors);
    let mut skipped = 0;
    for outcome in lint_files(&files, opts) {
        match outcome {
            Outcome::Judged(r) => run.results.push(r),
            Outcome::Skipped => skipped += 1,
            Outcome::PassedOver => {}
        }
    }
    run.skipped += skipped;
    if run.results.len() == before {
        let source = dir.display().to_string();
        let why = match skipped {
            0 => {
                "no policy (`*.json`) or template (`*.yaml`, `*.yml`, `*.template`, `*.json`) in it \
                 (hidden and `.gitignore`d files are not read)"
                    .to_string()
            }
            n => format!(
                "{} JSON {} in it, but neither a policy nor a template",
                n,
                if n == 1 { "file" } else { "files" }
            ),
        };
        run.results.push(FileResult::error(
            source.clone(),
            format!("nothing to check in folder `{source}`: {why}"),
        ));
    }
}

/// What became of one file.
#[derive(Debug)]
enum Outcome {
    /// Checked, or refused with a reason.
    Judged(FileResult),
    /// JSON in a folder that is neither a policy nor a template: counted.
    Skipped,
    /// YAML in a folder that is not a template (a CI workflow, a config
    /// file): doorman reads no policy from YAML, so nothing can hide there.
    PassedOver,
}

/// Judges the files of a folder on every core, as ripgrep does: files are
/// independent, and a repository of policies should not wait on one core.
/// Outcomes keep the files' (sorted) order.
fn lint_files(files: &[(PathBuf, bool)], opts: &Options) -> Vec<Outcome> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if workers < 2 || files.len() < 8 {
        return files
            .iter()
            .map(|(f, regular)| lint_file(f, true, *regular, opts))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut judged: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(files.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((file, regular)) = files.get(i) else {
                            break;
                        };
                        mine.push((i, lint_file(file, true, *regular, opts)));
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
/// (`node_modules`, `target/`) are skipped. Symbolic links are followed, as a
/// repository may link a shared policy in; the walker detects a link back to
/// an ancestor folder, which becomes an error result naming the link rather
/// than an endless walk. Candidates that are not regular files (a FIFO named
/// `x.json`) are kept so that reading them reports the refusal; beside each
/// path is whether the walk saw a regular file, which spares reading it a
/// second look-up of its path.
fn walk(dir: &Path, files: &mut Vec<(PathBuf, bool)>, errors: &mut Vec<FileResult>) {
    // `.gitignore` counts even outside a git checkout (an unpacked archive).
    let walker = ignore::WalkBuilder::new(dir)
        .require_git(false)
        .follow_links(true)
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                if !is_dir && candidate(e.path()) {
                    let regular = e.file_type().is_some_and(|t| t.is_file());
                    files.push((e.into_path(), regular));
                }
            }
            Err(e) => errors.extend(walk_error(dir, &e)),
        }
    }
}

/// An error of the folder walk as a result naming the path it concerns;
/// `None` for a dangling symbolic link whose name is not a candidate (a
/// stale `python` link in a virtualenv): such a file would not have been
/// read anyway. A dangling `x.json` is an error, as a missing policy is.
fn walk_error(dir: &Path, e: &ignore::Error) -> Option<FileResult> {
    let mut at = None;
    let mut err = e;
    loop {
        match err {
            ignore::Error::WithPath { path, err: inner } => {
                at.get_or_insert_with(|| path.clone());
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            _ => break,
        }
    }
    if let ignore::Error::Loop { ancestor, child } = err {
        let source = child.display().to_string();
        return Some(FileResult::error(
            source.clone(),
            format!(
                "symbolic link loop: `{source}` leads back to its ancestor folder `{}`; not followed",
                ancestor.display()
            ),
        ));
    }
    let path = at.as_deref().unwrap_or(dir);
    let dangling = || {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
            && std::fs::metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    };
    if path != dir && !candidate(path) && dangling() {
        return None;
    }
    let source = path.display().to_string();
    // The walker wraps the OS error in one that repeats the path; the
    // result already names it, so say only the innermost cause.
    let why = match err.io_error() {
        Some(io) => {
            let mut cause: &dyn std::error::Error = io;
            while let Some(inner) = cause.source() {
                cause = inner;
            }
            cause.to_string()
        }
        None => err.to_string(),
    };
    Some(FileResult::error(
        source.clone(),
        format!("cannot read `{source}`: {why}"),
    ))
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

/// Reads a named file as text, refusing what is not a regular file (a FIFO
/// would block forever, `/dev/zero` never ends) and what is over
/// [`MAX_INPUT_BYTES`], before reading any of it. `known_regular`: a folder
/// walk saw a regular file there, so it is opened at once and measured
/// through the open file (a path look-up less per file of a large folder).
fn read_file(path: &Path, known_regular: bool) -> Result<String, String> {
    let shown = path.display();
    let cannot = |e: std::io::Error| format!("cannot read `{shown}`: {e}");
    if known_regular {
        let file = std::fs::File::open(path).map_err(cannot)?;
        let meta = file.metadata().map_err(cannot)?;
        // Replaced since the walk? Refused as below; reading it never blocks
        // or runs on, as regular files end.
        if !meta.is_file() {
            return Err(not_regular(&shown, &meta));
        }
        if meta.len() > MAX_INPUT_BYTES {
            return Err(too_big(&format!("`{shown}`"), Some(meta.len())));
        }
        return read_bounded(file, &format!("`{shown}`"), meta.len());
    }
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular(&shown, &meta));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big(&format!("`{shown}`"), Some(meta.len())));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    read_bounded(file, &format!("`{shown}`"), meta.len())
}

fn not_regular(shown: &std::path::Display<'_>, meta: &std::fs::Metadata) -> String {
    format!(
        "cannot read `{shown}`: it is {}, not a regular file; doorman reads files, folders and `-` (standard input)",
        special_kind(&meta.file_type())
    )
}

/// Standard input, cut off just past the cap so an endless stream
/// (`doorman lint - < /dev/zero`) is refused instead of filling memory.
fn read_stdin() -> Result<String, String> {
    read_bounded(std::io::stdin().lock(), "standard input", 0)
}

/// Reads at most one byte past [`MAX_INPUT_BYTES`] (a file may grow after
/// it was measured) and wants UTF-8.
fn read_bounded(reader: impl Read, what: &str, expected: u64) -> Result<String, String> {
    // Room for what the file's size says, and the byte that shows it grew.
    let mut bytes = Vec::with_capacity(expected.min(MAX_INPUT_BYTES) as usize + 1);
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big(what, None));
    }
    String::from_utf8(bytes).map_err(|_| format!("cannot read {what}: it is not UTF-8 text"))
}

fn too_big(what: &str, size: Option<u64>) -> String {
    let size = size.map_or_else(String::new, |n| format!(" ({n} bytes)"));
    format!(
        "{what} is over the {MAX_INPUT_SHOWN} limit on one input{size}; no policy or template is that large (IAM policies are a few KB, templates at most 1 MB), so it is refused unread"
    )
}

/// "a FIFO", "a character device"...: what a non-regular file is.
fn special_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        return "a folder";
    }
    "a special file"
}

/// Reads and checks one file. A file named on the command line is checked
/// whatever its name and an error when it is neither a policy nor a
/// template; one found in a folder is judged by what it holds (see
/// [`classify`]).
fn lint_file(path: &Path, found_in_folder: bool, regular: bool, opts: &Options) -> Outcome {
    let source = path.display().to_string();
    let text = match read_file(path, regular) {
        Ok(t) => t,
        Err(e) => return Outcome::Judged(FileResult::error(source, e)),
    };
    if !found_in_folder {
        let is_json = extension(path) == "json";
        return Outcome::Judged(if !is_json && !looks_like_json(&text) {
            lint_template_text(&source, &text, opts)
        } else {
            lint_text(&source, &text, Some(path), opts)
        });
    }
    if starts_like_json(&text) {
        // Most JSON in a policy repository is policies: judge first, and
        // look closer only at what fails, so a policy is parsed once.
        let r = lint_text(&source, &text, Some(path), opts);
        if r.error.is_some() && classify(&text) == Content::OtherJson {
            return Outcome::Skipped;
        }
        return Outcome::Judged(r);
    }
    match classify(&text) {
        Content::Policy | Content::JsonTemplate => {
            Outcome::Judged(lint_text(&source, &text, Some(path), opts))
        }
        Content::YamlTemplate => Outcome::Judged(lint_template_text(&source, &text, opts)),
        Content::OtherJson => Outcome::Skipped,
        // An empty `x.json`, or one holding plain text, is still JSON by name.
        Content::OtherYaml if extension(path) == "json" => Outcome::Skipped,
        Content::OtherYaml => Outcome::PassedOver,
    }
}

/// What a file found in a folder holds, judged so that a broken policy or
/// template is never mistaken for "something else".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// A policy, or JSON shaped like one (a `Statement`, `Effect`, `Action`
    /// or IAM `Version` at the top, or an array of statements), broken or not.
    Policy,
    /// JSON with a top-level template key, or JSON that does not parse but
    /// names one: broken JSON is reported, not skipped.
    JsonTemplate,
    /// YAML with a template key at the top, parsed or not.
    YamlTemplate,
    /// JSON that is neither (`package.json`, `tsconfig.json` with comments,
    /// a CloudTrail event).
    OtherJson,
    /// YAML that is not a template.
    OtherYaml,
}

const TEMPLATE_KEYS: [&str; 3] = ["Resources", "AWSTemplateFormatVersion", "Transform"];

/// JSON (an object or an array) or URL-encoded JSON, by its first character.
fn starts_like_json(text: &str) -> bool {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    body.starts_with(['{', '[', '%'])
}

fn classify(text: &str) -> Content {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') || body.starts_with('[') {
        return match serde_json::from_str::<serde_json::Value>(body) {
            Ok(v) if TEMPLATE_KEYS.iter().any(|k| v.get(k).is_some()) => Content::JsonTemplate,
            Ok(v) if policy_shaped(&v) => Content::Policy,
            Ok(_) => Content::OtherJson,
            Err(_) if TEMPLATE_KEYS.iter().any(|k| names_json_key(body, k)) => {
                Content::JsonTemplate
            }
            Err(_) if POLICY_KEYS.iter().any(|k| names_json_key(body, k)) => Content::Policy,
            Err(_) => Content::OtherJson,
        };
    }
    if body.starts_with('%') {
        // URL-encoded policy JSON, as `GetRolePolicy` returns it.
        return Content::Policy;
    }
    if looks_like_template(text) || has_top_level_template_key(text) {
        return Content::YamlTemplate;
    }
    Content::OtherYaml
}

/// Top-level keys that only an IAM policy or statement has.
const POLICY_KEYS: [&str; 4] = ["Statement", "Effect", "Action", "NotAction"];

/// Whether parsed JSON is a policy or tries to be one: IAM would judge it,
/// so doorman reports it (as findings or as `not an IAM policy: ...`).
fn policy_shaped(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(o) => {
            // `statement` in any case: IAM refuses it, so it is reported.
            o.keys()
                .any(|k| POLICY_KEYS.contains(&k.as_str()) || k.eq_ignore_ascii_case("Statement"))
                || o.get("Version")
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| s == "2012-10-17" || s == "2008-10-17")
        }
        // `[{"Effect": ...}]`: statements without their policy.
        serde_json::Value::Array(items) => items
            .iter()
            .any(|i| i.as_object().is_some_and(|o| o.contains_key("Effect"))),
        _ => false,
    }
}

/// Whether broken JSON still shows `"key":` somewhere.
fn names_json_key(text: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    text.match_indices(&quoted)
        .any(|(i, m)| text[i + m.len()..].trim_start().starts_with(':'))
}

/// Whether a line at column 0 starts with a template key (`Resources:`,
/// `"Transform":`...): a template's top level, even when the YAML around it
/// does not parse. Indented keys do not count (`resources: {Resources: ...}`
/// in `serverless.yml`).
fn has_top_level_template_key(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').lines().any(|line| {
        let unquoted = line.trim_start_matches(['"', '\'']);
        TEMPLATE_KEYS.iter().any(|k| {
            unquoted.strip_prefix(k).is_some_and(|rest| {
                rest.trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with(':')
            })
        })
    })
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
    if !looks_like_json(text) && (looks_like_template(text) || has_top_level_template_key(text)) {
        // A YAML template on standard input (broken or not).
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
        managed_policy_name: file.and_then(|f| managed_policy_name(f, &policy)),
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
        notes: Vec::new(),
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

/// The allow-listed AWS managed execution policy a file holds: its name says so (the managed
/// policies are saved as `<PolicyName>.json`, as `scripts/bench` and
/// `aws iam get-policy-version` dumps do) and its document is that policy's
/// built-in one. The name alone is not trusted: a file called
/// `AWSLambdaBasicExecutionRole.json` that grants more is judged as any other.
fn managed_policy_name(file: &Path, policy: &policy::Policy) -> Option<String> {
    let stem = file.file_stem()?.to_str()?;
    // Only the allow-listed execution policies are treated differently, so
    // only they are compared (linting the whole set stays one parse a file).
    if !crate::catalog::managed::is_allow_listed_execution_policy(stem) {
        return None;
    }
    let builtin = crate::catalog::managed::managed_policy_document(stem)?;
    let same = policy::parse_document(builtin).is_ok_and(|b| b == *policy);
    same.then(|| stem.to_string())
}

fn is_json_template(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| TEMPLATE_KEYS.iter().any(|k| o.contains_key(*k)))
        })
        .unwrap_or(false)
}

/// SAM / CloudFormation templates (YAML, or JSON with a top-level
/// `Resources`, `AWSTemplateFormatVersion` or `Transform`) are judged by
/// [`crate::template`]; their findings go through the same severity and
/// ignore filters as a policy file's. `--kind` does not apply: a template
/// says what each of its documents is.
#[cfg(feature = "cli")]
fn lint_template_text(source: &str, text: &str, opts: &Options) -> FileResult {
    match crate::template::lint_template_with_notes(source, text, &opts.trust_context()) {
        Ok((findings, notes)) => FileResult {
            source: source.to_string(),
            findings: findings
                .into_iter()
                .filter(|f| opts.keeps(&f.finding))
                .collect(),
            error: None,
            notes,
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
    /// Folder files skipped as neither a policy nor a template.
    pub skipped: usize,
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

    /// The summary of a whole run, skipped files included.
    pub fn of_run(run: &Run) -> Self {
        Summary {
            skipped: run.skipped,
            ..Summary::of(&run.results)
        }
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
    fn the_shown_cap_is_the_cap() {
        assert_eq!(MAX_INPUT_BYTES, 10 * 1024 * 1024);
        assert_eq!(MAX_INPUT_SHOWN, "10 MiB");
    }

    #[test]
    fn json_found_in_a_folder_is_classified_by_what_it_holds() {
        use Content::*;
        for (text, want) in [
            // Policies, and documents that try to be one.
            (ADMIN, Policy),
            (
                "{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}",
                Policy,
            ),
            ("[{\"Effect\": \"Allow\", \"Action\": \"*\"}]", Policy),
            ("{\"statement\": []}", Policy),
            ("{\"Version\": \"2012-10-17\"}", Policy),
            ("{\"Version\": \"2012-10-17\", \"Statement\": [", Policy),
            ("%7B%22Statement%22%3A%5B%5D%7D", Policy),
            // Templates, parsed or not.
            ("{\"Resources\": {}}", JsonTemplate),
            (
                "{\"Transform\": \"AWS::Serverless-2016-10-31\"}",
                JsonTemplate,
            ),
            ("{\n  \"Resources\" : {\"R\": {", JsonTemplate),
            // Neither.
            ("{\"name\": \"orders\", \"version\": \"1.0.0\"}", OtherJson),
            ("{\"Version\": \"0\", \"detail\": {}}", OtherJson),
            (
                "{\"Records\": [{\"eventName\": \"PutRolePolicy\"}]}",
                OtherJson,
            ),
            ("[{\"eventName\": \"CreateRole\"}]", OtherJson),
            ("{\n  // comment\n  \"compilerOptions\": {}\n}", OtherJson),
            // A GitHub webhook: `action` in lower case is not IAM's.
            ("{\"action\": \"opened\"}", OtherJson),
        ] {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[cfg(feature = "cli")]
    #[test]
    fn yaml_found_in_a_folder_is_a_template_when_its_top_level_says_so() {
        use Content::*;
        for (text, want) in [
            (
                "Resources:\n  R:\n    Type: AWS::SNS::Topic\n",
                YamlTemplate,
            ),
            // Broken, but a template: an error, never skipped.
            ("Resources:\n  R: {Type: [\n", YamlTemplate),
            (
                "\"AWSTemplateFormatVersion\": '2010-09-09'\nx: [\n",
                YamlTemplate,
            ),
            (
                "Transform : AWS::Serverless-2016-10-31\nResources: [\n",
                YamlTemplate,
            ),
            // Not templates.
            (
                "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n",
                OtherYaml,
            ),
            (
                "service: orders\nresources:\n  Resources:\n    Q: {Type: [\n",
                OtherYaml,
            ),
            ("", OtherYaml),
        ] {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn read_bounded_stops_one_byte_past_the_cap() {
        let at_cap = std::io::repeat(b' ').take(MAX_INPUT_BYTES);
        assert_eq!(
            read_bounded(at_cap, "x", 0).map(|t| t.len() as u64),
            Ok(MAX_INPUT_BYTES)
        );
        // An endless reader ends in an error, not in all the memory there is.
        let e = read_bounded(std::io::repeat(b' '), "standard input", 0).unwrap_err();
        assert!(
            e.starts_with("standard input is over the 10 MiB limit on one input"),
            "{e}"
        );
        let e = read_bounded(&[0xff, 0xfe][..], "`x.json`", 2).unwrap_err();
        assert_eq!(e, "cannot read `x.json`: it is not UTF-8 text");
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
            notes: Vec::new(),
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
