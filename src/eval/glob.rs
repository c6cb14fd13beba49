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
    crate::catalog::glob_match_by(pattern, text, |a, b| a == b)
}

/// Whether every string `inner` can match is matched by `outer`: `outer`
/// covers `inner`. `inner`'s `*` stands for any run (so only a `*` of `outer`
/// covers it), its `?` for any one character.
///
/// `covers("arn:aws:*", "arn:aws:iam::*:role/*")` is true;
/// `covers("arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:role/*")` is not.
pub fn covers(outer: &str, inner: &str) -> bool {
    let (p, q) = (outer.as_bytes(), inner.as_bytes());
    if !p.contains(&b'*') {
        // Without a star, `outer` cannot cover a star, nor a longer string.
        return q.len() == p.len() && !q.contains(&b'*') && covers_literal(p, q);
    }
    // With `outer` used up, only the empty rest of `inner` is covered.
    table(p, q, false, |p, q, i, j, next, here| {
        // next[j]: outer[i+1..] covers inner[j..]; here[j+1]: outer[i..]
        // covers inner[j+1..].
        if p[i] == b'*' {
            // The star matches nothing more, or swallows one more symbol of
            // `inner` (a literal, `?` or `*`).
            next[j] || (j < q.len() && here[j + 1])
        } else if j == q.len() || q[j] == b'*' {
            // A literal or `?` cannot stand for "any run".
            false
        } else if p[i] == b'?' {
            next[j + 1]
        } else {
            p[i] == q[j] && next[j + 1]
        }
    })
}

fn covers_literal(p: &[u8], q: &[u8]) -> bool {
    p.iter()
        .zip(q)
        .all(|(&a, &b)| a == b || (a == b'?' && b != b'*'))
}

/// Whether some string matches both patterns.
pub fn intersects(a: &str, b: &str) -> bool {
    let (p, q) = (a.as_bytes(), b.as_bytes());
    // With `a` used up, `b`'s rest must be stars that match nothing.
    table(p, q, true, |p, q, i, j, next, here| {
        match (p[i], q.get(j)) {
            (b'*', _) if next[j] => true,
            (_, Some(b'*')) if here[j + 1] => true,
            (b'*', Some(_)) => here[j + 1],
            (_, Some(b'*')) => next[j],
            (x, Some(&y)) => (x == b'?' || y == b'?' || x == y) && next[j + 1],
            (_, None) => false,
        }
    })
}

/// [`covers`], with cheap answers first for the ARN patterns of real
/// policies (thousands per policy set): a string `inner` generates that
/// `outer` does not match refutes it; `outer` covering `inner` field by
/// `:`-field proves it. Only what neither settles goes to the full table.
/// The same answer as [`covers`].
pub fn covers_arn(outer: &str, inner: &str) -> bool {
    if !matches(outer, &witness(inner, "")) || !matches(outer, &witness(inner, "x")) {
        return false;
    }
    if let (Some(o), Some(i)) = (split_arn(outer), split_arn(inner)) {
        if o.iter().zip(&i).all(|(o, i)| covers(o, i)) {
            return true;
        }
    }
    covers(outer, inner)
}

/// [`intersects`], with cheap answers first: a string of one pattern that
/// the other matches proves it, fields that intersect pairwise prove it.
/// The same answer as [`intersects`].
pub fn intersects_arn(a: &str, b: &str) -> bool {
    if matches(a, &witness(b, "")) || matches(b, &witness(a, "")) {
        return true;
    }
    if let (Some(x), Some(y)) = (split_arn(a), split_arn(b)) {
        if x.iter().zip(&y).all(|(x, y)| intersects(x, y)) {
            return true;
        }
    }
    intersects(a, b)
}

/// A pattern compared with many others ([`covers_arn_prepared`],
/// [`intersects_arn_prepared`]): its witnesses are built once.
#[derive(Debug, Clone)]
pub struct Prepared {
    text: String,
    /// The pattern with every `*` empty and every `?` an `x`.
    empty: String,
    /// The pattern with every `*` and `?` an `x`.
    one: String,
}

impl Prepared {
    pub fn new(text: String) -> Self {
        Prepared {
            empty: witness(&text, ""),
            one: witness(&text, "x"),
            text,
        }
    }
}

