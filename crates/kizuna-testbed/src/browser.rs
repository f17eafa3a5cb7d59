//! Headless Chromium for tests of kizuna's HTML: the DOM after the page's scripts ran,
//! every URL the page asked for (from Chromium's own NetLog), and screenshots.
//!
//! Chromium comes from the Debian package, installed with apt-get when absent (with the
//! Noto CJK fonts, so Japanese screenshots show glyphs, not boxes). Each run gets its own
//! profile directory and is killed after a time limit; nothing else is ever signalled.
//!
//! Requests are attributed to the page by their network isolation key in the NetLog: what
//! a `file://` page asks for is keyed by the `file://` site, while Chromium's own
//! background requests (update checks, network time) carry other keys.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::{self, run};

const PACKAGES: &[&str] = &["chromium", "fonts-noto-cjk"];

/// A headless Chromium.
#[derive(Debug, Clone)]
pub struct Chromium {
    exe: PathBuf,
}

/// What a page did when loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The serialized DOM after scripts ran (`--dump-dom`).
    pub dom: String,
    /// URLs the page requested (not the page itself).
    pub requests: Vec<String>,
}

/// A decoded screenshot's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screenshot {
    pub width: u32,
    pub height: u32,
    /// Distinct RGB colours (a blank page has one or two).
    pub colours: usize,
    /// Rows that are not a single colour (how much of the page has content).
    pub busy_rows: u32,
}

impl Chromium {
    /// Finds `chromium`, installing it (as root, with apt-get) when absent. Tests of one
    /// binary run in threads: the first installs, the others wait for its result.
    pub fn find_or_install() -> Result<Chromium, String> {
        static FOUND: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
        FOUND
            .get_or_init(|| crate::find_or_install("chromium", PACKAGES))
            .clone()
            .map(|exe| Chromium { exe })
    }

    /// The browser's executable (for drivers that start it themselves, over DevTools).
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// Chromium with a fresh profile in `work`, no first-run UI, no background services.
    fn command(&self, work: &Path, extra: &[String]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--mute-audio",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .args(extra);
        cmd
    }

    /// Runs one Chromium, killed after 3 minutes; an error names what it was doing.
    fn run(mut cmd: Command, what: &str, page: &Path) -> Result<process::Ran, String> {
        let r = run(&mut cmd, None, Duration::from_secs(180))?;
        if r.ok {
            Ok(r)
        } else {
            Err(format!(
                "chromium {what} {} failed ({}):\n{}",
                page.display(),
                r.status,
                process::tail(&r.stderr, 20)
            ))
        }
    }

    fn file_url(page: &Path) -> Result<String, String> {
        let abs = page
            .canonicalize()
            .map_err(|e| format!("{}: {e}", page.display()))?;
        Ok(format!("file://{}", abs.display()))
    }

    /// URLs a `file://` page requested, from a NetLog file: URL_REQUEST_START_JOB events
    /// whose network isolation key is the `file://` site.
    fn page_requests(path: &Path) -> Result<BTreeSet<String>, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let log: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
            .as_u64()
            .ok_or_else(|| format!("{}: no URL_REQUEST_START_JOB type", path.display()))?;
        Ok(log["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["type"].as_u64() == Some(start))
            .filter(|e| {
                e["params"]["network_isolation_key"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("file://"))
            })
            .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
            .collect())
    }

    fn dump(
        &self,
        page: &Path,
        work: &Path,
        tag: &str,
    ) -> Result<(String, BTreeSet<String>), String> {
        let dir = work.join(tag);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let netlog = dir.join("net.json");
        let cmd = self.command(
            &dir,
            &[
                format!("--log-net-log={}", netlog.display()),
                "--virtual-time-budget=10000".into(),
                "--dump-dom".into(),
                Self::file_url(page)?,
            ],
        );
        let r = Self::run(cmd, "--dump-dom", page)?;
        Ok((r.stdout, Self::page_requests(&netlog)?))
    }

    /// Loads `page` (a local file); `work` holds the profile and the NetLog.
    pub fn load(&self, page: &Path, work: &Path) -> Result<Loaded, String> {
        let (dom, urls) = self.dump(page, work, "load")?;
        let own = Self::file_url(page)?;
        let requests = urls.into_iter().filter(|u| *u != own).collect();
        Ok(Loaded { dom, requests })
    }

    /// Loads `page` in real time (no virtual clock, so the page's own `performance.now()`
    /// measures real work) and returns the DOM after the load event with the wall time of
    /// the whole Chromium run (start-up included: compare with a blank page).
    pub fn load_timed(&self, page: &Path, work: &Path) -> Result<(String, Duration), String> {
        let dir = work.join("timed");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let cmd = self.command(&dir, &["--dump-dom".into(), Self::file_url(page)?]);
        let started = std::time::Instant::now();
        let r = Self::run(cmd, "--dump-dom", page)?;
        Ok((r.stdout, started.elapsed()))
    }

    /// A `width`×`height` screenshot of `page` into `png`, decoded to check it shows
    /// something.
    pub fn screenshot(
        &self,
        page: &Path,
        png: &Path,
        (width, height): (u32, u32),
        work: &Path,
    ) -> Result<Screenshot, String> {
        let dir = work.join("shot");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let cmd = self.command(
            &dir,
            &[
                format!("--window-size={width},{height}"),
                format!("--screenshot={}", png.display()),
                "--virtual-time-budget=10000".into(),
                Self::file_url(page)?,
            ],
        );
        Self::run(cmd, "--screenshot", page)?;
        decode(png)
    }
}

/// Width, height and how varied the pixels of a PNG are.
pub fn decode(png: &Path) -> Result<Screenshot, String> {
    let file = std::fs::File::open(png).map_err(|e| format!("{}: {e}", png.display()))?;
    let mut reader = ::png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .map_err(|e| format!("{}: {e}", png.display()))?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("{}: {e}", png.display()))?;
    let step = match info.color_type {
        ::png::ColorType::Rgba => 4,
        ::png::ColorType::Rgb => 3,
        other => {
            return Err(format!(
                "{}: unexpected colour type {other:?}",
                png.display()
            ));
        }
    };
    let row = info.line_size;
    let mut colours = BTreeSet::new();
    let mut busy_rows = 0;
    for y in 0..info.height as usize {
        let line = &buf[y * row..y * row + info.width as usize * step];
        let first = &line[..3];
        let mut busy = false;
        for px in line.chunks(step) {
            colours.insert([px[0], px[1], px[2]]);
            busy |= &px[..3] != first;
        }
        busy_rows += u32::from(busy);
    }
    Ok(Screenshot {
        width: info.width,
        height: info.height,
        colours: colours.len(),
        busy_rows,
    })
}
