//! Reading CloudTrail evidence: log files as a trail writes them to S3
//! (`{"Records": [...]}`, gzip or plain), EventBridge-wrapped events, a
//! single record, a JSON array of either, and JSON lines; folders
//! recursively.
//!
//! Streamed one file at a time through one reused buffer, so memory follows
//! the largest file, never the number of files. Only the fields `tighten`
//! needs are decoded (borrowed from the buffer where JSON allows); the rest
//! of each record is skipped by the parser without being built.

use crate::policy::Key;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file larger than this, uncompressed, is refused: a trail writes files
/// of a few MB, and a gzip bomb must not take the machine's memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// One CloudTrail record, as far as `tighten` reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    #[serde(borrow)]
    pub event_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub event_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub error_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub error_message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub aws_region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub recipient_account_id: Option<Cow<'a, str>>,
    /// The SDK's agent: `exec-env/AWS_Lambda_...` when the call came from a
    /// Lambda function.
    #[serde(borrow)]
    pub user_agent: Option<Cow<'a, str>>,
    /// `Management`, `Data`, `Insight`, `NetworkActivity`.
    #[serde(borrow)]
    pub event_category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub user_identity: Option<Identity<'a>>,
    #[serde(borrow)]
    pub request_parameters: Option<Params<'a>>,
    #[serde(borrow)]
    pub resources: Option<Vec<ResourceRef<'a>>>,
    /// A trail's log file: the records it holds.
    #[serde(rename = "Records", borrow)]
    pub records: Option<Vec<Record<'a>>>,
    /// An EventBridge event: the CloudTrail record it wraps.
    #[serde(borrow)]
    pub detail: Option<Box<Record<'a>>>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub session_context: Option<SessionContext<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow)]
    pub session_issuer: Option<Issuer<'a>>,
}

/// The role (or user) whose credentials the session uses.
#[derive(Debug, Default, Deserialize)]
pub struct Issuer<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub arn: Option<Cow<'a, str>>,
}

/// One element of `resources[]`.
#[derive(Debug, Default, Deserialize)]
pub struct ResourceRef<'a> {
    #[serde(rename = "ARN", borrow)]
    pub arn: Option<Cow<'a, str>>,
}

impl Record<'_> {
    /// The role whose session made the call: the session issuer of an
    /// assumed-role session.
    pub fn role_arn(&self) -> Option<&str> {
        let issuer = self
            .user_identity
            .as_ref()?
            .session_context
            .as_ref()?
            .session_issuer
            .as_ref()?;
        match issuer.kind.as_deref() {
            Some("Role") | None => issuer.arn.as_deref().filter(|a| a.contains(":role/")),
            Some(_) => None,
        }
    }

    /// The session name of an assumed-role session: for a Lambda execution
    /// role, the function's name (Lambda names the session after it).
    pub fn session_name(&self) -> Option<&str> {
        let arn = self.user_identity.as_ref()?.arn.as_deref()?;
        let rest = arn.split_once(":assumed-role/")?.1;
        rest.split_once('/').map(|(_, session)| session)
    }
}

/// The request parameters `tighten` turns into resource ARNs. Everything
/// else in `requestParameters` is skipped unbuilt.
#[derive(Debug, Default)]
pub struct Params<'a> {
    pub values: Vec<(Param, Cow<'a, str>)>,
}

impl<'a> Params<'a> {
    /// The values of one parameter, in record order.
    pub fn get(&self, which: Param) -> impl Iterator<Item = &str> + '_ {
        self.values
            .iter()
            .filter(move |(p, _)| *p == which)
            .map(|(_, v)| v.as_ref())
    }

    pub fn first(&self, which: Param) -> Option<&str> {
        self.get(which).next()
    }
}

/// A request parameter that names a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    BucketName,
    Key,
    TableName,
    QueueUrl,
    FunctionName,
    TopicArn,
    TargetArn,
    SecretId,
    Name,
    StreamName,
    StreamArn,
    StateMachineArn,
    LogGroupName,
    KeyId,
    IndexName,
}

