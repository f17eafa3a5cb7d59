//! `scan --out DIR`: report.html (self-contained, every finding and device in it, text
//! content snapshotted in both languages), findings.csv / devices.csv (UTF-8 with BOM, read
//! back with a BOM-aware CSV reader), findings.jsonl and events.jsonl (one JSON object per
//! line), all checked against the scan's own JSON.

use crate::common;

use std::collections::BTreeSet;

/// The visible text of an HTML page: no styles or scripts, one line per block element.
fn text_content(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["style", "script"] {
        while let Some(i) = s.find(&format!("<{tag}")) {
            let end = s[i..].find(&format!("</{tag}>")).expect("closed") + i + tag.len() + 3;
            s.replace_range(i..end, "");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for c in s.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if [
                    "p",
                    "li",
                    "tr",
                    "h1",
                    "h2",
                    "h3",
                    "section",
                    "figure",
                    "figcaption",
                    "br",
                    "div",
                    "summary",
                    "header",
                    "footer",
                    "nav",
                    "title",
                    "text",
                ]
                .contains(&name.as_str())
                {
                    out.push('\n');
                } else if ["td", "th"].contains(&name.as_str()) {
                    out.push_str(" | ");
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && l != "|")
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn report_html_is_self_contained_and_shows_every_finding_and_device() {
    let dir = tempfile::tempdir().unwrap();
    let v = common::demo_json(dir.path(), "en", "en");
    let html = std::fs::read_to_string(dir.path().join("en/report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    common::assert_self_contained(&html);
    assert!(html.contains("default-src 'none'"), "a CSP forbids loading");
    let text = text_content(&html);
    for f in v["findings"].as_array().unwrap() {
        for s in common::subjects(f) {
            assert!(
                text.contains(&s),
                "subject {s} of {} is in the report",
                f["rule"]
            );
        }
        assert!(
            text.contains(f["title"].as_str().unwrap()),
            "{}",
            f["title"]
        );
    }
    for d in v["devices"].as_array().unwrap() {
        let row = format!("| {} |", d["name"].as_str().unwrap());
        assert!(text.contains(&row), "device row {row}");
    }
    // The charts are drawn from the evidence (inline SVG with a line per DC).
    assert_eq!(
        html.matches("<svg class=\"chart\"").count(),
        3,
        "no directory: 3 charts"
    );
    assert!(html.contains("<path class=\"line c0\""), "events per DC");
    assert!(html.contains("class=\"heat h"), "failures heat map");
    assert!(html.contains("· KZ-SID-001</text>"), "duplicate-SID groups");
    // The checklist judges what the evidence allows and says what it could not check.
    assert!(text.contains("ACTION Members set up their secure channel without failures"));
    assert!(text.contains("NOT CHECKED Every workaround GPO records an expiry date"));
    assert!(text.contains("ACTION After its expiry, no device still holds"));
}

#[test]
fn report_text_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    for lang in ["en", "ja"] {
        common::demo_json(dir.path(), lang, lang);
        let html = std::fs::read_to_string(dir.path().join(lang).join("report.html")).unwrap();
        insta::assert_snapshot!(format!("report_text_{lang}"), text_content(&html));
    }
}

#[test]
fn csv_exports_have_a_bom_and_read_back_in_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let v = common::demo_json(dir.path(), "ja", "ja");
    let raw = std::fs::read(dir.path().join("ja/findings.csv")).unwrap();
    assert!(
        raw.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    assert!(raw.windows(2).any(|w| w == b"\r\n"), "CRLF line ends");
    let mut rdr = csv::Reader::from_reader(&raw[..]);
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "severity", "the reader strips the BOM");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let want: Vec<(String, String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                common::subjects(f).join(";"),
                f["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| (r[0].into(), r[1].into(), r[3].into(), r[4].into()))
        .collect();
    assert_eq!(got, want);
    assert!(
        got.iter().any(|r| r.3.contains("重複")),
        "Japanese titles survive the round trip"
    );

    let raw = std::fs::read(dir.path().join("ja/devices.csv")).unwrap();
    assert!(raw.starts_with("\u{feff}".as_bytes()));
    let mut rdr = csv::Reader::from_reader(&raw[..]);
    assert_eq!(&rdr.headers().unwrap()[0], "name");
    let names: BTreeSet<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    let want: BTreeSet<String> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, want);
}

#[test]
fn json_lines_exports_match_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let v = common::demo_json(dir.path(), "en", "en");
    let text = std::fs::read_to_string(dir.path().join("en/findings.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(lines.len(), findings.len());
    for (l, f) in lines.iter().zip(findings) {
        assert_eq!(l["schema"], "kizuna.finding/1");
        assert_eq!(l["lang"], "en");
        for k in ["rule", "severity", "subjects", "title", "detail", "remedy"] {
            assert_eq!(l[k], f[k], "{k}");
        }
    }
    let events = std::fs::read_to_string(dir.path().join("en/events.jsonl")).unwrap();
    let watched: u64 = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        events.lines().count() as u64,
        watched,
        "every watched event"
    );
    let first: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    for k in [
        "provider", "event_id", "time", "computer", "subject", "path",
    ] {
        assert!(first.get(k).is_some(), "{k} in {first}");
    }
}
