//! report.html in a real browser (headless Chromium from Debian): it makes no request
//! at all, its DOM after scripts holds every finding and device, its tables sort and
//! filter when clicked and typed into, and its screenshots in Japanese and English show a
//! full page of content.

use crate::common;

use kizuna_testbed::browser::Chromium;

fn chromium() -> Chromium {
    Chromium::find_or_install().unwrap_or_else(|why| panic!("headless Chromium: {why}"))
}

/// Rows of the table `id` in a DOM dump: (hidden, first cell text).
fn rows(dom: &str, id: &str) -> Vec<(bool, String)> {
    let start = dom.find(&format!("<table id=\"{id}\"")).expect("the table");
    let body = &dom[start..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let hidden = row.starts_with(" hidden");
            let cell = row.split("<td").nth(1).unwrap_or("");
            let text = cell[cell.find('>').unwrap() + 1..]
                .split('<')
                .next()
                .unwrap_or("")
                .to_string();
            (hidden, text)
        })
        .collect()
}

#[test]
fn the_report_loads_nothing_and_holds_every_finding_and_device() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    // The detector sees what a page asks for (control: a page that loads two things).
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        r#"<html><body><img src="http://example.invalid/x.png"><script src="https://cdn.invalid/a.js"></script></body></html>"#,
    )
    .unwrap();
    let seen = browser
        .load(&control, &dir.path().join("chromium-control"))
        .unwrap();
    assert_eq!(
        seen.requests,
        ["http://example.invalid/x.png", "https://cdn.invalid/a.js"]
    );
    for lang in ["en", "ja"] {
        let v = common::demo_json(dir.path(), lang, lang);
        let page = dir.path().join(lang).join("report.html");
        let loaded = browser
            .load(&page, &dir.path().join(format!("chromium-{lang}")))
            .unwrap();
        assert!(
            loaded.requests.is_empty(),
            "{lang}: the report requested {:?}",
            loaded.requests
        );
        for f in v["findings"].as_array().unwrap() {
            for s in common::subjects(f) {
                assert!(loaded.dom.contains(&s), "{lang}: {s} in the DOM");
            }
        }
        let devices = rows(&loaded.dom, "devices-table");
        assert_eq!(devices.len(), v["devices"].as_array().unwrap().len());
    }
}

#[test]
fn tables_sort_on_click_and_filter_as_typed() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    common::demo_json(dir.path(), "en", "en");
    let html = std::fs::read_to_string(dir.path().join("en/report.html")).unwrap();
    // What a reader does: click "Device" twice (descending), type into the findings filter.
    let act = r#"<script>
var th = document.querySelector('#devices-table th');
th.click(); th.click();
var f = document.querySelector('input[data-filter="findings-table"]');
f.value = 'PC-CLONE'; f.dispatchEvent(new Event('input'));
</script></body>"#;
    let page = dir.path().join("acted.html");
    std::fs::write(&page, html.replacen("</body>", act, 1)).unwrap();
    let dom = browser
        .load(&page, &dir.path().join("chromium"))
        .unwrap()
        .dom;
    let names: Vec<String> = rows(&dom, "devices-table")
        .into_iter()
        .map(|r| r.1)
        .collect();
    let mut want = names.clone();
    want.sort();
    want.reverse();
    assert_eq!(names, want, "descending by device after two clicks");
    assert!(
        dom.contains("<th class=\"desc\">"),
        "the header shows the order"
    );
    let findings = rows(&dom, "findings-table");
    let shown = findings.iter().filter(|r| !r.0).count();
    assert!(
        shown >= 1 && shown < findings.len(),
        "{shown} of {}",
        findings.len()
    );
}

#[test]
fn screenshots_show_a_full_page_in_both_languages() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    for lang in ["en", "ja"] {
        common::demo_json(dir.path(), lang, lang);
        let png = dir.path().join(format!("{lang}.png"));
        let shot = browser
            .screenshot(
                &dir.path().join(lang).join("report.html"),
                &png,
                (1280, 2400),
                &dir.path().join(format!("shot-{lang}")),
            )
            .unwrap();
        assert_eq!((shot.width, shot.height), (1280, 2400));
        assert!(
            shot.colours > 100,
            "{lang}: charts and badges in colour: {shot:?}"
        );
        assert!(
            shot.busy_rows > 1200,
            "{lang}: content down the page: {shot:?}"
        );
    }
}
