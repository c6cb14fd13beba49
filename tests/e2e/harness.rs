//! The harness's own contracts, checked without doorman: the emulator's
//! SNS → SQS delivery the alert assertions rely on, and the Runtime API
//! speaking Lambda's protocol.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::aws::{AlertQueue, Aws};
use crate::moto::Moto;
use crate::runtime::{Outcome, RuntimeApi, FUNCTION_ARN};

/// A structured SNS message reaches the subscribed queue as the SNS
/// envelope, with the `sqs` member as `Message` and every attribute; and
/// AWS managed policies exist in the emulator.
#[tokio::test]
async fn emulator_delivers_structured_sns_messages_to_sqs() {
    let moto = Moto::start("harness-sns").unwrap_or_else(|e| panic!("{e}"));
    let aws = Aws::new(&moto.endpoint());
    let alerts = AlertQueue::create(&aws, "harness-sns").await;

    let message = json!({
        "default": "readable text",
        "email": "readable text",
        "sqs": json!({ "version": 1, "findings": [{ "rule": "admin-access", "severity": "critical" }] }).to_string(),
    });
    let string = |v: &str| {
        aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    aws.sns
        .publish()
        .topic_arn(&alerts.topic_arn)
        .subject("[doorman] CRITICAL admin-access on r")
        .message_structure("json")
        .message(message.to_string())
        .message_attributes("severity", string("critical"))
        .message_attributes("event_id", string("e-1"))
        .message_attributes(
            "rules",
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String.Array")
                .string_value(r#"["admin-access"]"#)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let got = alerts.expect(1).await;
    assert_eq!(
        got[0].subject.as_deref(),
        Some("[doorman] CRITICAL admin-access on r")
    );
    assert_eq!(got[0].severity(), "critical");
    assert_eq!(got[0].event_id(), "e-1");
    assert_eq!(got[0].rules(), vec!["admin-access"]);
    assert_eq!(got[0].findings()["admin-access"], "critical");

    let admin = aws
        .iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await;
    assert!(admin.is_ok(), "AWS managed policies not loaded: {admin:?}");
}

async fn call(
    address: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, hyper::HeaderMap, String) {
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", address)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// `next` hands out the event with Lambda's headers; `response` and `error`
/// reach the invoker; an unknown id is refused and recorded.
#[tokio::test]
async fn runtime_api_speaks_the_lambda_protocol() {
    let api = RuntimeApi::start().await.unwrap();
    let address = api.address();
    let event = json!({ "detail-type": "AWS API Call via CloudTrail", "n": 1 });
    let mut first = api.enqueue(&event);
    let mut second = api.enqueue(&json!({ "n": 2 }));

    let (status, headers, body) =
        call(&address, "GET", "/2018-06-01/runtime/invocation/next", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        event
    );
    let id = headers["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id, first.request_id);
    assert_eq!(headers["lambda-runtime-invoked-function-arn"], FUNCTION_ARN);
    assert!(headers["lambda-runtime-trace-id"]
        .to_str()
        .unwrap()
        .starts_with("Root=1-"));
    let deadline: u128 = headers["lambda-runtime-deadline-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert!(deadline > now, "deadline {deadline} is not in the future");

    let path = format!("/2018-06-01/runtime/invocation/{id}/response");
    assert_eq!(call(&address, "POST", &path, r#"{"ok":true}"#).await.0, 202);
    assert_eq!(
        first.outcome().await,
        Some(Outcome::Response(r#"{"ok":true}"#.into()))
    );

    let (_, headers, _) = call(&address, "GET", "/2018-06-01/runtime/invocation/next", "").await;
    let id = headers["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id, second.request_id);
    let path = format!("/2018-06-01/runtime/invocation/{id}/error");
    let error = r#"{"errorType":"Transient","errorMessage":"iam unreachable"}"#;
    assert_eq!(call(&address, "POST", &path, error).await.0, 202);
    assert_eq!(
        second.outcome().await,
        Some(Outcome::Error {
            error_type: None,
            body: error.into()
        })
    );

    let (status, _, _) = call(
        &address,
        "POST",
        "/2018-06-01/runtime/invocation/nope/response",
        "{}",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(api.stray_answers().len(), 1);
    assert_eq!(api.delivered(), 2);

    assert_eq!(
        call(
            &address,
            "POST",
            "/2018-06-01/runtime/init/error",
            "{\"errorType\":\"Config\"}"
        )
        .await
        .0,
        202
    );
    assert_eq!(
        api.init_errors(),
        vec!["{\"errorType\":\"Config\"}".to_owned()]
    );

    // `next` long-polls until an event is queued.
    let pending = tokio::time::timeout(
        Duration::from_millis(300),
        call(&address, "GET", "/2018-06-01/runtime/invocation/next", ""),
    )
    .await;
    assert!(pending.is_err(), "`next` answered with nothing queued");
}
