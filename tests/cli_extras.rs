//! `doorman completions SHELL` and `doorman man` as a user runs them: the
//! built binary, its exit status, and what it prints. Both are generated from
//! the clap definition that parses the command line, so every subcommand the
//! parser knows must appear in them.

use clap::CommandFactory;
use doorman::cli::Cli;
use std::io::Write;
use std::process::{Command, Stdio};

mod cli_support;
use cli_support::{code, doorman, stderr, stdout};

/// The subcommands the parser accepts (clap's own `help` aside).
/// The subcommands a user sees (hidden ones, such as the bench's
/// `managed-policies`, are in no page or completion by design).
fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .filter(|n| n != "help")
        .collect()
}

#[test]
fn parser_has_the_documented_subcommands() {
    let subs = subcommands();
    for want in ["lint", "replay", "explain", "completions", "man"] {
        assert!(
            subs.iter().any(|s| s == want),
            "{want} missing from {subs:?}"
        );
    }
}

#[test]
fn bash_completions_offer_every_subcommand_and_lint_options() {
    let o = doorman(&["completions", "bash"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let script = stdout(&o);
    for sub in subcommands() {
        assert!(
            script.contains(&format!("doorman__{sub}")) || script.contains(&format!(" {sub} ")),
            "bash completions do not mention `{sub}`"
        );
    }
    for word in [
        "lint",
        "replay",
        "explain",
        "--min-severity",
        "--format",
        "sarif",
    ] {
        assert!(
            script.contains(word),
            "bash completions do not mention `{word}`"
        );
    }
    assert!(
        script.contains("complete -F"),
        "not a bash completion script"
    );
}

/// The script is valid bash: `bash -n` parses it without running it.
#[test]
fn bash_completions_parse_as_bash() {
    let o = doorman(&["completions", "bash"]);
    assert_eq!(code(&o), 0);
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash is needed to check the completion script");
    bash.stdin
        .take()
        .expect("stdin")
        .write_all(&o.stdout)
        .expect("write the script to bash");
    let out = bash.wait_with_output().expect("bash -n");
    assert!(
        out.status.success(),
        "bash -n rejects the script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn other_shells_get_their_own_script_format() {
    let zsh = doorman(&["completions", "zsh"]);
    assert_eq!(code(&zsh), 0);
    assert!(
        stdout(&zsh).starts_with("#compdef doorman"),
        "{}",
        stdout(&zsh)
    );
    let fish = doorman(&["completions", "fish"]);
    assert_eq!(code(&fish), 0);
    let fish = stdout(&fish);
    assert!(fish.contains("complete -c doorman"), "{fish}");
    assert!(fish.contains("replay"), "{fish}");
}

#[test]
fn unknown_shell_is_a_usage_error_listing_the_shells() {
    let o = doorman(&["completions", "tcsh"]);
    assert_eq!(code(&o), 2);
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    assert!(
        err.contains("bash") && err.contains("zsh") && err.contains("fish"),
        "{err}"
    );
}

#[test]
fn completions_without_a_shell_is_a_usage_error() {
    let o = doorman(&["completions"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("<SHELL>"), "{}", stderr(&o));
}

#[test]
fn man_page_is_roff_naming_every_subcommand() {
    let o = doorman(&["man"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = stdout(&o);
    // A roff page: only requests, comments and text; the title header comes
    // before any section.
    assert!(
        page.starts_with('.'),
        "not roff: {}",
        &page[..page.len().min(200)]
    );
    let th = page.find(".TH doorman 1").expect(".TH header");
    let name = page.find(".SH NAME").expect("NAME section");
    assert!(th < name, "the .TH header must come first");
    assert!(page.contains(concat!("doorman ", env!("CARGO_PKG_VERSION"))));
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for sub in subcommands() {
        // roff escapes the hyphen: doorman\-lint(1)
        let entry = format!("doorman\\-{sub}(1)");
        assert!(
            page.contains(&entry),
            "the page does not name {entry}:\n{page}"
        );
    }
}

#[test]
fn man_page_of_a_subcommand_documents_its_options() {
    let o = doorman(&["man", "lint"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH doorman-lint 1"), "{page}");
    for option in [
        "\\-\\-min\\-severity",
        "\\-\\-format",
        "\\-\\-ignore",
        "sarif",
    ] {
        assert!(
            page.contains(option),
            "doorman-lint(1) lacks {option}:\n{page}"
        );
    }
}

#[test]
fn man_page_of_an_unknown_subcommand_is_a_usage_error() {
    let o = doorman(&["man", "lnit"]);
    assert_eq!(code(&o), 2);
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(err.contains("no subcommand `lnit`"), "{err}");
    assert!(err.contains("lint") && err.contains("replay"), "{err}");
}
