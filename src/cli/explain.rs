//! `doorman explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. `admin-access`; without one, every rule is listed.
    pub rule: Option<String>,
}

pub fn run(_args: ExplainArgs) -> u8 {
    super::EXIT_ERROR
}
