//! The `doorman` command line: a thin shell over the library.
use clap::Parser;
use std::process::ExitCode;

/// See `mimalloc` in Cargo.toml: the folder lint is allocation-bound.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    doorman::cli::main(doorman::cli::Cli::parse())
}
