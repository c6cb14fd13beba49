//! Reads a template (YAML or JSON) into a small tree that keeps line numbers
//! and turns CloudFormation's short-form tags into their long form
//! (`!Ref X` → `{"Ref": "X"}`, `!Sub s` → `{"Fn::Sub": s}`), so the rest of
//! the template code sees one shape.
//!
//! Built on `libyaml-safer`, a safe-Rust port of libyaml: cfn-lint and the
//! SAM CLI load templates with PyYAML, whose scanner is libyaml's, so doorman
//! accepts the same documents they accept. A YAML 1.2 parser such as
//! saphyr-parser refuses a common way to inline a JSON policy, a flow mapping
//! or quoted scalar whose continuation lines are less indented than its key,
//! which PyYAML reads without complaint. Its event API keeps tags (`!Ref`)
//! and positions; a value-level YAML crate would lose both.
//!
//! Duplicate mapping keys are an error naming both lines, as in cfn-lint
//! (E0000): keeping either value silently could hide what CloudFormation
//! deploys (`AuthType: AWS_IAM` then `AuthType: NONE`).

use libyaml_safer::{EventData, Parser, ScalarStyle};

/// One value of the template and the line it starts on (1-based; 0 when not
/// known, e.g. a JSON template read by the JSON fallback).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Every scalar as text: IAM reads `true` and `"true"` alike, and a
    /// number in a policy is a string to the rules.
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping, with the key's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_line: usize,
    pub value: Node,
}

impl Node {
    fn new(line: usize, value: Value) -> Self {
        Node { line, value }
    }

    /// The value of `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The items of a sequence; a single value counts as a one-item list, as
    /// CloudFormation and IAM accept for most list properties.
    pub fn items(&self) -> Vec<&Node> {
        match &self.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            _ => vec![self],
        }
    }

    /// The single key of a one-key mapping (an intrinsic function call).
    pub fn single_key(&self) -> Option<(&str, &Node)> {
        match &self.value {
            Value::Map(e) if e.len() == 1 => Some((e[0].key.as_str(), &e[0].value)),
            _ => None,
        }
    }
}

/// Nodes an input may expand to through aliases before it is refused (a
/// "billion laughs" document must not exhaust memory).
const MAX_NODES: usize = 1_000_000;

/// How deep mappings and sequences may nest before the input is refused:
/// real templates stay far below it, and the tree is walked recursively, so
/// a pathological `[[[[...` must not overflow the stack.
const MAX_DEPTH: usize = 256;

/// Parses a YAML (or JSON, a YAML subset) template. The error names the
/// problem and where it is; a key written twice in one mapping is an error
/// naming both lines.
pub fn parse(text: &str) -> Result<Node, String> {
    let (node, duplicates) = parse_lenient(text)?;
    match duplicates.first() {
        None => Ok(node),
        Some(d) => Err(d.to_string()),
    }
}

/// A key written twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub key: String,
    pub first_line: usize,
    pub line: usize,
}

impl std::fmt::Display for Duplicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "duplicate key `{}` at line {} (first at line {}): a key may appear once in a mapping (cfn-lint E0000), and tools disagree on which value is deployed",
            self.key.escape_default(),
            self.line,
            self.first_line
        )
    }
}

/// Parses like [`parse`], but returns the tree even when keys repeat (the
/// first value kept), with the repeats: enough to tell that a text is a
/// template, which must then be reported, not skipped.
pub fn parse_lenient(text: &str) -> Result<(Node, Vec<Duplicate>), String> {
    match parse_yaml(text) {
        Ok(parsed) => Ok(parsed),
        Err(yaml_err) => {
            let trimmed = text.trim_start_matches('\u{feff}').trim_start();
            if !trimmed.starts_with('{') {
                return Err(yaml_err);
            }
            // JSON writes a character outside the BMP as a surrogate pair
            // (`\ud83d\ude00`), which YAML refuses: spelt as YAML's
            // `\U0001F600`, the text keeps its lines and duplicate keys are
            // still caught.
            if let Some(rewritten) = surrogate_pairs_as_yaml(text) {
                if let Ok(parsed) = parse_yaml(&rewritten) {
                    return Ok(parsed);
                }
            }
            // Other JSON that is not YAML: read as JSON, without line
            // numbers, rather than fail.
            match serde_json::from_str::<serde_json::Value>(trimmed) {
                Ok(v) => Ok((from_json(&v), Vec::new())),
                Err(_) => Err(yaml_err),
            }
        }
    }
}

