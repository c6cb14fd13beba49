//! The Lambda's AccessDenied diagnosis (SPEC §13, `DiagnoseAccessDenied`)
//! end to end: the real binary, its `GetRole` against the emulator's IAM,
//! its conditional put in the emulator's DynamoDB table, the alert in SQS.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_sqs::config::{Credentials, SharedCredentialsProvider};
use serde_json::{json, Value};

use crate::aws::{ACCESS_KEY_ID, ACCOUNT, REGION, SECRET_ACCESS_KEY};
use crate::events::new_id;
use crate::setup::{self, Stack};

/// A DynamoDB client on the emulator (the harness's `Aws` has none).
fn dynamodb(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "doorman-e2e",
        )))
        .build();
    aws_sdk_dynamodb::Client::new(&config)
}

/// The stack's dedupe table, as template.yaml's AccessDeniedTable.
async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("create the dedupe table");
}

const BUCKET: &str = "arn:aws:s3:::iam-denied-setup-27a9ec06-7d94-4a45-9318-e6f08c9aea4d";

/// A real refusal (tests/fixtures/tighten/public: AWS's CDK integration
/// test; "because no identity-based policy allows"), moved to the e2e
/// account and to `role`'s session, in its EventBridge envelope.
fn denied_create_bucket(role: &str, event_id: &str) -> Value {
    let text = include_str!("../fixtures/tighten/public/cdk-lambda-role-createbucket-denied.json")
        .replace("053108159643", ACCOUNT)
        .replace(
            "IamDeniedCustomResourceSt-CrHandlerServiceRole2D0F6-UlztxgkpoGK1",
            role,
        );
    let file: Value = serde_json::from_str(&text).expect("fixture");
    let mut record = file["Records"][0].clone();
    record["eventID"] = json!(event_id);
    json!({
        "version": "0",
        "id": new_id(),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": record["eventTime"],
        "region": REGION,
        "resources": [],
        "detail": record,
    })
}

/// One alert for a Lambda role's refused call, however often it comes;
/// the key in the table; nothing for a role Lambda cannot assume.
#[tokio::test]
async fn a_lambda_roles_denied_call_is_one_alert_however_often_it_comes() {
    let name = "e2e-access-denied";
    let table = format!("{name}-dedupe");
    let mut stack =
        Stack::start_with(name, &[("DOORMAN_ACCESS_DENIED_TABLE", table.clone())], 1).await;
    let dynamo = dynamodb(&stack.moto.endpoint());
    create_table(&dynamo, &table).await;
    let fn_role = setup::create_role(&stack.aws, "ad-orders-fn-role", &[]).await;
    let ec2_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    stack
        .aws
        .iam
        .create_role()
        .role_name("ad-ec2-app-role")
        .assume_role_policy_document(ec2_trust.to_string())
        .send()
        .await
        .expect("create the EC2 role");

    // The first refusal: one access-denied alert with the statement to add.
    let first = denied_create_bucket("ad-orders-fn-role", &new_id());
    stack.function.invoke_ok(&first).await;
    let alerts = stack.alerts.expect(1).await;
    let alert = &alerts[0];
    assert_eq!(alert.rules(), vec!["access-denied"]);
    assert_eq!(alert.severity(), "low");
    assert_eq!(
        alert.event_id(),
        first["detail"]["eventID"].as_str().unwrap()
    );
    assert_eq!(alert.message["subject"]["arn"], json!(fn_role));
    let finding = &alert.message["findings"][0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("no identity-based policy allows it"),
        "{finding:#}"
    );
    let statement =
        format!(r#"{{"Effect":"Allow","Action":"s3:CreateBucket","Resource":"{BUCKET}"}}"#);
    assert!(
        finding["fix"].as_str().unwrap().ends_with(&statement),
        "{finding:#}"
    );

    // The function retrying the call (new events), and EventBridge
    // delivering the same event again: still the one alert.
    for i in 0..50 {
        let again = if i % 2 == 0 {
            first.clone()
        } else {
            denied_create_bucket("ad-orders-fn-role", &new_id())
        };
        stack.function.invoke_ok(&again).await;
    }
    stack
        .assert_no_alert("the same refusal within 24 hours")
        .await;

    // The table holds the key, expiring in a day.
    let key = format!("{fn_role}\ns3:CreateBucket\n{BUCKET}");
    let item = dynamo
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(key.clone()))
        .send()
        .await
        .expect("get the dedupe item")
        .item
        .unwrap_or_else(|| panic!("no item {key:?} in {table}"));
    assert_eq!(
        item.get("event_id"),
        Some(&AttributeValue::S(
            first["detail"]["eventID"].as_str().unwrap().to_string()
        ))
    );
    let number = |k: &str| -> i64 {
        match item.get(k) {
            Some(AttributeValue::N(n)) => n.parse().expect("a number"),
            other => panic!("{k}: {other:?}"),
        }
    };
    assert_eq!(number("expires_at") - number("first_seen"), 24 * 60 * 60);

    // A role Lambda cannot assume: no alert, nothing written.
    stack
        .function
        .invoke_ok(&denied_create_bucket("ad-ec2-app-role", &new_id()))
        .await;
    stack
        .assert_no_alert("a role that does not trust Lambda")
        .await;
    let items = dynamo
        .scan()
        .table_name(&table)
        .send()
        .await
        .expect("scan")
        .count;
    assert_eq!(items, 1);
}

