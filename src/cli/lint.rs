//! `doorman lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Policy JSON files, templates, or folders.
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: LintArgs) -> u8 {
    super::EXIT_ERROR
}
