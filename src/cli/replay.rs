//! `doorman replay`: the Lambda pipeline, offline, on event files. Prints
//! each alert that would be published (SPEC §6).
//!
//! Offline means the resolver knows only what the event carries and the
//! AWS managed policies built into doorman: checks that need a role or a
//! policy fetched from IAM are skipped, and the text output says which.

use super::lint::parse_severity;
use super::{write_stdout, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::alert::Alert;
use crate::config::guarded_from_lookup;
use crate::event::EventInfo;
use crate::lint::Location;
use crate::notify::MemoryNotifier;
use crate::pipeline::{Evaluation, Pipeline, Settings, Verdict};
use crate::report::{self, JsonFinding, JsonReport};
use crate::resolve::offline::OfflineResolver;
use crate::rules::Severity;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Each alert as its email would read, for a terminal.
    Text,
    /// The JSON document of SPEC §6 with each event and its SNS message.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Alert only on findings at or above this severity
    /// (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    pub min_severity: Severity,
    /// Event files (one event, a JSON array of events, JSON lines, or a
    /// CloudTrail log file with `Records`) or folders (every `*.json` inside).
    #[arg(required = true, value_name = "EVENT")]
    pub paths: Vec<PathBuf>,
}

/// One event read from an input, or why an input could not be read.
#[derive(Debug)]
pub struct Input {
    /// `file`, or `file#N` (1-based) when the file holds several events.
    pub source: String,
    pub file: String,
    pub event: Result<Value, String>,
}

/// The outcome of one input.
#[derive(Debug)]
pub struct ReplayResult {
    pub source: String,
    pub file: String,
    pub evaluation: Result<Evaluation, String>,
}

pub fn run(args: ReplayArgs) -> u8 {
    // The Lambda's trusted accounts and organizations, from the same variables.
    let (trusted_accounts, trusted_orgs) =
        match crate::config::trusted_from_lookup(|k| std::env::var(k).ok()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("doorman: {e}");
                return EXIT_ERROR;
            }
        };
    let settings = Settings {
        suppressions: crate::alert::Suppressions {
            min_severity: args.min_severity,
            ..Default::default()
        },
        guarded: guarded_from_lookup(|k| std::env::var(k).ok()),
        trusted_accounts,
        trusted_orgs,
    };
    let inputs = read_inputs(&args.paths);
    let results = replay(&inputs, settings);
    let out = match args.format {
        OutputFormat::Text => text(&results),
        OutputFormat::Json => json(&results),
    };
    if let Err(e) = write_stdout(&out) {
        eprintln!("doorman: cannot write the output: {e}");
        return EXIT_ERROR;
    }
    exit_code(&results)
}

/// 2 when an input could not be read or an event failed, else 1 when an
/// alert would be published, else 0.
pub fn exit_code(results: &[ReplayResult]) -> u8 {
    if results.iter().any(|r| r.evaluation.is_err()) {
        EXIT_ERROR
    } else if results
        .iter()
        .any(|r| r.evaluation.as_ref().is_ok_and(|e| e.alert().is_some()))
    {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Runs every event through the pipeline with the offline resolver.
pub fn replay(inputs: &[Input], settings: Settings) -> Vec<ReplayResult> {
    let pipeline = Pipeline::new(OfflineResolver, MemoryNotifier::new(), settings);
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => {
            return inputs
                .iter()
                .map(|i| ReplayResult {
                    source: i.source.clone(),
                    file: i.file.clone(),
                    evaluation: Err(format!("cannot start the async runtime: {e}")),
                })
                .collect()
        }
    };
    inputs
        .iter()
        .map(|input| ReplayResult {
            source: input.source.clone(),
            file: input.file.clone(),
            evaluation: match &input.event {
                Err(e) => Err(e.clone()),
                Ok(event) => runtime
                    .block_on(pipeline.evaluate(event))
                    .map_err(|e| e.to_string()),
            },
        })
        .collect()
}

/// Reads every path: files as they are, folders as their `*.json` files
/// (sorted, so the output order is stable).
pub fn read_inputs(paths: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        if path.is_dir() {
            let entries = match std::fs::read_dir(path) {
                Ok(e) => e,
                Err(e) => {
                    inputs.push(unreadable(
                        &shown,
                        format!("cannot read folder `{shown}`: {e}"),
                    ));
                    continue;
                }
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            if files.is_empty() {
                inputs.push(unreadable(
                    &shown,
                    format!("folder `{shown}` has no `*.json` files"),
                ));
            }
            for f in files {
                read_file(&f, &mut inputs);
            }
        } else {
            read_file(path, &mut inputs);
        }
    }
    inputs
}

fn unreadable(file: &str, reason: String) -> Input {
    Input {
        source: file.to_string(),
        file: file.to_string(),
        event: Err(reason),
    }
}

fn read_file(path: &Path, inputs: &mut Vec<Input>) {
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            inputs.push(unreadable(&file, format!("cannot read `{file}`: {e}")));
            return;
        }
    };
    match split_events(&text) {
        Ok(events) if events.is_empty() => {
            inputs.push(unreadable(&file, format!("`{file}` holds no event")))
        }
        Ok(events) => {
            let many = events.len() > 1;
            for (i, event) in events.into_iter().enumerate() {
                inputs.push(Input {
                    source: if many {
                        format!("{file}#{}", i + 1)
                    } else {
                        file.clone()
                    },
                    file: file.clone(),
                    event: Ok(event),
                });
            }
        }
        Err(e) => inputs.push(unreadable(&file, format!("`{file}`: {e}"))),
    }
}

