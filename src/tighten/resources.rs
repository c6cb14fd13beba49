//! Which resources a call touched, as ARNs the policy can name, and the
//! narrowest pattern that covers a set of them.
//!
//! ARNs come from the record's `resources[]` when the service fills it, and
//! otherwise from request parameters, per service (a table name, a bucket
//! and key, a queue URL, a function name, ...). Only ARNs of a resource type
//! the action accepts are kept (`s3:GetObject` names the object, not its
//! bucket); an action that accepts none is granted on `*`, which AWS
//! requires for it.

use super::evidence::{Param, Record};
use crate::catalog::{self, ActionInfo};
use crate::eval::glob;
use std::collections::{BTreeMap, BTreeSet};

/// The resources `action` touched in `r`. Empty when the record names none
/// the action accepts (the caller keeps the current grant's resources).
pub fn touched(r: &Record<'_>, action: &ActionInfo) -> Vec<String> {
    if !action.accepts_resource() {
        return vec!["*".to_string()];
    }
    let accepted = |a: &str| {
        action
            .resource_arns()
            .any(|t| catalog::arn_matches_type(a, t))
    };
    // Judge before copying: most of `resources[]` is kept, but a bucket
    // next to its object is not.
    let mut kept: Vec<String> = r
        .resources
        .iter()
        .flatten()
        .filter_map(|x| x.arn.as_deref())
        .filter(|a| accepted(a))
        .map(str::to_string)
        .collect();
    let mut from_params = Vec::new();
    from_parameters(r, action.service, &mut from_params);
    for a in from_params {
        if !kept.contains(&a) && accepted(&a) {
            kept.push(a);
        }
    }
    kept.sort();
    kept.dedup();
    kept
}

fn from_parameters(r: &Record<'_>, service: &str, out: &mut Vec<String>) {
    let Some(p) = &r.request_parameters else {
        return;
    };
    let region = r.aws_region.as_deref().unwrap_or("*");
    let account = r.recipient_account_id.as_deref().unwrap_or("*");
    let arn_or = |value: &str, make: &dyn Fn(&str) -> String| {
        if value.starts_with("arn:") {
            value.to_string()
        } else {
            make(value)
        }
    };
    match service {
        "s3" => {
            if let Some(bucket) = p.first(Param::BucketName) {
                out.push(format!("arn:aws:s3:::{bucket}"));
                for key in p.get(Param::Key) {
                    out.push(format!("arn:aws:s3:::{bucket}/{key}"));
                }
            }
        }
        "dynamodb" => {
            let index = p.first(Param::IndexName);
            for t in p.get(Param::TableName) {
                let table = arn_or(t, &|t| {
                    format!("arn:aws:dynamodb:{region}:{account}:table/{t}")
                });
                // A Query or Scan of an index is authorised on the index.
                if let Some(i) = index {
                    out.push(format!("{table}/index/{i}"));
                }
                out.push(table);
            }
        }
        "sqs" => {
            for url in p.get(Param::QueueUrl) {
                if let Some(arn) = queue_arn(url) {
                    out.push(arn);
                }
            }
        }
        "lambda" => {
            for f in p.get(Param::FunctionName) {
                out.push(function_arn(f, region, account));
            }
        }
        "sns" => {
            out.extend(p.get(Param::TopicArn).map(str::to_string));
            out.extend(p.get(Param::TargetArn).map(str::to_string));
        }
        "secretsmanager" => {
            for s in p.get(Param::SecretId) {
                // A secret's ARN ends in `-` and six random characters.
                out.push(arn_or(s, &|s| {
                    format!("arn:aws:secretsmanager:{region}:{account}:secret:{s}-??????")
                }));
            }
        }
        "ssm" => {
            for n in p.get(Param::Name) {
                let n = n.strip_prefix('/').unwrap_or(n);
                out.push(arn_or(n, &|n| {
                    format!("arn:aws:ssm:{region}:{account}:parameter/{n}")
                }));
            }
        }
        "kinesis" => {
            out.extend(p.get(Param::StreamArn).map(str::to_string));
            for s in p.get(Param::StreamName) {
                out.push(format!("arn:aws:kinesis:{region}:{account}:stream/{s}"));
            }
        }
        "states" => out.extend(p.get(Param::StateMachineArn).map(str::to_string)),
        "logs" => {
            for g in p.get(Param::LogGroupName) {
                out.push(format!("arn:aws:logs:{region}:{account}:log-group:{g}"));
            }
        }
        "kms" => {
            for k in p.get(Param::KeyId) {
                if k.starts_with("arn:") {
                    out.push(k.to_string());
                } else if !k.starts_with("alias/") {
                    out.push(format!("arn:aws:kms:{region}:{account}:key/{k}"));
                }
            }
        }
        _ => {}
    }
}

