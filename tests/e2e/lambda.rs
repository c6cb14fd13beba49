//! The real `doorman-lambda` binary running under the harness's Runtime API,
//! configured by environment only, as Lambda starts it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use crate::moto::tail;
use crate::runtime::{Outcome, Pending, RuntimeApi, FUNCTION_NAME};

/// How long one invocation may take: the SDK's own retries against a
/// stopped emulator included.
pub const INVOCATION_LIMIT: Duration = Duration::from_secs(60);

/// One or more warm `doorman-lambda` processes sharing one Runtime API.
/// Killed when dropped.
pub struct Function {
    pub runtime: RuntimeApi,
    children: Vec<Child>,
    logs: Vec<PathBuf>,
}

impl Function {
    /// Starts `processes` copies of the binary. `env` comes on top of the
    /// Lambda environment (DOORMAN_TOPIC_ARN and friends).
    pub async fn start(
        name: &str,
        endpoint: &str,
        env: &[(&str, String)],
        processes: usize,
    ) -> Self {
        let runtime = RuntimeApi::start().await.expect("start the Runtime API");
        let mut children = Vec::new();
        let mut logs = Vec::new();
        for i in 0..processes {
            let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lambda-{name}-{i}.log"));
            let out = File::create(&log).expect("create the lambda log");
            let err = out.try_clone().expect("clone the lambda log handle");
            let mut command = Command::new(env!("CARGO_BIN_EXE_doorman-lambda"));
            command
                // Nothing from the developer's shell (AWS_PROFILE, real
                // credentials) may leak in: the binary sees Lambda's
                // environment and the emulator, nothing else.
                .env_clear()
                .envs(lambda_env(&runtime.address(), endpoint))
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err);
            let child = command.spawn().unwrap_or_else(|e| {
                panic!(
                    "cannot start `{}`: {e}",
                    env!("CARGO_BIN_EXE_doorman-lambda")
                )
            });
            children.push(child);
            logs.push(log);
        }
        Self {
            runtime,
            children,
            logs,
        }
    }

    /// Queues an event without waiting (for load).
    pub fn enqueue(&self, event: &Value) -> Pending {
        self.runtime.enqueue(event)
    }

    /// Sends one event and waits for the binary's answer.
    pub async fn invoke(&mut self, event: &Value) -> Outcome {
        let mut pending = self.runtime.enqueue(event);
        self.wait(&mut pending).await
    }

    /// Sends one event and asserts the invocation succeeded.
    pub async fn invoke_ok(&mut self, event: &Value) {
        match self.invoke(event).await {
            Outcome::Response(_) => {}
            Outcome::Error { error_type, body } => panic!(
                "invocation of {} failed ({error_type:?}): {body}\nlambda log:\n{}",
                event["detail"]["eventID"],
                self.log_tail()
            ),
        }
    }

    /// Waits for an answer, failing early (with the binary's log) if a
    /// process died or reported an init error.
    pub async fn wait(&mut self, pending: &mut Pending) -> Outcome {
        let started = Instant::now();
        loop {
            tokio::select! {
                outcome = pending.outcome() => {
                    return outcome.expect("the Runtime API stopped while an invocation was pending");
                }
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            let init_errors = self.runtime.init_errors();
            if !init_errors.is_empty() {
                panic!(
                    "doorman-lambda reported an init error: {init_errors:?}\nlambda log:\n{}",
                    self.log_tail()
                );
            }
            for child in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "doorman-lambda exited ({status}) with invocation {} pending\nlambda log:\n{}",
                        pending.request_id,
                        self.log_tail()
                    );
                }
            }
            if started.elapsed() > INVOCATION_LIMIT {
                panic!(
                    "no answer to invocation {} within {INVOCATION_LIMIT:?}\nlambda log:\n{}",
                    pending.request_id,
                    self.log_tail()
                );
            }
        }
    }

    /// Waits for the (single) process to exit, as a misconfigured one must;
    /// returns its status and its whole log.
    pub async fn exit(&mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.children[0].try_wait() {
                let log = std::fs::read_to_string(&self.logs[0]).unwrap_or_default();
                return (status, log);
            }
            if started.elapsed() > limit {
                panic!(
                    "doorman-lambda still runs after {limit:?}\nlambda log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The end of every process's log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.logs
            .iter()
            .map(|log| format!("--- {}\n{}", log.display(), tail(log, 40)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What Lambda's `provided.al2023` runtime sets, pointed at the harness.
fn lambda_env(runtime_api: &str, endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        // Matches the ARN the runtime hands out (runtime::FUNCTION_ARN).
        ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{FUNCTION_NAME}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/22/[$LATEST]0123456789abcdef".to_owned(),
        ),
        ("AWS_LAMBDA_LOG_LEVEL", "info".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", "Text".to_owned()),
    ]
}