impl Param {
    fn of(key: &str) -> Option<Param> {
        const KEYS: [(&str, Param); 17] = [
            ("bucketName", Param::BucketName),
            ("key", Param::Key),
            ("tableName", Param::TableName),
            ("queueUrl", Param::QueueUrl),
            ("functionName", Param::FunctionName),
            ("topicArn", Param::TopicArn),
            ("targetArn", Param::TargetArn),
            ("secretId", Param::SecretId),
            ("name", Param::Name),
            ("names", Param::Name),
            ("streamName", Param::StreamName),
            ("streamARN", Param::StreamArn),
            ("stateMachineArn", Param::StateMachineArn),
            ("logGroupName", Param::LogGroupName),
            ("keyId", Param::KeyId),
            ("indexName", Param::IndexName),
            // `BatchGetItem`/`BatchWriteItem`: the keys of this map are tables.
            ("requestItems", Param::TableName),
        ];
        KEYS.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, p)| *p)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Params<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Params<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of request parameters")
            }
            fn visit_unit<E>(self) -> Result<Params<'a>, E> {
                Ok(Params::default())
            }
            // Not an object: nothing names a resource (lenient, as the
            // rest of the record is still worth reading).
            fn visit_str<E>(self, _: &str) -> Result<Params<'a>, E> {
                Ok(Params::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Params<'a>, E> {
                Ok(Params::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Params<'a>, E> {
                Ok(Params::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Params<'a>, E> {
                Ok(Params::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Params<'a>, E> {
                Ok(Params::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Params<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Params::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params<'a>, A::Error> {
                let mut values = Vec::new();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match Param::of(&key) {
                        Some(p) => {
                            let strings = map.next_value::<Strings<'de>>()?;
                            values.extend(strings.0.into_iter().map(|s| (p, s)));
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Params { values })
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The strings a parameter value names: itself when a string, its elements
/// when an array of strings, its keys when an object (`requestItems`).
struct Strings<'a>(Vec<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Strings<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a parameter value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Strings<'de>, E> {
                Ok(Strings(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strings<'de>, E> {
                Ok(Strings(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_string<E>(self, v: String) -> Result<Strings<'de>, E> {
                Ok(Strings(vec![Cow::Owned(v)]))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Strings<'de>, E> {
                Ok(Strings(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Strings<'de>, E> {
                Ok(Strings(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Strings<'de>, E> {
                Ok(Strings(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Strings<'de>, E> {
                Ok(Strings(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Strings<'de>, E> {
                Ok(Strings(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Strings<'de>>()? {
                    // Only flat strings: nested objects are not names.
                    if s.0.len() == 1 {
                        out.extend(s.0);
                    }
                }
                Ok(Strings(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strings<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    map.next_value::<IgnoredAny>()?;
                    out.push(k);
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A file of evidence that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub problem: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.problem)
    }
}

/// What the reader went through.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadStats {
    pub files: usize,
    /// Uncompressed bytes parsed.
    pub bytes: u64,
    pub records: u64,
}

/// Calls `visit` with every evidence file under `paths`, or with why a path
/// cannot be read: a file as given, a folder's files whose names end in
/// `.json`, `.json.gz`, `.jsonl`, `.jsonl.gz` or `.ndjson`, recursively, in
/// name order. The walk is lazy (one folder's listing at a time), so a year
/// of log files costs no more memory than an hour. Digest files
/// (`CloudTrail-Digest`) hold no records and are left out. Symlinked
/// folders are not followed (no loops); symlinked files are.
pub fn for_each_file(paths: &[PathBuf], visit: &mut dyn FnMut(Result<&Path, FileError>)) {
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, visit),
            Ok(m) if m.is_file() => visit(Ok(p)),
            Ok(_) => visit(Err(FileError {
                file: p.display().to_string(),
                problem: "not a regular file or folder".into(),
            })),
            Err(e) => visit(Err(FileError {
                file: p.display().to_string(),
                problem: format!("cannot read: {e}"),
            })),
        }
    }
}

fn walk(dir: &Path, visit: &mut dyn FnMut(Result<&Path, FileError>)) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            visit(Err(FileError {
                file: dir.display().to_string(),
                problem: format!("cannot read folder: {e}"),
            }));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let Ok(link) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if link.is_dir() {
            if p.file_name().is_some_and(|n| n == "CloudTrail-Digest") {
                continue;
            }
            walk(&p, visit);
        } else if is_evidence_name(&p) && std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
            visit(Ok(&p));
        }
    }
}

fn is_evidence_name(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [
        ".json",
        ".json.gz",
        ".jsonl",
        ".jsonl.gz",
        ".ndjson",
        ".ndjson.gz",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// Reads files one at a time into one reused buffer.
#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
    pub stats: ReadStats,
}

impl Reader {
    /// Reads `path` (gzip when it starts with gzip's magic bytes, whatever
    /// its name) and calls `sink` with each record in it.
    pub fn read_file(
        &mut self,
        path: &Path,
        sink: &mut dyn FnMut(&Record<'_>),
    ) -> Result<(), FileError> {
        let err = |problem: String| FileError {
            file: path.display().to_string(),
            problem,
        };
        self.buf.clear();
        let mut file = std::fs::File::open(path).map_err(|e| err(format!("cannot open: {e}")))?;
        let mut head = [0u8; 2];
        let n = read_up_to(&mut file, &mut head).map_err(|e| err(format!("cannot read: {e}")))?;
        let gzip = n == 2 && head == [0x1f, 0x8b];
        let rest = std::io::Cursor::new(head[..n].to_vec()).chain(file);
        let limit = MAX_FILE_BYTES + 1;
        let read = if gzip {
            flate2::read::MultiGzDecoder::new(rest)
                .take(limit)
                .read_to_end(&mut self.buf)
        } else {
            rest.take(limit).read_to_end(&mut self.buf)
        };
        read.map_err(|e| {
            err(if gzip {
                format!("not a valid gzip file: {e}")
            } else {
                format!("cannot read: {e}")
            })
        })?;
        if self.buf.len() as u64 > MAX_FILE_BYTES {
            return Err(err(format!(
                "larger than {} MiB uncompressed; split it",
                MAX_FILE_BYTES >> 20
            )));
        }
        self.stats.files += 1;
        self.stats.bytes += self.buf.len() as u64;
        let records = parse(&self.buf, sink).map_err(err)?;
        self.stats.records += records;
        Ok(())
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parses one file's text: a document (log file, event, record, array of
/// them) or JSON lines. Returns how many records it held.
pub fn parse(text: &[u8], sink: &mut dyn FnMut(&Record<'_>)) -> Result<u64, String> {
    if is_json_lines(text) {
        let mut count = 0;
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            count += parse_document(line, sink)
                .map_err(|e| format!("line {}: not valid JSON: {e}", i + 1))?;
        }
        Ok(count)
    } else {
        parse_document(text, sink).map_err(|e| format!("not valid JSON: {e}"))
    }
}

/// JSON lines: a first line that is a whole JSON value by itself, with more
/// text after it. (A trail's log file is one line; a pretty-printed
/// document's first line is not a whole value.)
fn is_json_lines(text: &[u8]) -> bool {
    let Some(nl) = text.iter().position(|&b| b == b'\n') else {
        return false;
    };
    if text[nl..].iter().all(u8::is_ascii_whitespace) {
        return false;
    }
    let first = &text[..nl];
    !first.iter().all(u8::is_ascii_whitespace)
        && serde_json::from_slice::<IgnoredAny>(first).is_ok()
}

fn parse_document(
    text: &[u8],
    sink: &mut dyn FnMut(&Record<'_>),
) -> Result<u64, serde_json::Error> {
    let doc: Doc<'_> = serde_json::from_slice(text)?;
    let mut count = 0;
    match &doc {
        Doc::One(r) => emit(r, sink, &mut count),
        Doc::Many(rs) => rs.iter().for_each(|r| emit(r, sink, &mut count)),
    }
    Ok(count)
}

/// A log file, an event or a record; or an array of them.
enum Doc<'a> {
    One(Box<Record<'a>>),
    Many(Vec<Record<'a>>),
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Doc<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CloudTrail log file, event or record, or an array of them")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Doc<'de>, A::Error> {
                Record::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|r| Doc::One(Box::new(r)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Doc<'de>, A::Error> {
                Vec::<Record<'de>>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Doc::Many)
            }
        }
        d.deserialize_any(V)
    }
}

/// Calls `sink` with the records `r` holds: a log file's `Records`, an
/// event's `detail`, or `r` itself when it is a record.
fn emit(r: &Record<'_>, sink: &mut dyn FnMut(&Record<'_>), count: &mut u64) {
    if let Some(records) = &r.records {
        for rec in records {
            emit(rec, sink, count);
        }
    } else if let Some(detail) = &r.detail {
        emit(detail, sink, count);
    } else if r.event_name.is_some() {
        *count += 1;
        sink(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        parse(text.as_bytes(), &mut |r| {
            out.push(r.event_name.as_deref().unwrap_or_default().to_string())
        })
        .unwrap();
        out
    }

    #[test]
    fn every_shape_yields_its_records() {
        let rec = r#"{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#;
        assert_eq!(names(&format!(r#"{{"Records":[{rec},{rec}]}}"#)).len(), 2);
        assert_eq!(
            names(&format!(
                r#"{{"detail-type":"AWS API Call via CloudTrail","detail":{rec}}}"#
            )),
            ["GetObject"]
        );
        assert_eq!(names(rec), ["GetObject"]);
        assert_eq!(names(&format!("[{rec},{rec},{rec}]")).len(), 3);
        assert_eq!(names(&format!("{rec}\n\n{rec}\n")).len(), 2);
        let pretty = format!("{{\n  \"Records\": [\n{rec}\n]\n}}\n");
        assert_eq!(names(&pretty).len(), 1);
    }

    #[test]
    fn request_parameters_keep_only_names() {
        let text = r#"{"eventName":"BatchGetItem","requestParameters":{"requestItems":{"Orders":{"keys":[]},"Users":{}},"bucketName":"b","x":{"deep":[1,2]},"names":["/a","/b"],"key":5}}"#;
        parse(text.as_bytes(), &mut |r| {
            let p = r.request_parameters.as_ref().unwrap();
            assert_eq!(
                p.get(Param::TableName).collect::<Vec<_>>(),
                ["Orders", "Users"]
            );
            assert_eq!(p.first(Param::BucketName), Some("b"));
            assert_eq!(p.get(Param::Name).collect::<Vec<_>>(), ["/a", "/b"]);
            assert_eq!(p.first(Param::Key), None);
        })
        .unwrap();
    }

    #[test]
    fn request_parameters_of_another_type_are_ignored() {
        let text = r#"[{"eventName":"A","requestParameters":"text"},{"eventName":"B","requestParameters":[1,{"x":2}]}]"#;
        assert_eq!(parse(text.as_bytes(), &mut |_| {}).unwrap(), 2);
    }

    #[test]
    fn bad_json_names_the_line() {
        let err = parse(b"{\"eventName\":\"A\"}\n{oops\n", &mut |_| {}).unwrap_err();
        assert!(err.starts_with("line 2: not valid JSON"), "{err}");
    }
}
