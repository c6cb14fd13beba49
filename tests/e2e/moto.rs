//! The moto server (pinned in scripts/requirements-test.txt, installed by
//! scripts/test into target/venv) as a child process on 127.0.0.1, started
//! through `tests/e2e/moto_server.py`, which corrects the one place where
//! moto departs from AWS that doorman's rules depend on (layers shared from
//! another account; see that file).
//!
//! Each test gets its own server: state never leaks between tests running
//! in parallel, `/moto-api/reset` is never needed, and the outage scenario
//! can stop its server without touching the others.

use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server; killed when dropped.
pub struct Moto {
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

/// Where scripts/test installs moto.
pub fn moto_server_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/moto_server")
}

/// The Python of that venv, which runs `tests/e2e/moto_server.py`.
fn venv_python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python")
}

fn launcher() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/moto_server.py")
}

impl Moto {
    /// Starts moto on a free port and waits until it accepts connections.
    /// `name` labels the log file (target/tmp/moto-NAME.log).
    pub fn start(name: &str) -> Result<Self, String> {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{name}.log"));
        File::create(&log)
            .map_err(|e| format!("cannot create moto log `{}`: {e}", log.display()))?;
        // Port 0: the server binds a free port itself and announces it, so
        // no other test can take the port between choosing and binding.
        let mut moto = Self {
            port: 0,
            log,
            child: None,
        };
        moto.spawn()?;
        Ok(moto)
    }

    /// The value for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server: every later call to it is refused, and its state is
    /// gone for good (moto keeps everything in memory).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): connections are still accepted by the
    /// kernel but nothing is answered, so a call in flight stays in flight
    /// until [`Moto::stop`] kills it.
    pub fn freeze(&self) -> Result<(), String> {
        let child = self
            .child
            .as_ref()
            .ok_or("the moto server is not running")?;
        let status = Command::new("kill")
            .args(["-STOP", &child.id().to_string()])
            .status()
            .map_err(|e| format!("cannot run `kill -STOP`: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`kill -STOP {}` failed: {status}", child.id()))
        }
    }

    /// Starts a fresh server on the same port (same endpoint, empty state).
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn()
    }

    fn spawn(&mut self) -> Result<(), String> {
        let program = moto_server_path();
        let announced_before = announced_ports(&self.log).len();
        if !program.exists() {
            return Err(format!(
                "the moto server is not installed at `{}`: run `scripts/test`, which installs \
                 moto[server] (pinned in scripts/requirements-test.txt) into target/venv",
                program.display()
            ));
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("cannot open moto log `{}`: {e}", self.log.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot open moto log `{}`: {e}", self.log.display()))?;
        let child = Command::new(venv_python())
            .arg(launcher())
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            // AWS managed policies (AdministratorAccess, ...) exist as in AWS.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start `{} {}`: {e}",
                    venv_python().display(),
                    launcher().display()
                )
            })?;
        self.child = Some(child);
        self.wait_ready(announced_before, Duration::from_secs(30))
    }

    /// Waits until this server announces its address in its log (a new
    /// `Running on` line: the log is appended to across restarts), so a
    /// server of another test on the same port can never be mistaken for it.
    fn wait_ready(&mut self, announced_before: usize, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            let ports = announced_ports(&self.log);
            if let Some(port) = ports.get(announced_before) {
                if self.port != 0 && *port != self.port {
                    return Err(format!(
                        "the moto server came back on port {port}, not {}: see `{}`",
                        self.port,
                        self.log.display()
                    ));
                }
                self.port = *port;
                if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    return Ok(());
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(format!(
                        "the moto server exited ({status}) before it was ready; its log `{}`:\n{}",
                        self.log.display(),
                        tail(&self.log, 30)
                    ));
                }
            }
            if started.elapsed() > limit {
                self.stop();
                return Err(format!(
                    "the moto server was not ready within {limit:?}; its log `{}`:\n{}",
                    self.log.display(),
                    tail(&self.log, 30)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The ports in the log's ` * Running on http://127.0.0.1:PORT` lines
/// (werkzeug's announcement), in order.
fn announced_ports(log: &Path) -> Vec<u16> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_once("Running on http://127.0.0.1:"))
        .filter_map(|(_, rest)| rest.trim().parse().ok())
        .collect()
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `lines` lines of a log file, for failure messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