/// `DiagnoseAccessDenied` off (no table): a denied call is a failed call,
/// ignored as it always was.
#[tokio::test]
async fn without_the_table_a_denied_call_is_ignored_as_before() {
    let mut stack = Stack::start("e2e-access-denied-off").await;
    setup::create_role(&stack.aws, "ad-off-fn-role", &[]).await;
    stack
        .function
        .invoke_ok(&denied_create_bucket("ad-off-fn-role", &new_id()))
        .await;
    stack.assert_no_alert("DiagnoseAccessDenied is off").await;
}

// --- the rule's pattern, matched by the emulator's EventBridge ----------------

/// template.yaml's AccessDeniedRule pattern for `account`
/// (tests/member_template.rs checks the template against the same shape).
fn rule_pattern(account: &str) -> Value {
    json!({
        "source": [{"prefix": "aws."}],
        "account": [account],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "errorCode": doorman::tighten::denied::DENIED_CODES,
            "userIdentity": {"type": ["AssumedRole"]},
        },
    })
}

/// One call of the emulator's JSON protocol (EventBridge or SQS).
async fn call(address: &str, service: &str, action: &str, body: Value) -> Value {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;
    let (target, content_type) = match service {
        "events" => (format!("AWSEvents.{action}"), "application/x-amz-json-1.1"),
        _ => (format!("AmazonSQS.{action}"), "application/x-amz-json-1.0"),
    };
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to moto");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = hyper::Request::builder()
        .method("POST")
        .uri("/")
        .header("host", address)
        .header("content-type", content_type)
        .header("x-amz-target", target)
        // moto routes by the credential scope's service.
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20261130/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(status.is_success(), "{service} {action}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Which of `events` the rule delivers (by CloudTrail event id).
async fn delivered(address: &str, events: &[Value]) -> Vec<String> {
    let queue = call(
        address,
        "sqs",
        "CreateQueue",
        json!({"QueueName": "ad-rule"}),
    )
    .await;
    let url = queue["QueueUrl"].as_str().expect("QueueUrl").to_owned();
    let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:ad-rule");
    call(
        address,
        "events",
        "PutRule",
        json!({"Name": "doorman-access-denied", "EventPattern": rule_pattern(ACCOUNT).to_string(),
               "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}),
    )
    .await;
    call(
        address,
        "events",
        "PutTargets",
        json!({"Rule": "doorman-access-denied", "Targets": [{"Id": "q", "Arn": arn}]}),
    )
    .await;
    for event in events {
        let entry = json!({"Source": event["source"], "DetailType": event["detail-type"],
            "Detail": event["detail"].to_string(), "Resources": []});
        let answer = call(address, "events", "PutEvents", json!({"Entries": [entry]})).await;
        assert_eq!(answer["FailedEntryCount"], 0, "PutEvents: {answer}");
    }
    let mut ids = Vec::new();
    loop {
        let got = call(
            address,
            "sqs",
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 300}),
        )
        .await;
        let messages = got["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return ids;
        }
        for m in messages {
            let event: Value =
                serde_json::from_str(m["Body"].as_str().expect("Body")).expect("event");
            ids.push(
                event["detail"]["eventID"]
                    .as_str()
                    .expect("eventID")
                    .to_owned(),
            );
        }
    }
}

/// The rule delivers refused calls of role sessions, in every error code
/// doorman diagnoses, and nothing else: not a successful or otherwise failed
/// call, not an IAM user's refusal, not a forged source.
#[tokio::test]
async fn the_rule_delivers_refused_calls_of_role_sessions_only() {
    let moto = crate::moto::Moto::start("e2e-access-denied-rule").unwrap_or_else(|e| panic!("{e}"));
    let endpoint = moto.endpoint();
    let address = endpoint.trim_start_matches("http://");
    let base = denied_create_bucket("any-fn-role", "base");
    let with = |id: &str, change: &dyn Fn(&mut Value)| {
        let mut e = base.clone();
        e["detail"]["eventID"] = json!(id);
        change(&mut e);
        e
    };
    let mut events = Vec::new();
    let mut wanted = Vec::new();
    for code in doorman::tighten::denied::DENIED_CODES {
        let id = format!("code-{code}");
        events.push(with(&id, &|e| e["detail"]["errorCode"] = json!(code)));
        wanted.push(id);
    }
    events.push(with("succeeded", &|e| {
        e["detail"].as_object_mut().unwrap().remove("errorCode");
    }));
    events.push(with("other-error", &|e| {
        e["detail"]["errorCode"] = json!("BucketAlreadyExists")
    }));
    events.push(with("iam-user", &|e| {
        e["detail"]["userIdentity"] = json!({"type": "IAMUser", "userName": "alice",
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/alice")});
    }));
    events.push(with("forged", &|e| e["source"] = json!("my.app")));
    let mut got = delivered(address, &events).await;
    got.sort();
    wanted.sort();
    assert_eq!(got, wanted);
}
