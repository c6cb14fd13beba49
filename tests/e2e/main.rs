//! End to end with real protocols and no hand-written mocks: an EventBridge
//! event goes through a Lambda Runtime API to the real `doorman-lambda`
//! binary, which calls IAM, Lambda and SNS in the moto emulator with the
//! real AWS SDK; the test reads the alert from an SQS queue subscribed to
//! the SNS topic.
//!
//! Needs moto in target/venv: `scripts/test` installs it. Each test starts
//! its own emulator and function (see moto.rs for why).

mod aws;
mod events;
mod lambda;
mod moto;
mod runtime;
mod setup;

mod access_denied;
mod audit;
mod harness;
mod load;
mod org;
mod reconcile;
mod scenarios;
mod template_rules;
