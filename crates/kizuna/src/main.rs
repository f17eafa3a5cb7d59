//! `kizuna`: the command line over the library crates. Arguments are parsed in `cli`,
//! resolved into settings in `settings`, and each command in `commands/` runs a use case
//! of `kizuna-pipeline` (or a library crate) and presents its outcome.

mod cli;
mod commands;
mod console;
mod directory;
mod exit;
mod password;
mod progress;
mod settings;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            console::Console::new(kizuna_i18n::Lang::from_env(), false).error(
                "cli-error",
                &[("error", console::text(exit::error_text(&e)))],
            );
            exit::USAGE
        }
    };
    std::process::exit(code);
}
