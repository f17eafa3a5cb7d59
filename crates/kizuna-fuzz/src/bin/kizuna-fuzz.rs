//! `kizuna-fuzz targets` lists the fuzz targets with their largest input;
//! `kizuna-fuzz seeds OUT` writes seed folders (`OUT/<target>/`) from `../shared/corpus`
//! and a generated lab. Used by `fuzz/run`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("targets") => {
            for t in kizuna_fuzz::TARGETS {
                println!("{} {}", t.name, t.max_len);
            }
        }
        Some("seeds") if args.len() == 2 => {
            let out = PathBuf::from(&args[1]);
            let lab = tempfile::tempdir()?;
            kizuna_fuzz::seeds::write_lab(lab.path())?;
            let mut seeds = kizuna_fuzz::seeds::seeds_from(lab.path());
            match kizuna_fuzz::seeds::shared_corpus() {
                Some(c) => seeds.extend(kizuna_fuzz::seeds::seeds_from(&c)),
                None => eprintln!("kizuna-fuzz: ../shared/corpus is absent; lab seeds only"),
            }
            for s in &seeds {
                let dir = out.join(s.target);
                std::fs::create_dir_all(&dir)?;
                std::fs::write(dir.join(&s.name), &s.data)?;
            }
            eprintln!(
                "kizuna-fuzz: {} seeds written to {}",
                seeds.len(),
                out.display()
            );
        }
        _ => {
            eprintln!("usage: kizuna-fuzz targets | kizuna-fuzz seeds OUT");
            std::process::exit(2);
        }
    }
    Ok(())
}
