//! A collector's bundle: a folder of evidence as one zip, as a GPO startup script or an
//! Intune remediation would post it to `kizuna serve`.

use std::io;
use std::path::{Path, PathBuf};

/// Zips `root/sub` into `out`, members named `sub/…` with `/` separators, in sorted order
/// (the same folder always gives the same members in the same order).
pub fn zip_folder(root: &Path, sub: &str, out: &Path) -> io::Result<()> {
    let mut files = Vec::new();
    walk(&root.join(sub), &mut files)?;
    files.sort();
    let mut z = zip::ZipWriter::new(std::fs::File::create(out)?);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        let name = f
            .strip_prefix(root)
            .map_err(io::Error::other)?
            .to_string_lossy()
            .replace('\\', "/");
        z.start_file(name, opts).map_err(io::Error::other)?;
        io::copy(&mut std::fs::File::open(&f)?, &mut z)?;
    }
    z.finish().map_err(io::Error::other)?;
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}
