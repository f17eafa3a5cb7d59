use clap::Parser;

fn main() {
    let cli = kizuna::cli::Cli::parse();
    let code = match kizuna::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kizuna: error: {e:#}");
            kizuna::cli::EXIT_USAGE
        }
    };
    std::process::exit(code);
}
