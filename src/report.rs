//! Rendering lint results: text for a person at a terminal, JSON for
//! scripts (SPEC §6, exactly), SARIF 2.1.0 for GitHub code scanning.
//!
//! Pure: every renderer turns results into a `String`; the CLI decides where
//! it goes and whether the terminal gets colour.

use crate::lint::{FileResult, Location, Run, Summary};
use crate::rules::docs;
use crate::rules::{Finding, RuleId, Severity};
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

/// The output formats of `doorman lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// Renders a whole run in `format`, skipped files counted. `color` only
/// affects text.
pub fn render_run(run: &Run, format: Format, color: bool) -> String {
    render_counted(&run.results, run.skipped, format, color)
}

/// [`render_run`] written to `out`: a large JSON report goes out in the
/// parts it was rendered in, never joined into one string.
pub fn write_run(
    run: &Run,
    format: Format,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json_report(&run.results, run.skipped).write_to(out),
        _ => out.write_all(render_run(run, format, color).as_bytes()),
    }
}

/// Renders `results` in `format`, as a run that skipped nothing.
pub fn render(results: &[FileResult], format: Format, color: bool) -> String {
    render_counted(results, 0, format, color)
}

fn render_counted(results: &[FileResult], skipped: usize, format: Format, color: bool) -> String {
    match format {
        Format::Text => text(results, skipped, color),
        Format::Json => json(results, skipped),
        Format::Sarif => sarif(results),
    }
}

// ---------------------------------------------------------------------------
// escaping

/// `text` made safe to print on one line of a terminal or CI log: every
/// character that could end the line, move the cursor, recolour the
/// terminal or reorder what is shown becomes a visible escape, so text from
/// an input (a Sid, a logical id, a file name, a message quoting either)
/// cannot forge a line such as `admin.json:1: info ... no findings`.
///
/// Escaped: C0 and C1 controls and DEL (`\n`, `\r`, `\t`, ESC as
/// `\u{1b}`...), U+2028/U+2029 (line and paragraph separators), the bidi
/// controls (U+061C, U+200E/F, U+202A-E, U+2066-9, "Trojan Source") and the
/// invisible zero-width characters (U+200B-D, U+2060, U+FEFF). A backslash
/// is left alone: it cannot break a line, and doubling it would garble
/// Windows paths and the quoted JSON in fixes.
pub fn log_safe(text: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(
                c,
                '\u{2028}'
                    | '\u{2029}'
                    | '\u{061c}'
                    | '\u{200b}'..='\u{200f}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2060}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{feff}'
            )
    }
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------
// text

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Info => Style::new().dimmed(),
    }
}

