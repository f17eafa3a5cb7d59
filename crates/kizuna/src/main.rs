use clap::Parser;

fn main() {
    let cli = kizuna::cli::Cli::parse();
    let code = match kizuna::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            kizuna::console::Console::new(kizuna_i18n::Lang::from_env(), false).error(
                "cli-error",
                &[("error", kizuna::console::text(format!("{e:#}")))],
            );
            kizuna::cli::EXIT_USAGE
        }
    };
    std::process::exit(code);
}
