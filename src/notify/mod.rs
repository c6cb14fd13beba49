//! Delivering alerts: SNS in the Lambda ([`sns::SnsNotifier`], `aws`
//! feature), memory for `doorman replay` and tests.

#[cfg(feature = "aws")]
pub mod sns;

use crate::alert::Alert;
use std::future::Future;
use std::sync::Mutex;

/// Why an alert could not be delivered. Always worth a retry from the
/// caller's point of view: the invocation fails and Lambda retries it, and
/// subscribers recognise a repeated alert by its `event_id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not publish the alert for event `{event_id}`: {reason}")]
pub struct NotifyError {
    pub event_id: String,
    pub reason: String,
}

/// Where alerts go.
pub trait Notifier: Send + Sync {
    fn publish(&self, alert: &Alert) -> impl Future<Output = Result<(), NotifyError>> + Send;
}

/// Keeps alerts in memory, in order: `replay` prints them, tests read them.
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    alerts: Mutex<Vec<Alert>>,
}

impl MemoryNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The alerts published so far.
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Takes the alerts published so far, leaving none.
    pub fn take(&self) -> Vec<Alert> {
        self.alerts
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default()
    }
}

impl Notifier for MemoryNotifier {
    async fn publish(&self, alert: &Alert) -> Result<(), NotifyError> {
        self.alerts
            .lock()
            .map_err(|_| NotifyError {
                event_id: alert.event_id().to_string(),
                reason: "the in-memory alert list is poisoned".to_string(),
            })?
            .push(alert.clone());
        Ok(())
    }
}
