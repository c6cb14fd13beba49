//! The `doorman` command line: a thin shell over the library.
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    doorman::cli::main(doorman::cli::Cli::parse())
}