struct Painter(bool);

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.0 {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

/// One line per finding, `file:line: severity rule: message`, then its fix
/// indented below; errors as `file: error: ...`; a summary line at the end.
/// Everything that can carry input text goes through [`log_safe`].
pub fn text(results: &[FileResult], skipped: usize, color: bool) -> String {
    let p = Painter(color);
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut out = String::new();
    for r in results {
        if let Some(e) = &r.error {
            let _ = writeln!(
                out,
                "{}: {}: {}",
                p.paint(bold, &log_safe(&r.source)),
                p.paint(severity_style(Severity::Critical), "error"),
                log_safe(e)
            );
        }
        for note in &r.notes {
            let _ = writeln!(
                out,
                "{}: {}: {}",
                p.paint(bold, &log_safe(&r.source)),
                p.paint(dim, "note"),
                log_safe(note)
            );
        }
        for f in &r.findings {
            let sev = f.finding.severity;
            let _ = writeln!(
                out,
                "{}: {} {}: {}",
                p.paint(bold, &position(&f.location)),
                p.paint(severity_style(sev), sev.as_str()),
                p.paint(bold, f.finding.rule.as_str()),
                log_safe(&f.finding.message)
            );
            let _ = writeln!(
                out,
                "  {} {}",
                p.paint(dim, "fix:"),
                log_safe(&f.finding.fix)
            );
        }
    }
    let summary = Summary {
        skipped,
        ..Summary::of(results)
    };
    out.push_str(&summary_line(&summary));
    out.push('\n');
    out
}

/// `file:line`, or `file` when the line is unknown, with the template's
/// logical id when there is one: `template.yaml:12 (OrderProcessor)`.
fn position(l: &Location) -> String {
    let mut s = log_safe(&l.file).into_owned();
    if let Some(line) = l.line {
        let _ = write!(s, ":{line}");
    }
    if let Some(id) = &l.logical_id {
        let _ = write!(s, " ({})", log_safe(id));
    }
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "3 findings in 2 files (1 critical, 2 high)", "no findings in 4 files",
/// with "; 1 file could not be checked" when there were errors and
/// "; 2 JSON files skipped (neither a policy nor a template)" when folders
/// held such files.
pub fn summary_line(s: &Summary) -> String {
    let mut line = checked_line(s);
    if s.skipped > 0 {
        let _ = write!(
            line,
            "; {} skipped (neither a policy nor a template)",
            plural(s.skipped, "JSON file", "JSON files")
        );
    }
    line
}

fn checked_line(s: &Summary) -> String {
    let checked = s.files - s.errors;
    if s.files == 0 {
        return "no files checked".to_string();
    }
    if checked == 0 {
        return format!("{} could not be checked", plural(s.errors, "file", "files"));
    }
    let mut line = if s.findings() == 0 {
        format!("no findings in {}", plural(checked, "file", "files"))
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter(|sev| s.by_severity[**sev as usize] > 0)
            .map(|sev| format!("{} {sev}", s.by_severity[*sev as usize]))
            .collect();
        let files = if s.files_with_findings == checked {
            plural(checked, "file", "files")
        } else {
            format!(
                "{} of {}",
                s.files_with_findings,
                plural(checked, "file", "files")
            )
        };
        format!(
            "{} in {files} ({})",
            plural(s.findings(), "finding", "findings"),
            counts.join(", ")
        )
    };
    if s.errors > 0 {
        let _ = write!(
            line,
            "; {} could not be checked",
            plural(s.errors, "file", "files")
        );
    }
    line
}

// ---------------------------------------------------------------------------
// JSON (SPEC §6)

/// The SPEC §6 report: `{"version": 1, "results": [...]}`. `replay` uses the
/// same shape with results that carry more (its own result type).
#[derive(Serialize)]
pub(crate) struct JsonReport<R> {
    pub version: u32,
    pub results: Vec<R>,
    /// `lint` only: how many folder files were skipped as neither a policy
    /// nor a template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<usize>,
}

impl<R: Serialize + Sync> JsonReport<R> {
    pub fn new(results: Vec<R>) -> Self {
        JsonReport {
            version: 1,
            results,
            skipped: None,
        }
    }

    /// Pretty JSON with a final newline ([`JsonReport::write_to`]).
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Writing into memory cannot fail.
        let _ = self.write_to(&mut out);
        // Every piece is serde_json's output or ASCII, so this is UTF-8.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Writes the pretty JSON and a final newline. A large report (a folder
    /// of a thousand policies is several megabytes) is rendered on every
    /// core, each worker's results at the depth they have in the whole, and
    /// written part after part: the very text `serde_json::to_string_pretty`
    /// gives for the whole.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        const ALONE: usize = 256;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        if self.results.len() < ALONE || workers < 2 {
            serde_json::to_writer_pretty(&mut *out, self).map_err(std::io::Error::from)?;
        } else {
            self.write_split(workers, out)?;
        }
        out.write_all(b"\n")
    }

    /// The report without its final newline, its results rendered on
    /// `workers` threads.
    fn write_split(&self, workers: usize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let chunk = self.results.len().div_ceil(workers);
        let parts: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .results
                .chunks(chunk)
                .map(|rs| scope.spawn(move || render_items(rs)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let head = format!("{{\n  \"version\": {},\n  \"results\": [\n", self.version);
        let tail = match self.skipped {
            Some(skipped) => format!("\n  ],\n  \"skipped\": {skipped}\n}}"),
            None => "\n  ]\n}".to_string(),
        };
        out.write_all(head.as_bytes())?;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(part)?;
        }
        out.write_all(tail.as_bytes())
    }
}

/// Pretty JSON of each item at the depth of `results`' elements (four
/// spaces), joined as serde_json joins array elements.
fn render_items<R: Serialize>(items: &[R]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() * 1024);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, Nested::new(2));
        // Writing into memory cannot fail, and these types have no map with
        // non-string keys, the one thing serde_json refuses.
        let _ = item.serialize(&mut ser);
    }
    out
}