/// `text` with each JSON surrogate-pair escape in a string rewritten as
/// YAML's 8-digit `\U` escape; `None` when it has none.
fn surrogate_pairs_as_yaml(text: &str) -> Option<String> {
    let hex = |s: &str| u32::from_str_radix(s, 16).ok();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string && c == '\\' {
            let pair = rest
                .get(2..6)
                .and_then(hex)
                .filter(|h| (0xD800..0xDC00).contains(h))
                .zip(
                    rest.get(6..8)
                        .filter(|e| *e == "\\u")
                        .and_then(|_| rest.get(8..12))
                        .and_then(hex)
                        .filter(|l| (0xDC00..0xE000).contains(l)),
                );
            if let (Some("u"), Some((high, low))) = (rest.get(1..2), pair) {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                out.push_str(&format!("\\U{code:08X}"));
                rest = &rest[12..];
                changed = true;
                continue;
            }
            // Any other escape: copy it whole, so `\"` does not end the string.
            let len = rest[1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&rest[..1 + len]);
            rest = &rest[1 + len..];
            continue;
        }
        if c == '"' {
            in_string = !in_string;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    changed.then_some(out)
}

enum Frame {
    Seq {
        line: usize,
        anchor: Option<String>,
        tag: Option<String>,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: Option<String>,
        tag: Option<String>,
        entries: Vec<Entry>,
        key: Option<(String, usize)>,
    },
}

fn yaml_error(e: &libyaml_safer::Error) -> String {
    let mut msg = format!("not valid YAML: {}", e.problem());
    if let Some(context) = e.context() {
        msg = format!("{msg} ({context})");
    }
    match e.problem_mark() {
        Some(m) => format!("{msg} at line {} column {}", m.line + 1, m.column + 1),
        None => msg,
    }
}

/// Parses with libyaml-safer, turning a panic of the parser into an error.
/// libyaml-safer 0.3.0 panics on a few malformed inputs where libyaml (and
/// PyYAML) report an error: a document ending inside an escape (`"\`), a
/// tag followed by `,` in a flow collection (`[!Ref, x]`). Bad input must be
/// an error naming the file, never a crash (`panic = "unwind"` is set in the
/// release profile, so the panic can be caught).
fn parse_yaml(text: &str) -> Result<(Node, Vec<Duplicate>), String> {
    quiet_parser_panics();
    std::panic::catch_unwind(|| parse_events(text)).unwrap_or_else(|_| {
        Err("not valid YAML: the parser stopped on malformed input (an escape cut off by the end of the file, or a tag followed by `,`?)".to_string())
    })
}

/// Keeps the panics of the YAML parser, which [`parse_yaml`] catches and
/// reports as errors, off standard error; every other panic is reported as
/// before.
fn quiet_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let from_parser = info
                .location()
                .is_some_and(|l| l.file().contains("libyaml-safer"));
            if !from_parser {
                previous(info);
            }
        }));
    });
}

