//! The accounts AWS publishes its own Lambda layers from (Powertools, the
//! Lambda Insights and Parameters and Secrets extensions, ADOT, AppConfig,
//! CodeGuru Profiler). A function using one runs AWS's code, which it trusts
//! already by running on Lambda, so `cross-account-layer` leaves these out.
//!
//! Most publishers use one account per Region, a few one account
//! everywhere. An account is matched together with the layer's Region when
//! the documentation lists it per Region, so an account id reused in another
//! Region does not pass. Each entry names the page that lists the ARNs;
//! Regions newer than that page are missing and still reported.

/// A Region the publisher account is listed for, or every Region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Any,
    Only(&'static str),
}

/// One AWS layer publisher and where its accounts are documented.
#[derive(Debug)]
pub struct Publisher {
    pub name: &'static str,
    /// The documentation page that lists the layer ARNs.
    pub source: &'static str,
    pub accounts: &'static [(Region, &'static str)],
}

use Region::{Any, Only};

pub const PUBLISHERS: &[Publisher] = &[
    Publisher {
        name: "Powertools for AWS Lambda (Python)",
        source: "https://docs.aws.amazon.com/powertools/python/latest/",
        accounts: &[(Any, "017000801446")],
    },
    Publisher {
        name: "Powertools for AWS Lambda (TypeScript)",
        source: "https://docs.aws.amazon.com/powertools/typescript/latest/getting-started/lambda-layers",
        accounts: &[(Any, "094274105915")],
    },
    Publisher {
        name: "CodeGuru Profiler Python agent",
        source: "https://docs.aws.amazon.com/codeguru/latest/profiler-ug/python-lambda-layers.html",
        accounts: &[(Any, "157417159150")],
    },
    Publisher {
        name: "AWS Distro for OpenTelemetry (aws-otel-* layers)",
        source: "https://aws-otel.github.io/docs/getting-started/lambda",
        accounts: &[(Any, "901920570463")],
    },
    Publisher {
        name: "AWS Distro for OpenTelemetry (AWSOpenTelemetryDistro* layers)",
        source: "https://github.com/aws-observability/aws-otel-python-instrumentation/releases",
        accounts: &[
            (Only("af-south-1"), "904233096616"),
            (Only("ap-east-1"), "888577020596"),
            (Only("ap-northeast-1"), "615299751070"),
            (Only("ap-northeast-2"), "615299751070"),
            (Only("ap-northeast-3"), "615299751070"),
            (Only("ap-south-1"), "615299751070"),
            (Only("ap-south-2"), "796973505492"),
            (Only("ap-southeast-1"), "615299751070"),
            (Only("ap-southeast-2"), "615299751070"),
            (Only("ap-southeast-3"), "039612877180"),
            (Only("ap-southeast-4"), "713881805771"),
            (Only("ap-southeast-5"), "152034782359"),
            (Only("ap-southeast-7"), "980416031188"),
            (Only("ca-central-1"), "615299751070"),
            (Only("eu-central-1"), "615299751070"),
            (Only("eu-central-2"), "156041407956"),
        ],
    },
    Publisher {
        name: "CloudWatch Lambda Insights extension",
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versions.html",
        accounts: &[
            (Only("af-south-1"), "012438385374"),
            (Only("ap-east-1"), "519774774795"),
            (Only("ap-northeast-1"), "580247275435"),
            (Only("ap-northeast-2"), "580247275435"),
            (Only("ap-northeast-3"), "194566237122"),
            (Only("ap-south-1"), "580247275435"),
            (Only("ap-south-2"), "891564319516"),
            (Only("ap-southeast-1"), "580247275435"),
            (Only("ap-southeast-2"), "580247275435"),
            (Only("ap-southeast-3"), "439286490199"),
            (Only("ca-central-1"), "580247275435"),
            (Only("cn-north-1"), "488211338238"),
            (Only("cn-northwest-1"), "488211338238"),
            (Only("eu-central-1"), "580247275435"),
            (Only("eu-central-2"), "033019950311"),
            (Only("eu-north-1"), "580247275435"),
            (Only("eu-south-1"), "339249233099"),
            (Only("eu-south-2"), "352183217350"),
            (Only("eu-west-1"), "580247275435"),
            (Only("eu-west-2"), "580247275435"),
            (Only("eu-west-3"), "580247275435"),
            (Only("me-central-1"), "732604637566"),
            (Only("me-south-1"), "285320876703"),
            (Only("sa-east-1"), "580247275435"),
            (Only("us-east-1"), "580247275435"),
            (Only("us-east-2"), "580247275435"),
            (Only("us-west-1"), "580247275435"),
            (Only("us-west-2"), "580247275435"),
        ],
    },
    Publisher {
        name: "AWS Parameters and Secrets Lambda Extension",
        source: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
        accounts: &[
            (Only("af-south-1"), "317013901791"),
            (Only("ap-east-1"), "768336418462"),
            (Only("ap-northeast-1"), "133490724326"),
            (Only("ap-northeast-2"), "738900069198"),
            (Only("ap-northeast-3"), "576959938190"),
            (Only("ap-south-1"), "176022468876"),
            (Only("ap-south-2"), "070087711984"),
            (Only("ap-southeast-1"), "044395824272"),
            (Only("ap-southeast-2"), "665172237481"),
            (Only("ap-southeast-3"), "490737872127"),
            (Only("ca-central-1"), "200266452380"),
            (Only("cn-north-1"), "287114880934"),
            (Only("cn-northwest-1"), "287310001119"),
            (Only("eu-central-1"), "187925254637"),
            (Only("eu-central-2"), "772501565639"),
            (Only("eu-north-1"), "427196147048"),
            (Only("eu-south-1"), "325218067255"),
            (Only("eu-south-2"), "524103009944"),
            (Only("eu-west-1"), "015030872274"),
            (Only("eu-west-2"), "133256977650"),
            (Only("eu-west-3"), "780235371811"),
            (Only("me-central-1"), "858974508948"),
            (Only("me-south-1"), "832021897121"),
            (Only("sa-east-1"), "933737806257"),
            (Only("us-east-1"), "177933569100"),
            (Only("us-east-2"), "590474943231"),
            (Only("us-gov-east-1"), "129776340158"),
            (Only("us-gov-west-1"), "127562683043"),
            (Only("us-west-1"), "997803712105"),
            (Only("us-west-2"), "345057560386"),
        ],
    },
    Publisher {
        name: "AWS AppConfig Agent Lambda extension",
        source: "https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-lambda-extensions-versions.html",
        accounts: &[
            (Only("af-south-1"), "574348263942"),
            (Only("ap-east-1"), "630222743974"),
            (Only("ap-northeast-1"), "980059726660"),
            (Only("ap-northeast-2"), "826293736237"),
            (Only("ap-northeast-3"), "706869817123"),
            (Only("ap-south-1"), "554480029851"),
            (Only("ap-south-2"), "489524808438"),
            (Only("ap-southeast-1"), "421114256042"),
            (Only("ap-southeast-2"), "080788657173"),
            (Only("ap-southeast-3"), "418787028745"),
            (Only("ca-central-1"), "039592058896"),
            (Only("cn-north-1"), "615057806174"),
            (Only("cn-northwest-1"), "615084187847"),
            (Only("eu-central-1"), "066940009817"),
            (Only("eu-central-2"), "758369105281"),
            (Only("eu-north-1"), "646970417810"),
            (Only("eu-south-1"), "203683718741"),
            (Only("eu-south-2"), "586093569114"),
            (Only("eu-west-1"), "434848589818"),
            (Only("eu-west-2"), "282860088358"),
            (Only("eu-west-3"), "493207061005"),
            (Only("me-central-1"), "662846165436"),
            (Only("me-south-1"), "559955524753"),
            (Only("sa-east-1"), "000010852771"),
            (Only("us-east-1"), "027255383542"),
            (Only("us-east-2"), "728743619870"),
            (Only("us-gov-east-1"), "946561847325"),
            (Only("us-gov-west-1"), "946746059096"),
            (Only("us-west-1"), "958113053741"),
            (Only("us-west-2"), "359756378197"),
        ],
    },
];

