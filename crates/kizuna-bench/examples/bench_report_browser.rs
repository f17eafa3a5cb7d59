//! report.html at scale in a real browser: a `scale` lab of N devices (default 10,000,
//! over D days, default 30) is scanned with `--out`, and its report is opened, sorted and
//! filtered in headless Chromium, against baselines measured in the same run: a blank
//! page (Chromium's own start-up) and the small demo's report.
//!
//! Timings inside the page come from `performance.now()` in a script appended to the
//! report (no virtual clock): `parsed` = navigation start to the end of the body (HTML
//! parsed, styles and charts laid out far enough to run scripts), `sort` = two clicks on
//! the devices table's first header (ascending, then descending, checked), `filter` =
//! typing into the findings filter. The wall time is the whole Chromium run. Each is the
//! median of 3 runs.
//!
//! ```sh
//! cargo build --release -p kizuna
//! cargo run --release -p kizuna-bench --example bench_report_browser -- 10000 30
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kizuna_testbed::browser::Chromium;

const RUNS: usize = 3;

/// Appended before `</body>`: measures and writes the results into the DOM.
const PROBE: &str = r#"<script>
(function () {
  var parsed = performance.now();
  var table = document.getElementById('devices-table');
  var th = table.querySelector('th');
  var t0 = performance.now();
  th.click(); th.click();
  var sort = performance.now() - t0;
  var rows = table.tBodies[0].rows;
  var first = rows[0].cells[0].textContent, last = rows[rows.length - 1].cells[0].textContent;
  var f = document.querySelector('input[data-filter="findings-table"]');
  var t1 = performance.now();
  if (f) { f.value = 'PC-0001'; f.dispatchEvent(new Event('input')); }
  var filter = performance.now() - t1;
  var pre = document.createElement('pre');
  pre.id = 'bench';
  pre.textContent = 'parsed=' + parsed.toFixed(1) + ';sort=' + sort.toFixed(1) +
    ';filter=' + filter.toFixed(1) + ';rows=' + rows.length + ';desc=' + (first >= last ? 1 : 0);
  document.body.appendChild(pre);
  window.addEventListener('load', function () {
    pre.textContent += ';load=' + performance.now().toFixed(1);
  });
})();
</script></body>"#;

fn run(kizuna: &str, args: &[&str]) -> f64 {
    let t = Instant::now();
    let status = Command::new(kizuna)
        .args(args)
        .arg("--quiet")
        .stdout(Stdio::null())
        .status()
        .expect("kizuna runs");
    assert!(status.code().is_some_and(|c| c <= 1), "{args:?}: {status}");
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (wall s, parsed ms, sort ms, filter ms, load ms, rows) of `page`, medians of RUNS.
fn measure(browser: &Chromium, page: &Path, work: &Path) -> (f64, f64, f64, f64, f64, usize) {
    let mut wall = Vec::new();
    let mut inner: Vec<[f64; 4]> = Vec::new();
    let mut rows = 0;
    for i in 0..RUNS {
        let (dom, took): (String, Duration) = browser
            .load_timed(page, &work.join(format!("run{i}")))
            .expect("chromium loads the page");
        wall.push(took.as_secs_f64());
        if let Some(at) = dom.find("<pre id=\"bench\">") {
            let text = &dom[at + 16..];
            let text = &text[..text.find("</pre>").unwrap_or(0)];
            let get = |k: &str| -> f64 {
                text.split(';')
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            assert_eq!(get("desc"), 1.0, "the devices table ends sorted descending");
            rows = get("rows") as usize;
            inner.push([get("parsed"), get("sort"), get("filter"), get("load")]);
        }
    }
    let col = |i: usize| median(inner.iter().map(|v| v[i]).collect());
    if inner.is_empty() {
        (median(wall), f64::NAN, f64::NAN, f64::NAN, f64::NAN, 0)
    } else {
        (median(wall), col(0), col(1), col(2), col(3), rows)
    }
}

fn probed(report: &Path, into: &Path, name: &str) -> PathBuf {
    let html = std::fs::read_to_string(report).expect("report.html");
    let page = into.join(format!("{name}-probed.html"));
    std::fs::write(&page, html.replacen("</body>", PROBE, 1)).expect("writes");
    page
}

fn gzip_len(path: &Path) -> usize {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(path).unwrap()).unwrap();
    gz.finish().unwrap().len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let devices: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let days: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    let kizuna = std::env::var("KIZUNA_BIN").unwrap_or_else(|_| "target/release/kizuna".into());
    let tmp = tempfile::tempdir().expect("temp");
    let dir = tmp.path();
    // A third argument reuses a scan's --out folder instead of generating one.
    let scale = match args.next() {
        Some(existing) => PathBuf::from(existing),
        None => {
            let (n, d) = (devices.to_string(), days.to_string());
            let lab = dir.join("lab");
            let generated = run(
                &kizuna,
                &[
                    "lab",
                    "generate",
                    "--scenario",
                    "scale",
                    "--devices",
                    &n,
                    "--days",
                    &d,
                    "--out",
                    lab.to_str().unwrap(),
                ],
            );
            let out = dir.join("scale");
            let evidence = lab.join("evidence");
            let scanned = run(
                &kizuna,
                &[
                    "scan",
                    evidence.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--format",
                    "json",
                ],
            );
            println!(
                "scale lab: {devices} devices × {days} days (generated in {generated:.1} s, \
                 scanned with --out in {scanned:.1} s)"
            );
            out
        }
    };
    let small = dir.join("small");
    run(
        &kizuna,
        &["demo", "--out", small.to_str().unwrap(), "--format", "json"],
    );
    let browser = Chromium::find_or_install().expect("chromium");
    let blank = dir.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><title>blank</title><p>blank</p>").unwrap();
    let (blank_wall, ..) = measure(&browser, &blank, &dir.join("w-blank"));
    println!(
        "baseline blank page: {:.0} ms wall (Chromium start-up)",
        blank_wall * 1000.0
    );
    println!(
        "| report | size | gzip | devices rows | wall | parsed | load event | sort ×2 | filter |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, folder) in [("small", small), ("scale", scale)] {
        let report = folder.join("report.html");
        let page = probed(&report, dir, name);
        let (wall, parsed, sort, filter, load, rows) =
            measure(&browser, &page, &dir.join(format!("w-{name}")));
        println!(
            "| {name} | {:.0} KB | {:.0} KB | {rows} | {:.0} ms ({:.0} ms over blank) | {parsed:.0} ms | {load:.0} ms | {sort:.0} ms | {filter:.0} ms |",
            std::fs::metadata(&report).unwrap().len() as f64 / 1024.0,
            gzip_len(&report) as f64 / 1024.0,
            wall * 1000.0,
            (wall - blank_wall) * 1000.0,
        );
    }
}