fn parse_events(text: &str) -> Result<(Node, Vec<Duplicate>), String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: std::collections::HashMap<String, Node> = std::collections::HashMap::new();
    let mut duplicates = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut parser = Parser::new();
    parser.set_input(text.as_bytes());
    for item in parser {
        let event = item.map_err(|e| yaml_error(&e))?;
        let line = usize::try_from(event.start_mark.line).unwrap_or(usize::MAX - 1) + 1;
        let done = match event.data {
            EventData::StreamStart { .. }
            | EventData::DocumentStart { .. }
            | EventData::StreamEnd => None,
            EventData::DocumentEnd { .. } => {
                // CloudFormation reads the first document only.
                if root.is_some() {
                    break;
                }
                None
            }
            EventData::Alias { anchor } => {
                let node = anchors
                    .get(&anchor)
                    .cloned()
                    .ok_or_else(|| format!("not valid YAML: unknown alias at line {line}"))?;
                // An alias copies its node here: it must not nest deeper
                // than a written value may.
                if stack.len() + depth(&node) > MAX_DEPTH {
                    return Err(format!(
                        "not valid YAML: nested deeper than {MAX_DEPTH} levels (through aliases) at line {line}"
                    ));
                }
                nodes += count(&node);
                Some(node)
            }
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                let plain = style == ScalarStyle::Plain;
                let v = if plain
                    && tag.is_none()
                    && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(value)
                };
                let node = apply_tag(tag.as_deref(), Node::new(line, v));
                if let Some(a) = anchor {
                    anchors.insert(a, node.clone());
                }
                Some(node)
            }
            EventData::SequenceStart { .. } | EventData::MappingStart { .. }
                if stack.len() >= MAX_DEPTH =>
            {
                return Err(format!(
                    "not valid YAML: nested deeper than {MAX_DEPTH} levels at line {line} column {}",
                    event.start_mark.column + 1
                ));
            }
            EventData::SequenceStart { anchor, tag, .. } => {
                stack.push(Frame::Seq {
                    line,
                    anchor,
                    tag,
                    items: Vec::new(),
                });
                None
            }
            EventData::MappingStart { anchor, tag, .. } => {
                stack.push(Frame::Map {
                    line,
                    anchor,
                    tag,
                    entries: Vec::new(),
                    key: None,
                });
                None
            }
            EventData::SequenceEnd | EventData::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    line,
                    anchor,
                    tag,
                    items,
                }) => {
                    let node = apply_tag(tag.as_deref(), Node::new(line, Value::Seq(items)));
                    if let Some(a) = anchor {
                        anchors.insert(a, node.clone());
                    }
                    Some(node)
                }
                Some(Frame::Map {
                    line,
                    anchor,
                    tag,
                    entries,
                    ..
                }) => {
                    let node = apply_tag(tag.as_deref(), Node::new(line, Value::Map(entries)));
                    if let Some(a) = anchor {
                        anchors.insert(a, node.clone());
                    }
                    Some(node)
                }
                None => None,
            },
        };
        let Some(node) = done else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(
                "not valid YAML: the document expands to too many values (aliases?)".into(),
            );
        }
        match stack.last_mut() {
            None => {
                if root.is_none() {
                    root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let k = match &node.value {
                        Value::Scalar(s) => s.clone(),
                        Value::Null => String::new(),
                        _ => "<complex key>".to_string(),
                    };
                    *key = Some((k, node.line));
                }
                Some((k, key_line)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == k) {
                        duplicates.push(Duplicate {
                            key: k,
                            first_line: first.key_line,
                            line: key_line,
                        });
                    } else {
                        entries.push(Entry {
                            key: k,
                            key_line,
                            value: node,
                        });
                    }
                }
            },
        }
    }
    Ok((root.unwrap_or(Node::new(1, Value::Null)), duplicates))
}

/// Levels of mappings and sequences in `node` (0 for a scalar).
fn depth(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Map(entries) => 1 + entries.iter().map(|e| depth(&e.value)).max().unwrap_or(0),
        _ => 0,
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(entries) => entries.iter().map(|e| count(&e.value)).sum(),
        _ => 0,
    }
}

/// Turns a short-form intrinsic tag into its long form. Core-schema tags
/// (`!!str`) and unknown tags leave the value as it is.
fn apply_tag(tag: Option<&str>, node: Node) -> Node {
    let Some(tag) = tag else { return node };
    let Some(name) = tag.strip_prefix('!') else {
        return node;
    };
    let key = match name {
        "Ref" => "Ref".to_string(),
        "Condition" => "Condition".to_string(),
        "GetAtt" | "Sub" | "If" | "Join" | "Select" | "Split" | "FindInMap" | "ImportValue"
        | "Equals" | "Not" | "And" | "Or" | "Base64" | "GetAZs" | "Cidr" | "Length"
        | "ToJsonString" | "Transform" => format!("Fn::{name}"),
        _ => return node,
    };
    let line = node.line;
    Node::new(
        line,
        Value::Map(vec![Entry {
            key,
            key_line: line,
            value: node,
        }]),
    )
}

