//! `doorman explain`: the documentation page of a rule, or the list of rules.
use super::EXIT_ERROR;
use crate::rules::{docs, RuleId};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. `admin-access`; without one, every rule is listed.
    pub rule: Option<String>,
}

pub fn run(args: ExplainArgs) -> u8 {
    let page = match args.rule {
        None => docs::list(),
        Some(rule) => match rule.parse::<RuleId>() {
            Ok(id) => docs::text(id),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        },
    };
    super::print_page(&page)
}