/// `https://sqs.us-east-1.amazonaws.com/123456789012/orders` →
/// `arn:aws:sqs:us-east-1:123456789012:orders`.
pub fn queue_arn(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let account = parts.next()?;
    let name = parts.next()?;
    let region = host.strip_prefix("sqs.")?.split('.').next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

/// A function name as Lambda accepts it (name, `name:qualifier`, partial
/// `account:function:name`, full ARN) → the function's ARN, unqualified.
pub fn function_arn(f: &str, region: &str, account: &str) -> String {
    if f.starts_with("arn:") {
        let parts: Vec<&str> = f.splitn(8, ':').collect();
        return parts[..parts.len().min(7)].join(":");
    }
    let parts: Vec<&str> = f.split(':').collect();
    let name = match parts.as_slice() {
        [_, "function", name, ..] => name,
        [name, ..] => name,
        [] => f,
    };
    format!("arn:aws:lambda:{region}:{account}:function:{name}")
}

/// How many distinct ARNs (other than S3 objects) one action keeps; past
/// it the current grant's patterns are kept (memory must not follow the
/// evidence).
pub const MAX_DISTINCT: usize = 1000;

/// The resources one action touched: distinct ARNs, and per bucket the
/// common prefix of the object keys (a bucket may hold millions of keys;
/// only their common folder matters for the policy).
#[derive(Debug, Default, Clone)]
pub struct ResourceSet {
    arns: BTreeSet<String>,
    objects: BTreeMap<String, (String, u64)>,
    /// More than [`MAX_DISTINCT`] distinct ARNs were seen.
    pub overflow: bool,
}

impl ResourceSet {
    pub fn add(&mut self, arn: &str) {
        if let Some((bucket, key)) = arn
            .strip_prefix("arn:aws:s3:::")
            .and_then(|r| r.split_once('/'))
        {
            match self.objects.get_mut(bucket) {
                Some((prefix, n)) => {
                    if *n == 1 && prefix == key {
                        return;
                    }
                    let mut cut = prefix
                        .bytes()
                        .zip(key.bytes())
                        .take_while(|(a, b)| a == b)
                        .count();
                    while !prefix.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    prefix.truncate(cut);
                    *n += 1;
                }
                None => {
                    self.objects
                        .insert(bucket.to_string(), (key.to_string(), 1));
                }
            }
        } else if !self.arns.contains(arn) {
            if self.arns.len() >= MAX_DISTINCT {
                self.overflow = true;
            } else {
                self.arns.insert(arn.to_string());
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.arns.is_empty() && self.objects.is_empty()
    }

    /// What was seen, for the report: ARNs, and per bucket one object or
    /// the common prefix of many (`bucket/in/…*`).
    pub fn seen(&self) -> Vec<String> {
        let mut out: Vec<String> = self.arns.iter().cloned().collect();
        for (bucket, (prefix, n)) in &self.objects {
            out.push(if *n == 1 {
                format!("arn:aws:s3:::{bucket}/{prefix}")
            } else {
                format!("arn:aws:s3:::{bucket}/{prefix}*")
            });
        }
        out.sort();
        out
    }

    /// The narrowest patterns that cover what was seen, none wider than
    /// `ceiling` when given (the current grant's patterns): many objects of
    /// one bucket become `bucket/folder/*`, the longest common folder.
    pub fn narrowest(&self, ceiling: Option<&[String]>) -> Vec<String> {
        let mut out: Vec<String> = self.arns.iter().cloned().collect();
        for (bucket, (prefix, n)) in &self.objects {
            if *n == 1 {
                out.push(format!("arn:aws:s3:::{bucket}/{prefix}"));
                continue;
            }
            let folder = prefix.rfind('/').map_or("", |i| &prefix[..=i]);
            let pattern = format!("arn:aws:s3:::{bucket}/{folder}*");
            let fits = ceiling.is_none_or(|c| {
                c.iter()
                    .any(|g| g.contains("${") || glob::covers_arn(g, &pattern))
            });
            // Wider than the grant allows: stay at the grant's own patterns
            // that cover the objects (the grant was already that narrow).
            if fits {
                out.push(pattern);
            } else if let Some(c) = ceiling {
                let probe = format!("arn:aws:s3:::{bucket}/{prefix}");
                out.extend(
                    c.iter()
                        .filter(|g| glob::intersects_arn(g, &format!("{probe}*")))
                        .cloned(),
                );
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&str]) -> ResourceSet {
        let mut s = ResourceSet::default();
        for k in keys {
            s.add(&format!("arn:aws:s3:::orders/{k}"));
        }
        s
    }

    #[test]
    fn many_objects_become_their_folder() {
        let s = set(&[
            "in/2024/a.csv",
            "in/2024/b.csv",
            "in/2025/c.csv",
            "in/2024/a.csv",
        ]);
        assert_eq!(s.narrowest(None), ["arn:aws:s3:::orders/in/*"]);
        let one = set(&["in/a.csv", "in/a.csv"]);
        assert_eq!(one.narrowest(None), ["arn:aws:s3:::orders/in/a.csv"]);
        let spread = set(&["a.csv", "b/c.csv"]);
        assert_eq!(spread.narrowest(None), ["arn:aws:s3:::orders/*"]);
    }

    #[test]
    fn never_wider_than_the_current_grant() {
        let s = set(&["in/a.csv", "out/b.csv"]);
        let ceiling = vec![
            "arn:aws:s3:::orders/in/*".to_string(),
            "arn:aws:s3:::orders/out/*".to_string(),
        ];
        assert_eq!(s.narrowest(Some(&ceiling)), ceiling);
        assert_eq!(s.narrowest(None), ["arn:aws:s3:::orders/*"]);
        let wide = vec!["arn:aws:s3:::orders/*".to_string()];
        assert_eq!(s.narrowest(Some(&wide)), ["arn:aws:s3:::orders/*"]);
    }

    #[test]
    fn distinct_arns_are_capped() {
        let mut s = ResourceSet::default();
        for i in 0..MAX_DISTINCT + 5 {
            s.add(&format!(
                "arn:aws:dynamodb:us-east-1:111122223333:table/t{i}"
            ));
        }
        assert!(s.overflow);
        assert_eq!(s.seen().len(), MAX_DISTINCT);
    }

    #[test]
    fn a_query_of_an_index_needs_the_index() {
        let text = r#"{"eventName":"Query","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"tableName":"Orders","indexName":"byCustomer"},"resources":[{"ARN":"arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}]}"#;
        let query = crate::catalog::lookup("dynamodb:Query").unwrap().info();
        super::super::evidence::parse(text.as_bytes(), &mut |r| {
            assert_eq!(
                touched(r, &query),
                [
                    "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
                    "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/index/byCustomer"
                ]
            );
        })
        .unwrap();
    }

    #[test]
    fn queue_urls_and_function_names() {
        assert_eq!(
            queue_arn("https://sqs.eu-west-1.amazonaws.com/111122223333/jobs").as_deref(),
            Some("arn:aws:sqs:eu-west-1:111122223333:jobs")
        );
        assert_eq!(queue_arn("not a url"), None);
        assert_eq!(
            function_arn("f:prod", "us-east-1", "111122223333"),
            "arn:aws:lambda:us-east-1:111122223333:function:f"
        );
        assert_eq!(
            function_arn(
                "arn:aws:lambda:us-east-1:111122223333:function:f:3",
                "x",
                "y"
            ),
            "arn:aws:lambda:us-east-1:111122223333:function:f"
        );
    }
}