/// The AWS publisher of a layer in `region` from `account`, if AWS
/// publishes layers from that account there. A layer ARN whose Region is a
/// placeholder (`${AWS::Region}` in a template) is matched by account alone:
/// the template deploys it to one Region, and every account listed here is
/// AWS's in the Regions it is listed for.
pub fn publisher(region: &str, account: &str) -> Option<&'static Publisher> {
    let known_region = region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    PUBLISHERS.iter().find(|p| {
        p.accounts.iter().any(|(r, a)| {
            *a == account
                && match r {
                    Any => true,
                    Only(r) => !known_region || *r == region,
                }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_publishers_are_known_in_their_regions() {
        assert_eq!(
            publisher("eu-west-1", "017000801446").map(|p| p.name),
            Some("Powertools for AWS Lambda (Python)")
        );
        assert_eq!(
            publisher("us-east-1", "580247275435").map(|p| p.name),
            Some("CloudWatch Lambda Insights extension")
        );
        // Lambda Insights publishes from another account in af-south-1.
        assert!(publisher("af-south-1", "580247275435").is_none());
        assert!(publisher("af-south-1", "012438385374").is_some());
        // A template's `${AWS::Region}` leaves the region unknown.
        assert!(publisher("${AWS::Region}", "580247275435").is_some());
        assert!(publisher("us-east-1", "444455556666").is_none());
    }

    #[test]
    fn every_entry_is_a_documented_account_id() {
        for p in PUBLISHERS {
            assert!(p.source.starts_with("https://"), "{}", p.name);
            for (region, account) in p.accounts {
                assert!(
                    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                    "{}: {account}",
                    p.name
                );
                if let Only(r) = region {
                    assert!(r.contains('-'), "{}: {r}", p.name);
                }
            }
        }
    }
}