/// serde_json's `PrettyFormatter` (two-space indent), starting `depth`
/// levels in: a value written with it is the very text the whole document's
/// pretty printing has at that depth.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn new(depth: usize) -> Self {
        Nested {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8; 64] =
            b"                                                                ";
        let mut n = 2 * self.depth;
        while n > 0 {
            let step = n.min(SPACES.len());
            w.write_all(&SPACES[..step])?;
            n -= step;
        }
        Ok(())
    }
}

impl Nested {
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, mark: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(mark)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, mark: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(mark)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// One input's result: what `lint` prints, and the first fields of `replay`'s.
#[derive(Serialize)]
pub(crate) struct JsonResult<'a> {
    pub source: &'a str,
    pub findings: Vec<JsonFinding<'a>>,
    pub error: Option<&'a str>,
    /// What was left unjudged and why (a template document built by
    /// `Fn::Transform`); absent when there is nothing to say.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub notes: &'a [String],
}

#[derive(Serialize)]
pub(crate) struct JsonFinding<'a> {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: &'a str,
    pub fix: &'a str,
    /// Borrowed from a lint result, or made for a replayed alert's finding.
    pub location: std::borrow::Cow<'a, Location>,
}

/// `{"version":1,"results":[{"source","findings":[...],"error"}],"skipped":N}`;
/// absent location fields are `null`, never left out, so consumers see one
/// shape.
pub fn json(results: &[FileResult], skipped: usize) -> String {
    json_report(results, skipped).render()
}

fn json_report(results: &[FileResult], skipped: usize) -> JsonReport<JsonResult<'_>> {
    let mut report = JsonReport::new(
        results
            .iter()
            .map(|r| JsonResult {
                source: &r.source,
                findings: r
                    .findings
                    .iter()
                    .map(|f| JsonFinding {
                        rule: f.finding.rule,
                        severity: f.finding.severity,
                        message: &f.finding.message,
                        fix: &f.finding.fix,
                        location: std::borrow::Cow::Borrowed(&f.location),
                    })
                    .collect(),
                error: r.error.as_deref(),
                notes: &r.notes,
            })
            .collect(),
    );
    report.skipped = Some(skipped);
    report
}

// ---------------------------------------------------------------------------
// SARIF 2.1.0