/// [`covers_arn`] with the inner pattern prepared.
pub fn covers_arn_prepared(outer: &str, inner: &Prepared) -> bool {
    if !matches(outer, &inner.empty) || !matches(outer, &inner.one) {
        return false;
    }
    if let (Some(o), Some(i)) = (split_arn(outer), split_arn(&inner.text)) {
        if o.iter().zip(&i).all(|(o, i)| covers(o, i)) {
            return true;
        }
    }
    covers(outer, &inner.text)
}

/// [`intersects_arn`] with the second pattern prepared.
pub fn intersects_arn_prepared(a: &str, b: &Prepared) -> bool {
    if matches(a, &b.empty) || matches_witness(&b.text, a) {
        return true;
    }
    if let (Some(x), Some(y)) = (split_arn(a), split_arn(&b.text)) {
        if x.iter().zip(&y).all(|(x, y)| intersects(x, y)) {
            return true;
        }
    }
    intersects(a, &b.text)
}

/// `matches(pattern, &witness(text, ""))` without allocating for the usual
/// short ARN.
fn matches_witness(pattern: &str, text: &str) -> bool {
    const STACK: usize = 256;
    let mut buf = [0u8; STACK];
    let mut len = 0;
    for &c in text.as_bytes() {
        if len == STACK {
            return matches(pattern, &witness(text, ""));
        }
        match c {
            b'*' => continue,
            b'?' => buf[len] = b'x',
            c => buf[len] = c,
        }
        len += 1;
    }
    crate::catalog::glob_match_bytes(pattern.as_bytes(), &buf[..len], |a, b| a == b)
}

/// One string `pattern` matches: each `*` replaced by `star`, each `?` by `x`.
fn witness(pattern: &str, star: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(star),
            '?' => out.push('x'),
            c => out.push(c),
        }
    }
    out
}

fn split_arn(s: &str) -> Option<[&str; 6]> {
    let mut it = s.splitn(6, ':');
    let mut out = [""; 6];
    for f in out.iter_mut() {
        *f = it.next()?;
    }
    Some(out)
}

/// The dynamic programme both comparisons share: `ok(i, j)` for suffixes
/// `p[i..]`, `q[j..]`, filled from the ends one row at a time (two rows of
/// `q.len() + 1`, on the stack for the short strings ARNs are). `cell` gets
/// the row below (`i + 1`) and the part of this row already filled (`> j`).
/// The last row (`p` used up) is true where `q` is used up, and also where
/// only stars are left of `q` when `empty_stars` says they may match nothing.
fn table(
    p: &[u8],
    q: &[u8],
    empty_stars: bool,
    cell: impl Fn(&[u8], &[u8], usize, usize, &[bool], &[bool]) -> bool,
) -> bool {
    const STACK: usize = 256;
    let w = q.len() + 1;
    let (mut a, mut b) = ([false; STACK], [false; STACK]);
    let (mut va, mut vb);
    let (mut next, mut here): (&mut [bool], &mut [bool]) = if w <= STACK {
        (&mut a[..w], &mut b[..w])
    } else {
        va = vec![false; w];
        vb = vec![false; w];
        (&mut va[..], &mut vb[..])
    };
    next[q.len()] = true;
    for j in (0..q.len()).rev() {
        next[j] = empty_stars && q[j] == b'*' && next[j + 1];
    }
    for i in (0..p.len()).rev() {
        for j in (0..=q.len()).rev() {
            here[j] = cell(p, q, i, j, next, here);
        }
        std::mem::swap(&mut next, &mut here);
    }
    next[0]
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
    fn field_by_field_agrees_with_the_whole_comparison() {
        let patterns = [
            "*",
            "arn:*",
            "arn:aws:*:*:*:*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::111122223333:role/app-?",
            "arn:aws:lambda:us-east-1:111122223333:function:*",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::*",
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:*::image/*",
            "arn:aws:*:*:*:*/x",
        ];
        let types = [
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:*:*:subnet/*",
            "arn:aws:ec2:*::image/*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:lambda:us-east-1:111122223333:function:*",
            "arn:aws:lambda:*:*:function:*",
            "arn:aws:s3:::*/*",
            "arn:aws:s3:::*",
        ];
        for p in patterns {
            for t in types {
                assert_eq!(covers_arn(p, t), covers(p, t), "covers {p} {t}");
                assert_eq!(intersects_arn(p, t), intersects(p, t), "intersects {p} {t}");
            }
        }
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