/// The events of a file: one event, a JSON array of events, a CloudTrail
/// log file (`{"Records": [...]}`), or JSON lines.
pub fn split_events(text: &str) -> Result<Vec<Value>, String> {
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(events)) => Ok(events),
        Ok(Value::Object(mut obj)) if obj.get("Records").is_some_and(Value::is_array) => {
            match obj.remove("Records") {
                Some(Value::Array(records)) => Ok(records),
                _ => Ok(Vec::new()),
            }
        }
        Ok(event) => Ok(vec![event]),
        Err(whole) => {
            let lines: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            if lines.len() < 2 {
                return Err(format!("not valid JSON: {whole}"));
            }
            lines
                .into_iter()
                .map(|(n, line)| {
                    serde_json::from_str(line).map_err(|e| {
                        format!(
                            "neither one JSON document ({whole}) nor JSON lines: line {}: {e}",
                            n + 1
                        )
                    })
                })
                .collect()
        }
    }
}

// ---------------------------------------------------------------------------
// text

/// Each alert as its email reads, under a header naming the input; events
/// without an alert print nothing, except the checks that were skipped.
pub fn text(results: &[ReplayResult]) -> String {
    let mut out = String::new();
    let mut alerts = 0;
    let mut by_severity = [0usize; 5];
    let mut errors = 0;
    for r in results {
        match &r.evaluation {
            Err(e) => {
                errors += 1;
                let _ = writeln!(out, "{}: error: {e}\n", r.source);
            }
            Ok(ev) => {
                if let Some(alert) = ev.alert() {
                    alerts += 1;
                    by_severity[alert.highest_severity() as usize] += 1;
                    let _ = writeln!(out, "== {} ==", r.source);
                    let _ = writeln!(out, "Subject: {}\n", alert.subject);
                    let _ = writeln!(out, "{}\n", alert.text);
                }
                if let Verdict::Evaluated { skipped, .. } = &ev.verdict {
                    for s in skipped {
                        let _ = writeln!(out, "{}: not checked offline: {s}", r.source);
                    }
                    if !skipped.is_empty() {
                        out.push('\n');
                    }
                }
            }
        }
    }
    let events = results.len();
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter(|s| by_severity[**s as usize] > 0)
        .map(|s| format!("{} {s}", by_severity[*s as usize]))
        .collect();
    let _ = write!(
        out,
        "{} from {} event{}",
        match alerts {
            0 => "no alerts".to_string(),
            1 => "1 alert".to_string(),
            n => format!("{n} alerts"),
        },
        events,
        if events == 1 { "" } else { "s" }
    );
    if !counts.is_empty() {
        let _ = write!(out, " ({})", counts.join(", "));
    }
    if errors > 0 {
        let _ = write!(out, "; {errors} could not be read");
    }
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------
// JSON (SPEC §6)

/// A replay result: the lint result's fields (`source`, `findings`,
/// `error`), then what replay adds.
#[derive(Serialize)]
struct JsonResult<'a> {
    #[serde(flatten)]
    base: report::JsonResult<'a>,
    event: Option<JsonEvent<'a>>,
    alert: Option<JsonAlert<'a>>,
    /// Checks the offline resolver could not run.
    not_checked: &'a [String],
}

