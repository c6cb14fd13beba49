//! `doorman completions SHELL`: a shell completion script, generated from the
//! same clap definition that parses the command line, so it always offers
//! exactly the subcommands and options this binary accepts.
use super::{Cli, EXIT_ERROR};
use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
#[command(after_help = "Install, e.g.:\n  \
    bash: doorman completions bash > ~/.local/share/bash-completion/completions/doorman\n  \
    zsh:  doorman completions zsh > \"${fpath[1]}/_doorman\"\n  \
    fish: doorman completions fish > ~/.config/fish/completions/doorman.fish")]
pub struct CompletionsArgs {
    /// The shell to write the script for. An unknown name is a usage error
    /// (exit 2) that lists the shells supported.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut script);
    // clap_complete writes text it built itself; a non-UTF-8 byte would be a
    // bug in it, so it is reported rather than unwrapped.
    let script = match String::from_utf8(script) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "doorman: the {} completion script is not UTF-8: {e}",
                args.shell
            );
            return EXIT_ERROR;
        }
    };
    super::print_page(&script)
}