fn from_json(v: &serde_json::Value) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Scalar(b.to_string()),
        J::Number(n) => Value::Scalar(n.to_string()),
        J::String(s) => Value::Scalar(s.clone()),
        J::Array(items) => Value::Seq(items.iter().map(from_json).collect()),
        J::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Entry {
                    key: k.clone(),
                    key_line: 0,
                    value: from_json(v),
                })
                .collect(),
        ),
    };
    Node::new(0, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_tags_become_long_form_with_lines() {
        let n = parse("a: !Ref X\nb:\n  - !GetAtt Y.Arn\n  - !Sub\n    - '${A}'\n    - A: 1\n")
            .unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(a.line, 1);
        assert_eq!(a.single_key().unwrap().0, "Ref");
        assert_eq!(a.get("Ref").unwrap().as_str(), Some("X"));
        let b = n.get("b").unwrap().items();
        assert_eq!(b[0].single_key().unwrap().0, "Fn::GetAtt");
        assert_eq!(b[0].line, 3);
        assert_eq!(b[1].single_key().unwrap().0, "Fn::Sub");
        assert_eq!(n.entry("b").unwrap().key_line, 2);
    }

    #[test]
    fn json_parses_with_lines() {
        let n = parse("{\n  \"Resources\": {\n    \"R\": {\"Type\": \"T\"}\n  }\n}").unwrap();
        assert_eq!(n.entry("Resources").unwrap().key_line, 2);
        assert_eq!(n.get("Resources").unwrap().entry("R").unwrap().key_line, 3);
    }

    #[test]
    fn invalid_yaml_names_line_and_column() {
        let err = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.starts_with("not valid YAML: "), "{err}");
        assert!(err.contains(" at line "), "{err}");
    }

    #[test]
    fn under_indented_flow_and_quoted_continuations_parse_as_pyyaml_does() {
        let text = "a:\n  b: {\"k\": [1,\n2], \"m\": !Ref X}\n  c: \"one\n two\"\nd: 1\n";
        let n = parse(text).unwrap();
        let b = n.get("a").unwrap().get("b").unwrap();
        assert_eq!(b.get("k").unwrap().items().len(), 2);
        assert_eq!(b.get("m").unwrap().single_key().unwrap().0, "Ref");
        let c = n.get("a").unwrap().entry("c").unwrap();
        assert_eq!((c.value.as_str(), c.key_line), (Some("one two"), 4));
        assert_eq!(n.entry("d").unwrap().key_line, 6);
    }

    #[test]
    fn json_surrogate_pairs_keep_lines_and_duplicate_checks() {
        let text = "{\"a\": \"smile \\ud83d\\ude00 \\\" \\\\\",\n \"b\": 1,\n \"b\": 2}";
        let err = parse(text).unwrap_err();
        assert!(
            err.starts_with("duplicate key `b` at line 3 (first at line 2)"),
            "{err}"
        );
        let n = parse("{\"a\": \"x\\ud83d\\ude00\",\n \"b\": 1}").unwrap();
        assert_eq!(n.get("a").unwrap().as_str(), Some("x\u{1F600}"));
        assert_eq!(n.entry("b").unwrap().key_line, 2);
    }

    #[test]
    fn duplicate_keys_are_an_error_naming_both_lines() {
        let err = parse("R:\n  AuthType: AWS_IAM\n  Other: 1\n  AuthType: NONE\n").unwrap_err();
        assert!(
            err.starts_with("duplicate key `AuthType` at line 4 (first at line 2)"),
            "{err}"
        );
        let (tree, dups) = parse_lenient("R: 1\nR: 2\n").unwrap();
        assert_eq!(tree.get("R").unwrap().as_str(), Some("1"));
        assert_eq!(dups.len(), 1);
        // The same key in two different mappings is no duplicate.
        assert!(parse("a: {k: 1}\nb: {k: 2}\n").is_ok());
    }

    #[test]
    fn inputs_that_make_the_parser_panic_are_errors() {
        for text in [
            "{\"Resources\": \"\\",
            "a: [!Ref, x]\n",
            "a: {b: !Sub, c: d}\n",
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with("not valid YAML: "), "{text:?}: {err}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(&deep).unwrap_err();
        assert!(err.contains("nested deeper than 256 levels"), "{err}");
        let fine = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(parse(&fine).is_ok());
        // Aliases cannot stack one deep value inside another.
        let mut chain = String::new();
        for i in 0..6 {
            let inner = if i == 0 {
                "x".to_string()
            } else {
                format!("*a{}", i - 1)
            };
            chain.push_str(&format!(
                "a{i}: &a{i} {}{inner}{}\n",
                "[".repeat(100),
                "]".repeat(100)
            ));
        }
        let err = parse(&chain).unwrap_err();
        assert!(err.contains("through aliases"), "{err}");
    }

    #[test]
    fn aliases_are_expanded_and_bounded() {
        let n = parse("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(n.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse(&bomb).unwrap_err().contains("too many values"));
    }
}
