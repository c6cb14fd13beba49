//! IAM's wildcard algebra on resource strings.
//!
//! In a policy's `Resource`, `*` matches any run of characters and `?` any one
//! character, both crossing `:` and `/`, and matching is case-sensitive
//! (`arn:aws:logs:*` covers every log group and stream). Besides matching one
//! ARN, the rules need to compare two *patterns*: does a grant cover every
//! ARN a resource type can have ([`covers`]), or could it name one of them at
//! all ([`intersects`])? Both are decided exactly for patterns made of
//! literals, `*` and `?`, with a table over the two strings (patterns are
//! short: a few hundred cells).

/// Whether `pattern` matches `text`, IAM's way (case-sensitive; `*` any run,
/// `?` any one character).
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Whether every string `inner` can match is matched by `outer`: `outer`
/// covers `inner`. `inner`'s `*` stands for any run (so only a `*` of `outer`
/// covers it), its `?` for any one character.
///
/// `covers("arn:aws:*", "arn:aws:iam::*:role/*")` is true;
/// `covers("arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:role/*")` is not.
pub fn covers(outer: &str, inner: &str) -> bool {
    let (p, q) = (outer.as_bytes(), inner.as_bytes());
    // ok[i][j]: outer[i..] covers inner[j..]. Filled from the ends.
    let w = q.len() + 1;
    let mut ok = vec![false; (p.len() + 1) * w];
    ok[p.len() * w + q.len()] = true;
    for i in (0..=p.len()).rev() {
        for j in (0..=q.len()).rev() {
            if i == p.len() {
                if j < q.len() {
                    ok[i * w + j] = false;
                }
                continue;
            }
            ok[i * w + j] = if p[i] == b'*' {
                // The star matches nothing more, or swallows one more symbol
                // of `inner` (a literal, `?` or `*`).
                ok[(i + 1) * w + j] || (j < q.len() && ok[i * w + j + 1])
            } else if j == q.len() || q[j] == b'*' {
                // A literal or `?` cannot stand for "any run".
                false
            } else if p[i] == b'?' {
                ok[(i + 1) * w + j + 1]
            } else {
                p[i] == q[j] && ok[(i + 1) * w + j + 1]
            };
        }
    }
    ok[0]
}

/// Whether some string matches both patterns.
pub fn intersects(a: &str, b: &str) -> bool {
    let (p, q) = (a.as_bytes(), b.as_bytes());
    let w = q.len() + 1;
    let mut ok = vec![false; (p.len() + 1) * w];
    for i in (0..=p.len()).rev() {
        for j in (0..=q.len()).rev() {
            ok[i * w + j] = match (p.get(i), q.get(j)) {
                (None, None) => true,
                (Some(b'*'), _) if ok[(i + 1) * w + j] => true,
                (_, Some(b'*')) if ok[i * w + j + 1] => true,
                (Some(b'*'), Some(_)) => ok[i * w + j + 1],
                (Some(_), Some(b'*')) => ok[(i + 1) * w + j],
                (Some(&x), Some(&y)) => {
                    (x == b'?' || y == b'?' || x == y) && ok[(i + 1) * w + j + 1]
                }
                _ => false,
            };
        }
    }
    ok[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_case_sensitive_and_crosses_separators() {
        assert!(matches(
            "arn:aws:logs:*",
            "arn:aws:logs:us-east-1:1:log-group:/a/b:*"
        ));
        assert!(matches("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/a.txt"));
        assert!(!matches("arn:aws:s3:::B/*", "arn:aws:s3:::b/x"));
        // A `*` in the text is a plain character to the pattern's `*`.
        assert!(matches("a:*", "a:*:b"));
    }

    #[test]
    fn covers_judges_every_string_of_the_inner_pattern() {
        let role = "arn:aws:iam::*:role/*";
        for outer in [
            "*",
            "arn:*",
            "arn:aws:*",
            "arn:aws:*:*:*:*",
            "arn:aws:iam::*:*",
            role,
        ] {
            assert!(covers(outer, role), "{outer}");
        }
        for outer in [
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::*:role/app-*",
            "arn:aws:iam::?:role/*",
            "arn:aws:s3:::*",
        ] {
            assert!(!covers(outer, role), "{outer}");
        }
        assert!(covers(
            "arn:aws:iam::111122223333:*",
            "arn:aws:iam::111122223333:role/*"
        ));
        assert!(covers("a?c", "abc") && !covers("a?c", "a*c"));
        assert!(covers("**", "") && covers("", "") && !covers("", "*"));
    }

    #[test]
    fn intersects_finds_a_common_string() {
        assert!(intersects(
            "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/*",
            "arn:aws:logs:*:*:log-group:/aws/lambda/f:*"
        ));
        assert!(intersects("arn:aws:logs:*", "arn:aws:logs:r:1:log-group:x"));
        assert!(!intersects("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"));
        assert!(intersects("a?", "*b") && !intersects("a", "*b"));
    }
}
