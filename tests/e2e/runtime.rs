//! A Lambda Runtime API served on 127.0.0.1, so the real `doorman-lambda`
//! binary runs exactly as it does in Lambda: it long-polls
//! `GET /2018-06-01/runtime/invocation/next`, gets the event with the
//! `Lambda-Runtime-*` headers, and answers on `.../{id}/response` or
//! `.../{id}/error` (or `/runtime/init/error` if it cannot start).
//!
//! Several processes may poll the same API at once; each invocation goes to
//! exactly one of them, as Lambda spreads events over warm environments.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// doorman's own function, as the runtime names it to the binary.
pub const FUNCTION_NAME: &str = "doorman";
/// The function ARN the runtime hands to the binary with every event.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:doorman";

/// How the binary answered one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response` with this body.
    Response(String),
    /// `POST /invocation/{id}/error`: the `Lambda-Runtime-Function-Error-Type`
    /// header and the body (`{"errorType","errorMessage"}`).
    Error {
        error_type: Option<String>,
        body: String,
    },
}

/// An invocation handed to the runtime, not yet answered.
pub struct Pending {
    pub request_id: String,
    outcome: oneshot::Receiver<Outcome>,
}

impl Pending {
    /// Waits for the binary's answer; `None` if the API shut down first.
    pub async fn outcome(&mut self) -> Option<Outcome> {
        (&mut self.outcome).await.ok()
    }
}

struct Queued {
    request_id: String,
    body: Bytes,
}

struct State {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_errors: Mutex<Vec<String>>,
    /// Answers for request ids nobody is waiting for (a bug in the binary or
    /// a duplicate answer): kept so a test can assert there are none.
    stray: Mutex<Vec<String>>,
    /// Invocations the binary fetched with `next`.
    delivered: AtomicU64,
}

/// The Runtime API server; stops when dropped.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    sender: mpsc::UnboundedSender<Queued>,
    next_id: AtomicU64,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Binds a free port on 127.0.0.1 and serves on the current tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            queue: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            init_errors: Mutex::new(Vec::new()),
            stray: Mutex::new(Vec::new()),
            delivered: AtomicU64::new(0),
        });
        let served = Arc::clone(&state);
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&served);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(route(&state, request).await) }
                    });
                    // A connection error only means the binary went away;
                    // the waiting invocation reports that through its timeout.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            state,
            sender,
            next_id: AtomicU64::new(1),
            server,
        })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues one event for the next `GET .../invocation/next`.
    pub fn enqueue(&self, event: &serde_json::Value) -> Pending {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        // UUID-shaped like Lambda's request ids.
        let request_id = format!("8476a536-e9f4-11e8-9739-{n:012x}");
        let (tx, rx) = oneshot::channel();
        lock(&self.state.waiting).insert(request_id.clone(), tx);
        let body = Bytes::from(serde_json::to_vec(event).expect("a Value serialises"));
        // The receiver lives in `state` as long as `self`, so this cannot fail.
        let _ = self.sender.send(Queued {
            request_id: request_id.clone(),
            body,
        });
        Pending {
            request_id,
            outcome: rx,
        }
    }

    /// Bodies the binary posted to `/runtime/init/error`.
    pub fn init_errors(&self) -> Vec<String> {
        lock(&self.state.init_errors).clone()
    }

    /// Answers for request ids that were not (or no longer) waiting.
    pub fn stray_answers(&self) -> Vec<String> {
        lock(&self.state.stray).clone()
    }

    /// How many invocations the binary has fetched.
    pub fn delivered(&self) -> u64 {
        self.state.delivered.load(Ordering::Relaxed)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

const PREFIX: &str = "/2018-06-01/runtime/";

async fn route(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return error(StatusCode::NOT_FOUND, "unknown path");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (request.method().clone(), parts.as_slice()) {
        (Method::GET, ["invocation", "next"]) => next(state).await,
        (Method::POST, ["invocation", id, "response"]) => {
            let id = (*id).to_owned();
            let body = read_body(request).await;
            answer(state, &id, Outcome::Response(body))
        }
        (Method::POST, ["invocation", id, "error"]) => {
            let id = (*id).to_owned();
            let error_type = header(&request, "lambda-runtime-function-error-type");
            let body = read_body(request).await;
            answer(state, &id, Outcome::Error { error_type, body })
        }
        (Method::POST, ["init", "error"]) => {
            let body = read_body(request).await;
            lock(&state.init_errors).push(body);
            accepted()
        }
        _ => error(StatusCode::NOT_FOUND, "unknown path"),
    }
}

async fn next(state: &State) -> Response<Full<Bytes>> {
    // `recv` is cancel-safe: a poller that disconnects loses no event.
    let queued = state.queue.lock().await.recv().await;
    let Some(queued) = queued else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "runtime shut down");
    };
    state.delivered.fetch_add(1, Ordering::Relaxed);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    // Lambda's deadline: doorman's template gives the function 60 s.
    let deadline = now_ms + 60_000;
    let n = &queued.request_id[queued.request_id.len() - 12..];
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &queued.request_id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header("lambda-runtime-invoked-function-arn", FUNCTION_ARN)
        .header(
            "lambda-runtime-trace-id",
            format!("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent={n:0>16};Sampled=0"),
        )
        .body(Full::new(queued.body))
        .expect("static response parts are valid")
}

fn answer(state: &State, id: &str, outcome: Outcome) -> Response<Full<Bytes>> {
    match lock(&state.waiting).remove(id) {
        Some(waiter) => {
            // The test may have stopped waiting; the answer is then dropped.
            let _ = waiter.send(outcome);
            accepted()
        }
        None => {
            lock(&state.stray).push(format!("{id}: {outcome:?}"));
            error(StatusCode::BAD_REQUEST, "unknown request id")
        }
    }
}

fn header(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn read_body(request: Request<Incoming>) -> String {
    match request.into_body().collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(e) => format!("<body could not be read: {e}>"),
    }
}

fn accepted() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::ACCEPTED)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"status":"OK"}"#)))
        .expect("static response parts are valid")
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorMessage": message, "errorType": "InvalidRequest" });
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts are valid")
}