#[derive(Serialize)]
struct JsonEvent<'a> {
    id: &'a str,
    name: &'a str,
    time: &'a str,
    account: &'a str,
    region: &'a str,
    actor: &'a str,
    source_ip: &'a str,
    /// Why the event was not evaluated, when it was not.
    ignored: Option<&'a str>,
}

/// The SNS `Publish` request that would be sent.
#[derive(Serialize)]
struct JsonAlert<'a> {
    subject: &'a str,
    message_structure: &'static str,
    /// The exact `Message` string (`default`, `email`, `sqs`, `lambda`, `https`).
    message: &'a str,
    message_attributes: &'a std::collections::BTreeMap<String, crate::alert::Attribute>,
}

fn json_event<'a>(e: &'a EventInfo, ignored: Option<&'a str>) -> JsonEvent<'a> {
    JsonEvent {
        id: &e.id,
        name: &e.name,
        time: &e.time,
        account: &e.account,
        region: &e.region,
        actor: &e.actor,
        source_ip: &e.source_ip,
        ignored,
    }
}

fn json_findings<'a>(file: &str, alert: Option<&'a Alert>) -> Vec<JsonFinding<'a>> {
    let Some(alert) = alert else {
        return Vec::new();
    };
    alert
        .body
        .findings
        .iter()
        .map(|f| JsonFinding {
            rule: f.rule,
            severity: f.severity,
            message: &f.message,
            fix: &f.fix,
            location: Cow::Owned(Location {
                file: file.to_string(),
                line: None,
                statement: f.statement.as_ref().map(|s| s.index),
                sid: f.statement.as_ref().and_then(|s| s.sid.clone()),
                logical_id: None,
            }),
        })
        .collect()
}

/// `{"version":1,"results":[{"source","findings","error","event","alert"}]}`.
/// `findings` are the ones the alert lists (at or above `--min-severity`).
pub fn json(results: &[ReplayResult]) -> String {
    const NONE: &[String] = &[];
    JsonReport::new(
        results
            .iter()
            .map(|r| match &r.evaluation {
                Err(e) => JsonResult {
                    base: report::JsonResult {
                        notes: &[],
                        source: &r.source,
                        findings: Vec::new(),
                        error: Some(e),
                    },
                    event: None,
                    alert: None,
                    not_checked: NONE,
                },
                Ok(ev) => {
                    let (findings, skipped, ignored) = match &ev.verdict {
                        Verdict::Ignored { reason } => (Vec::new(), NONE, Some(reason.as_str())),
                        Verdict::Evaluated { alert, skipped, .. } => (
                            json_findings(&r.file, alert.as_ref()),
                            skipped.as_slice(),
                            None,
                        ),
                    };
                    JsonResult {
                        base: report::JsonResult {
                            notes: &[],
                            source: &r.source,
                            findings,
                            error: None,
                        },
                        event: Some(json_event(&ev.event, ignored)),
                        alert: ev.alert().map(|a| JsonAlert {
                            subject: &a.subject,
                            message_structure: "json",
                            message: &a.message,
                            message_attributes: &a.attributes,
                        }),
                        not_checked: skipped,
                    }
                }
            })
            .collect(),
    )
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_hold_one_event_an_array_records_or_json_lines() {
        assert_eq!(split_events(r#"{"a":1}"#).unwrap().len(), 1);
        assert_eq!(split_events(r#"[{"a":1},{"a":2}]"#).unwrap().len(), 2);
        assert_eq!(
            split_events(r#"{"Records":[{"a":1},{"a":2},{"a":3}]}"#)
                .unwrap()
                .len(),
            3
        );
        assert_eq!(split_events("{\"a\":1}\n\n{\"a\":2}\n").unwrap().len(), 2);
        assert_eq!(
            split_events("{\"a\":1}\n{oops}\n").unwrap_err(),
            "neither one JSON document (trailing characters at line 2 column 1) nor JSON lines: line 2: key must be a string at line 1 column 2"
        );
        assert_eq!(
            split_events("{oops").unwrap_err(),
            "not valid JSON: key must be a string at line 1 column 2"
        );
    }
}
