//! Where each statement of a policy document starts in its text, so that a
//! finding can name a line an editor jumps to.
//!
//! serde_json keeps no positions, so this is a small scanner over the raw
//! JSON that understands just enough (strings, escapes, nesting) to find the
//! top-level `Statement` member and the opening `{` of each statement in it.
//! It never fails: on text it does not understand it returns fewer lines,
//! and a finding then simply has no line.

/// The 1-based line of the opening `{` of each statement, in document order
/// (index `i` is `Statement[i]`; a single-object `Statement` is index 0).
///
/// Returns an empty list for URL-encoded text (its lines mean nothing to a
/// reader) and for text that is not a JSON object with a `Statement`.
pub fn statement_lines(text: &str) -> Vec<usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut s = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
        counted: 0,
        line: 1,
    };
    s.skip_ws();
    if s.peek() != Some(b'{') {
        return Vec::new();
    }
    s.bump();
    // Members of the root object; when a key repeats, serde_json keeps the
    // last value, so the last `Statement` wins here too.
    let mut found = Vec::new();
    loop {
        s.skip_ws();
        match s.peek() {
            Some(b'"') => {}
            _ => return found,
        }
        let Some(key) = s.string() else {
            return found;
        };
        s.skip_ws();
        if s.peek() != Some(b':') {
            return found;
        }
        s.bump();
        s.skip_ws();
        if key == "Statement" {
            match s.peek() {
                Some(b'{') => {
                    found = vec![s.line()];
                    if !s.skip_value() {
                        return found;
                    }
                }
                Some(b'[') => {
                    s.bump();
                    let mut lines = Vec::new();
                    loop {
                        s.skip_ws();
                        match s.peek() {
                            Some(b']') => {
                                s.bump();
                                break;
                            }
                            Some(b',') => s.bump(),
                            Some(b'{') => {
                                lines.push(s.line());
                                if !s.skip_value() {
                                    return lines;
                                }
                            }
                            // A non-object item is still `Statement[i]` to the
                            // parser; keep the numbering aligned.
                            Some(_) => {
                                lines.push(s.line());
                                if !s.skip_value() {
                                    return lines;
                                }
                            }
                            None => return lines,
                        }
                    }
                    found = lines;
                }
                _ => {
                    if !s.skip_value() {
                        return found;
                    }
                }
            }
        } else if !s.skip_value() {
            return found;
        }
        s.skip_ws();
        match s.peek() {
            Some(b',') => s.bump(),
            _ => return found,
        }
    }
}

/// A cursor over the text. Line numbers are counted only when asked for
/// (a few times per document), not at every byte.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where `line` was last brought up to date.
    counted: usize,
    line: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// The 1-based line of the cursor.
    fn line(&mut self) -> usize {
        let end = self.pos.min(self.bytes.len());
        if end > self.counted {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.counted..end]).count();
            self.counted = end;
        }
        self.line
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    /// Reads a string at the cursor and returns it decoded (escapes such as
    /// `\u0053` resolved), or `None` if it is unterminated or malformed.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.bump(); // opening quote
        loop {
            match self.peek()? {
                b'\\' => {
                    self.bump();
                    self.peek()?;
                    self.bump();
                }
                b'"' => {
                    self.bump();
                    break;
                }
                _ => self.bump(),
            }
        }
        let raw = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        serde_json::from_str(raw).ok()
    }

    /// Skips one value of any type; `false` when the text ends first.
    fn skip_value(&mut self) -> bool {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return false,
                Some(b'"') => {
                    if self.string_raw().is_none() {
                        return false;
                    }
                    if depth == 0 {
                        return true;
                    }
                    continue;
                }
                Some(b'{' | b'[') => depth += 1,
                Some(b'}' | b']') => {
                    if depth == 0 {
                        // The end of the enclosing container: the value was empty.
                        return true;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        return true;
                    }
                }
                Some(b',') if depth == 0 => return true,
                Some(_) => {}
            }
            self.bump();
            self.skip_plain();
        }
    }

    /// Moves past bytes that cannot start or end a value (whitespace,
    /// digits, letters of `true`...), which are most of a pretty-printed
    /// document, one table look-up each.
    fn skip_plain(&mut self) {
        const STRUCTURAL: [bool; 256] = {
            let mut t = [false; 256];
            let mut i = 0;
            let marks = *b"\"{}[],";
            while i < marks.len() {
                t[marks[i] as usize] = true;
                i += 1;
            }
            t
        };
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|&b| !STRUCTURAL[b as usize])
        {
            self.pos += 1;
        }
    }

    /// Skips a string without decoding it, jumping from one quote or
    /// backslash to the next.
    fn string_raw(&mut self) -> Option<()> {
        self.bump();
        loop {
            let rest = self.bytes.get(self.pos..)?;
            self.pos += memchr::memchr2(b'"', b'\\', rest)?;
            if self.peek()? == b'"' {
                self.bump();
                return Some(());
            }
            // A backslash escapes the next byte, which must exist.
            self.bump();
            self.peek()?;
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::statement_lines;

    #[test]
    fn lines_of_each_statement_in_an_array() {
        let text = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "A",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/{x}\"]}"
        },
        {"Effect": "Deny", "Action": "*", "Resource": "*"}
    ]
}"#;
        assert_eq!(statement_lines(text), vec![4, 10]);
    }

    #[test]
    fn single_object_statement_is_index_zero() {
        let text = "{\"Version\":\"2012-10-17\",\n\"Statement\":\n  {\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}";
        assert_eq!(statement_lines(text), vec![3]);
    }

    #[test]
    fn nested_statement_keys_are_not_taken_for_the_top_level_one() {
        let text = "{\"Id\": {\"Statement\": [{}]},\n\"Statement\": [\n{}]}";
        assert_eq!(statement_lines(text), vec![3]);
    }

    #[test]
    fn an_escaped_key_is_still_statement() {
        let text = "{\"Statem\\u0065nt\":\n[{}]}";
        assert_eq!(statement_lines(text), vec![2]);
    }

    #[test]
    fn the_last_of_repeated_statement_keys_wins_as_in_serde_json() {
        let text = "{\"Statement\": [{}],\n\"Statement\": [\n{}, {}]}";
        assert_eq!(statement_lines(text), vec![3, 3]);
    }

    #[test]
    fn url_encoded_and_garbage_text_have_no_lines() {
        assert!(statement_lines("%7B%22Statement%22%3A%5B%5D%7D").is_empty());
        assert!(statement_lines("").is_empty());
        assert!(statement_lines("{\"Statement\": [{\"a\": \"unterminated").len() <= 1);
        assert!(statement_lines("[1,2]").is_empty());
    }

    #[test]
    fn a_byte_order_mark_does_not_shift_lines() {
        assert_eq!(statement_lines("\u{feff}{\n\"Statement\": {}}"), vec![2]);
    }
}
