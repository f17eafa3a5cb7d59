//! The terminal summary of a scan.

use std::fmt::Write;

use kizuna_core::InputStatus;
use kizuna_core::MessageArg;
use kizuna_i18n::Messages;

use crate::ScanReport;

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// A readable summary: inputs with problems, counts by event, devices with findings,
/// then every finding with its evidence and remedy.
pub fn scan_text(r: &ScanReport<'_>, msg: &Messages) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", msg.text("summary-title"));
    let _ = writeln!(s, "{}", crate::inputs_line(r, msg));
    if let Some(hosts) = crate::hosts_line(r, msg) {
        let _ = writeln!(s, "{hosts}");
    }
    if let Some(skipped) = crate::skipped_line(r, msg) {
        let _ = writeln!(s, "{skipped}");
    }
    for i in r
        .inputs
        .iter()
        .filter(|i| !matches!(i.status, InputStatus::Ok | InputStatus::Skipped))
    {
        let line = msg.get(
            "summary-input-line",
            &[
                ("status", i.status.as_str().into()),
                ("kind", i.kind.as_str().into()),
                ("path", i.path.clone().into()),
                ("records", MessageArg::Number(i.records as i64)),
                ("kept", MessageArg::Number(i.kept as i64)),
            ],
        );
        let _ = writeln!(s, "  {line}");
        for e in i.errors.iter().take(3) {
            let _ = writeln!(s, "      {e}");
        }
    }
    if let Some(w) = crate::window_line(r, msg) {
        let _ = writeln!(s, "{w}");
    }
    let _ = writeln!(
        s,
        "{}",
        match &r.db {
            Some(p) => msg.get("summary-db", &[("path", p.clone().into())]),
            None => msg.text("summary-db-none"),
        }
    );
    s.push('\n');
    if r.analysis.event_counts.is_empty() {
        let _ = writeln!(s, "{}", msg.text("summary-no-events"));
    } else {
        let _ = writeln!(s, "{}", msg.text("summary-events"));
        for (p, id, n) in &r.analysis.event_counts {
            let _ = writeln!(s, "  {p:<38} {id:>6} {n:>8}");
        }
    }
    s.push('\n');
    // Devices with findings: worst severity first, then most findings. Subjects that are
    // not devices (a GPO's name) are left to the findings below.
    let by_device = crate::findings_by_device(r.analysis);
    if !by_device.is_empty() {
        let mut rows: Vec<_> = by_device.into_iter().collect();
        rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(b.1.1.cmp(&a.1.1)).then(a.0.cmp(b.0)));
        let _ = writeln!(s, "{}", msg.text("summary-devices"));
        for (d, (sv, n)) in rows.iter().take(20) {
            // Padded in terminal columns: 重大 and 高 line up like "critical" and "high".
            let severity = kizuna_i18n::pad(&crate::severity_label(msg, *sv), 10);
            let _ = writeln!(s, "  {severity} {} {n}", kizuna_i18n::pad(d, 24));
        }
        s.push('\n');
    }
    if r.analysis.findings.is_empty() {
        let _ = writeln!(s, "{}", msg.text("summary-no-findings"));
        return s;
    }
    let _ = writeln!(
        s,
        "{}",
        msg.get(
            "summary-findings",
            &[("count", r.analysis.findings.len().into())]
        )
    );
    for f in &r.analysis.findings {
        let _ = writeln!(
            s,
            "\n[{}] {} {}",
            crate::severity_label(msg, f.severity),
            f.rule,
            msg.title(f)
        );
        s.push_str(&indent(&msg.detail(f), "  "));
        let shown = f.evidence.len().min(5);
        let _ = writeln!(
            s,
            "  {}",
            msg.get(
                "summary-evidence",
                &[("shown", shown.into()), ("total", f.evidence_total.into())]
            )
        );
        for e in f.evidence.iter().take(shown) {
            let when = e.time.map_or("?".to_string(), |t| {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            });
            let at = crate::evidence_location(e);
            let _ = writeln!(s, "    {when}  {}  {at}", e.label);
        }
        let _ = writeln!(s, "  {}", msg.text("summary-remedy"));
        s.push_str(&indent(&msg.remedy(f), "    "));
    }
    s
}
