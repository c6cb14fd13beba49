//! `doorman man [SUBCOMMAND]`: the manual page in roff, generated from the
//! same clap definition that parses the command line (`doorman man >
//! doorman.1`, `doorman man lint > doorman-lint.1`), so the page documents
//! exactly the options this binary accepts.
use super::{Cli, EXIT_ERROR};
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write the page of this subcommand (`doorman-lint(1)`, ...) instead of
    /// the main page `doorman(1)`.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

pub fn run(args: ManArgs) -> u8 {
    let page = match render(args.subcommand.as_deref()) {
        Ok(page) => page,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    super::print_page(&page)
}

/// The roff text of `doorman(1)`, or of `doorman-SUBCOMMAND(1)`.
fn render(subcommand: Option<&str>) -> Result<String, String> {
    let mut cmd = Cli::command();
    // Propagates the version and global settings into the subcommands, as
    // parsing would, so their pages carry them too.
    cmd.build();
    let page_cmd = match subcommand {
        None => cmd,
        Some(name) => {
            let names: Vec<String> = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| s.get_name().to_owned())
                .collect();
            let Some(sub) = cmd.find_subcommand(name) else {
                return Err(format!(
                    "no subcommand `{}` (one of: {})",
                    name.escape_default(),
                    names.join(", ")
                ));
            };
            // After `build`, its display name is `doorman-lint` and its
            // bin name `doorman lint`: the page's title and synopsis.
            sub.clone()
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page_cmd)
        .source(concat!("doorman ", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)
        .map_err(|e| format!("cannot render the manual page: {e}"))?;
    String::from_utf8(roff).map_err(|e| format!("the manual page is not UTF-8: {e}"))
}