pub(crate) const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF's three levels: critical and high block (`error`), medium warns,
/// low and info are notes.
pub fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score) that makes code scanning
/// show critical / high / medium / low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A relative URI for an artifact, with `/` separators and anything outside
/// RFC 3986's path characters percent-encoded. GitHub resolves it against the
/// repository root, so an absolute path under the current folder is made
/// relative; one elsewhere becomes a `file://` URI.
pub fn artifact_uri(file: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'[')
        .add(b']')
        .add(b'\\')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    let path = std::path::Path::new(file);
    let mut absolute = false;
    let rel = if path.is_absolute() {
        match std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        {
            Some(p) => p.display().to_string(),
            None => {
                absolute = true;
                file.to_string()
            }
        }
    } else {
        file.to_string()
    };
    let rel = rel.replace('\\', "/");
    let rel = rel.trim_start_matches("./");
    let encoded = utf8_percent_encode(rel, PATH).to_string();
    if absolute {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

fn sarif_location(l: &Location) -> Value {
    // GitHub code scanning needs a `region.startLine` on every result
    // (sarif-sdk rule GH1003); where the line is unknown (URL-encoded
    // documents), the finding is about the file, so line 1.
    let physical = json!({
        "artifactLocation": { "uri": artifact_uri(&l.file) },
        "region": { "startLine": l.line.unwrap_or(1) },
    });
    let mut loc = json!({ "physicalLocation": physical });
    let logical: Vec<Value> = [
        l.logical_id
            .as_ref()
            .map(|id| json!({ "name": id, "kind": "resource" })),
        l.statement.map(|i| {
            let name = match &l.sid {
                Some(sid) => format!("Statement[{i}] ({sid})"),
                None => format!("Statement[{i}]"),
            };
            json!({ "name": name, "kind": "object" })
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !logical.is_empty() {
        loc["logicalLocations"] = Value::Array(logical);
    }
    loc
}

pub(crate) fn sarif_rules() -> Vec<Value> {
    RuleId::ALL
        .iter()
        .map(|id| {
            let d = docs::doc(*id);
            json!({
                "id": id.as_str(),
                "name": d.title,
                "shortDescription": { "text": d.summary },
                "fullDescription": { "text": d.why },
                "help": { "text": docs::text(*id), "markdown": docs::markdown(*id) },
                "defaultConfiguration": { "level": sarif_level(d.severity) },
                "properties": {
                    "tags": ["security", "iam", "aws-lambda"],
                    "security-severity": security_severity(d.severity),
                    "precision": "high",
                },
            })
        })
        .collect()
}

/// One SARIF result for a finding at `location`: its rule (with its index
/// in [`sarif_rules`]), level, message and fix, and its severity as a
/// property. Shared by `lint` and `audit` so both read the same in code
/// scanning.
pub(crate) fn sarif_result(finding: &Finding, location: Value) -> Value {
    // The line break before `Fix:` is doorman's own; any in the
    // input-quoting message or fix is escaped so it cannot fake one.
    let message = format!(
        "{}\nFix: {}",
        log_safe(&finding.message),
        log_safe(&finding.fix)
    );
    json!({
        "ruleId": finding.rule.as_str(),
        "ruleIndex": RuleId::ALL.iter().position(|r| *r == finding.rule),
        "level": sarif_level(finding.severity),
        "message": { "text": message },
        "locations": [location],
        "properties": { "severity": finding.severity.as_str() },
    })
}

/// An input doorman could not check, as a tool execution notification.
pub(crate) fn sarif_notification(source: &str, error: &str) -> Value {
    json!({
        "level": "error",
        "message": { "text": format!("{}: {}", log_safe(source), log_safe(error)) },
    })
}

/// The SARIF 2.1.0 document of one run of the `doorman` driver, pretty
/// printed with a final newline. Any notification makes the invocation
/// unsuccessful, so code scanning shows it instead of a clean result.
pub(crate) fn sarif_document(results: Vec<Value>, notifications: Vec<Value>) -> String {
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "doorman",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": sarif_rules(),
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// One run of the `doorman` driver; findings are `results`, inputs that
/// could not be checked are tool execution notifications (and make the
/// invocation unsuccessful), so code scanning shows them instead of
/// silently reporting a clean file.
pub fn sarif(results: &[FileResult]) -> String {
    let mut sarif_results = Vec::new();
    let mut notifications = Vec::new();
    for r in results {
        if let Some(e) = &r.error {
            let mut notification = sarif_notification(&r.source, e);
            notification["locations"] = json!([sarif_location(&Location {
                file: r.source.clone(),
                ..Location::default()
            })]);
            notifications.push(notification);
        }
        for f in &r.findings {
            sarif_results.push(sarif_result(&f.finding, sarif_location(&f.location)));
        }
    }
    sarif_document(sarif_results, notifications)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_rendered_in_parts_is_the_same_text_as_rendered_whole() {
        let items: Vec<serde_json::Value> = (0..300)
            .map(|i| {
                serde_json::json!({
                    "source": format!("p{i}.json"),
                    "findings": if i % 3 == 0 { serde_json::json!([]) } else {
                        serde_json::json!([{"rule": "x", "message": "two\nlines \"quoted\"", "location": {"line": i, "sid": null}}])
                    },
                    "error": if i % 7 == 0 { serde_json::json!("bad") } else { serde_json::Value::Null },
                    "notes": [],
                })
            })
            .collect();
        for skipped in [None, Some(4)] {
            let mut report = JsonReport::new(items.clone());
            report.skipped = skipped;
            let whole = serde_json::to_string_pretty(&report).unwrap();
            for workers in [2, 3, 7] {
                let mut split = Vec::new();
                report.write_split(workers, &mut split).unwrap();
                assert_eq!(
                    String::from_utf8(split).unwrap(),
                    whole,
                    "{workers} workers"
                );
            }
            assert_eq!(report.render(), format!("{whole}\n"));
        }
    }
    use crate::lint::LocatedFinding;
    use crate::rules::Finding;

    /// Fixed results, independent of what the rules say today, so the
    /// snapshots pin the formats and nothing else.
    fn sample() -> Vec<FileResult> {
        let finding = |rule, severity, message: &str, fix: &str, location| LocatedFinding {
            finding: Finding::new(rule, severity, message.into(), fix.into()),
            location,
        };
        vec![
            FileResult {
                source: "policies/admin.json".into(),
                findings: vec![
                    finding(
                        RuleId::AdminAccess,
                        Severity::Critical,
                        "Statement[0] (Sid `Everything`): allows every action on every resource",
                        "list the actions the function calls and the ARNs it calls them on",
                        Location {
                            file: "policies/admin.json".into(),
                            line: Some(4),
                            statement: Some(0),
                            sid: Some("Everything".into()),
                            logical_id: None,
                        },
                    ),
                    finding(
                        RuleId::ResourceWildcard,
                        Severity::Medium,
                        "Statement[1]: `s3:PutObject` on `*`",
                        "name the bucket objects: `arn:aws:s3:::my-bucket/*`",
                        Location {
                            file: "policies/admin.json".into(),
                            line: Some(9),
                            statement: Some(1),
                            sid: None,
                            logical_id: None,
                        },
                    ),
                ],
                error: None,
                notes: Vec::new(),
            },
            FileResult {
                source: "template.yaml".into(),
                findings: vec![finding(
                    RuleId::PublicInvoke,
                    Severity::Critical,
                    "`*` (anyone) may invoke the function",
                    "add `SourceArn`",
                    Location {
                        file: "template.yaml".into(),
                        line: None,
                        statement: None,
                        sid: None,
                        logical_id: Some("PublicPermission".into()),
                    },
                )],
                error: None,
                notes: Vec::new(),
            },
            FileResult {
                source: "policies/good.json".into(),
                findings: vec![],
                error: None,
                notes: Vec::new(),
            },
            FileResult {
                source: "policies/broken file.json".into(),
                findings: vec![],
                error: Some(
                    "not valid JSON: EOF while parsing an object at line 3 column 0".into(),
                ),
                notes: Vec::new(),
            },
        ]
    }

    /// The sample as a run whose folders also held two JSON files that were
    /// neither a policy nor a template.
    fn sample_run() -> Run {
        Run {
            results: sample(),
            skipped: 2,
        }
    }

    #[test]
    fn text_snapshot() {
        insta::assert_snapshot!(text(&sample(), 2, false));
    }

    #[test]
    fn text_colour_only_when_asked() {
        assert!(!text(&sample(), 2, false).contains('\u{1b}'));
        assert!(text(&sample(), 2, true).contains('\u{1b}'));
    }

    #[test]
    fn json_snapshot() {
        insta::assert_snapshot!(json(&sample(), 2));
    }

    #[test]
    fn json_keeps_nulls_for_absent_location_fields() {
        let v: Value = serde_json::from_str(&json(&sample(), 2)).unwrap();
        let loc = &v["results"][1]["findings"][0]["location"];
        let keys: Vec<&str> = loc
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, ["file", "line", "statement", "sid", "logical_id"]);
        assert!(loc["line"].is_null());
        assert!(v["results"][0]["error"].is_null());
    }

    #[test]
    fn sarif_snapshot_of_results() {
        // The rule table is long and comes from docs.rs; snapshot the rest.
        let mut v: Value = serde_json::from_str(&sarif(&sample())).unwrap();
        let rules = v["runs"][0]["tool"]["driver"]["rules"].take();
        assert_eq!(rules.as_array().unwrap().len(), RuleId::ALL.len());
        v["runs"][0]["tool"]["driver"]["rules"] = json!("[one per RuleId, from rules::docs]");
        v["runs"][0]["tool"]["driver"]["version"] = json!("[version]");
        v["runs"][0]["tool"]["driver"]["semanticVersion"] = json!("[version]");
        insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
    }

    #[test]
    fn sarif_rules_carry_help_and_levels() {
        let v: Value = serde_json::from_str(&sarif(&[])).unwrap();
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let admin = rules.iter().find(|r| r["id"] == "admin-access").unwrap();
        assert_eq!(admin["defaultConfiguration"]["level"], "error");
        assert_eq!(admin["properties"]["security-severity"], "9.5");
        assert!(admin["help"]["text"].as_str().unwrap().contains("Fix"));
        for r in rules {
            assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
            assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn summary_lines() {
        let s = Summary::of(&sample());
        assert_eq!(
            summary_line(&s),
            "3 findings in 2 of 3 files (2 critical, 1 medium); 1 file could not be checked"
        );
        let clean = vec![FileResult {
            source: "a".into(),
            findings: vec![],
            error: None,
            notes: Vec::new(),
        }];
        assert_eq!(summary_line(&Summary::of(&clean)), "no findings in 1 file");
        assert_eq!(summary_line(&Summary::of(&[])), "no files checked");
        assert_eq!(
            summary_line(&Summary::of(&sample()[3..])),
            "1 file could not be checked"
        );
    }

    #[test]
    fn summary_line_counts_skipped_json() {
        assert_eq!(
            summary_line(&Summary::of_run(&sample_run())),
            "3 findings in 2 of 3 files (2 critical, 1 medium); 1 file could not be checked; \
             2 JSON files skipped (neither a policy nor a template)"
        );
        let one = Run {
            results: sample()[2..3].to_vec(),
            skipped: 1,
        };
        assert_eq!(
            summary_line(&Summary::of_run(&one)),
            "no findings in 1 file; 1 JSON file skipped (neither a policy nor a template)"
        );
    }

    #[test]
    fn json_says_how_many_were_skipped() {
        let v: Value = serde_json::from_str(&json(&sample(), 2)).unwrap();
        assert_eq!(v["skipped"], 2);
    }

    #[test]
    fn log_safe_leaves_ordinary_text_alone() {
        for s in [
            "policies/admin.json",
            "Statement[0] (Sid `Everything`): allows `s3:*` on `arn:aws:s3:::b/*`",
            "C:\\policies\\x.json",
            "naïve ünïcode 日本語",
        ] {
            assert!(matches!(log_safe(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn log_safe_escapes_what_could_forge_or_hide_a_line() {
        assert_eq!(log_safe("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(log_safe("\u{1b}[2K"), "\\u{1b}[2K");
        assert_eq!(log_safe("x\u{85}y\u{7f}"), "x\\u{85}y\\u{7f}");
        assert_eq!(log_safe("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(log_safe("\u{202e}gnp.exe"), "\\u{202e}gnp.exe");
        assert_eq!(log_safe("i\u{2066}d\u{200b}"), "i\\u{2066}d\\u{200b}");
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let escaped = log_safe(&c.to_string()).into_owned();
            assert!(
                !escaped.chars().any(char::is_control),
                "{:x} -> {escaped:?}",
                c as u32
            );
        }
    }

    #[test]
    fn text_escapes_input_in_every_field() {
        let forged = "x\nadmin.json:1: info fake: ok";
        let run = Run {
            results: vec![
                FileResult {
                    source: "bad\nname.json".into(),
                    findings: vec![],
                    error: Some(format!("not an IAM policy: `{forged}`")),
                    notes: Vec::new(),
                },
                FileResult {
                    source: "t.yaml".into(),
                    findings: vec![LocatedFinding {
                        finding: Finding::new(
                            RuleId::AdminAccess,
                            Severity::Critical,
                            format!("Sid `{forged}`"),
                            format!("remove `{forged}`"),
                        ),
                        location: Location {
                            file: "t\r.yaml".into(),
                            line: Some(3),
                            logical_id: Some("Id\u{1b}[31m".into()),
                            ..Location::default()
                        },
                    }],
                    error: None,
                    notes: Vec::new(),
                },
            ],
            skipped: 0,
        };
        let out = text(&run.results, run.skipped, false);
        assert_eq!(
            out,
            "bad\\nname.json: error: not an IAM policy: `x\\nadmin.json:1: info fake: ok`\n\
             t\\r.yaml:3 (Id\\u{1b}[31m): critical admin-access: Sid `x\\nadmin.json:1: info fake: ok`\n  \
             fix: remove `x\\nadmin.json:1: info fake: ok`\n\
             1 finding in 1 file (1 critical); 1 file could not be checked\n"
        );
        let sarif: Value = serde_json::from_str(&sarif(&run.results)).unwrap();
        let message = sarif["runs"][0]["results"][0]["message"]["text"]
            .as_str()
            .unwrap();
        assert_eq!(message.lines().count(), 2, "{message}");
    }

    #[test]
    fn artifact_uris_are_relative_and_encoded() {
        assert_eq!(artifact_uri("./a/b c.json"), "a/b%20c.json");
        assert!(artifact_uri("/nowhere/x.json").starts_with("file:///nowhere"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            artifact_uri(&cwd.join("t/p.json").display().to_string()),
            "t/p.json"
        );
    }
}
