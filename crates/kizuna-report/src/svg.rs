//! Inline SVG charts for the HTML report: no script, no external file, readable when
//! printed. Colours come from CSS classes (`c0`…`c7`, `sev-*`) defined by the report, so
//! the charts follow its print style.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::escape::esc;

const WIDTH: f64 = 720.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 16.0;

/// A rounded-up axis maximum with about four ticks: 1, 2, 5 × 10ⁿ steps.
fn nice_max(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let s = step * m;
            if max.div_ceil(s) <= 4 {
                return (max.div_ceil(s) * s, s);
            }
        }
        step *= 10;
    }
}

fn open(s: &mut String, height: f64, title: &str) {
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
}

/// Day index of `d` from `first`.
fn day_of(first: NaiveDate, d: NaiveDate) -> f64 {
    (d - first).num_days() as f64
}

/// Lines per series over days `first..=last` (one point per day, 0 where a series has
/// none), with a legend. `series` is (name, per-day counts).
pub fn lines(
    title: &str,
    series: &[(String, Vec<(NaiveDate, u64)>)],
    first: NaiveDate,
    last: NaiveDate,
) -> String {
    let days = day_of(first, last).max(1.0);
    let legend_rows = series.len().div_ceil(4) as f64;
    let plot_top = 10.0;
    let plot_h = 180.0;
    let height = plot_top + plot_h + 30.0 + legend_rows * 18.0;
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|(_, n)| *n))
        .max()
        .unwrap_or(0);
    let (top, step) = nice_max(max);
    let x = |d: f64| LEFT + d / days * (WIDTH - LEFT - RIGHT);
    let y = |n: u64| plot_top + plot_h - n as f64 / top as f64 * plot_h;
    let mut s = String::new();
    open(&mut s, height, title);
    let mut tick = 0;
    while tick <= top {
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{tx}" y="{ty:.1}" text-anchor="end">{tick}</text>"#,
            x2 = WIDTH - RIGHT,
            yy = y(tick),
            tx = LEFT - 6.0,
            ty = y(tick) + 4.0,
        );
        tick += step;
    }
    for (label, at) in [(first, 0.0), (last, days)] {
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="{}">{}</text>"#,
            x(at),
            plot_top + plot_h + 16.0,
            if at == 0.0 { "start" } else { "end" },
            label.format("%Y-%m-%d")
        );
    }
    for (i, (name, points)) in series.iter().enumerate() {
        let by_day: std::collections::BTreeMap<NaiveDate, u64> = points.iter().copied().collect();
        let mut path = String::new();
        for i in 0..=days as i64 {
            let d = first + chrono::Duration::days(i);
            let n = by_day.get(&d).copied().unwrap_or(0);
            let _ = write!(
                path,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x(i as f64),
                y(n)
            );
        }
        let total: u64 = points.iter().map(|(_, n)| n).sum();
        let _ = write!(
            s,
            r#"<path class="line c{c}" d="{path}"><title>{n}: {total}</title></path>"#,
            c = i % 8,
            n = esc(name)
        );
        let lx = 10.0 + (i % 4) as f64 * 175.0;
        let ly = plot_top + plot_h + 36.0 + (i / 4) as f64 * 18.0;
        let _ = write!(
            s,
            r#"<rect class="c{c} swatch" x="{lx}" y="{sy}" width="12" height="12"/><text class="legend" x="{tx}" y="{ty}">{n} ({total})</text>"#,
            c = i % 8,
            sy = ly - 10.0,
            tx = lx + 16.0,
            ty = ly,
            n = esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// A heat map: one row per name, one cell per day with a count (darker = more).
pub fn heatmap(
    title: &str,
    rows: &[(String, Vec<(NaiveDate, u64)>)],
    first: NaiveDate,
    last: NaiveDate,
) -> String {
    let days = day_of(first, last) + 1.0;
    let row_h = 14.0;
    let height = 10.0 + rows.len() as f64 * row_h + 24.0;
    let cell = (WIDTH - LEFT - RIGHT) / days;
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().map(|(_, n)| *n))
        .max()
        .unwrap_or(1)
        .max(1);
    let mut s = String::new();
    open(&mut s, height, title);
    for (r, (name, cells)) in rows.iter().enumerate() {
        let y = 10.0 + r as f64 * row_h;
        let _ = write!(
            s,
            r#"<text class="axis" x="{tx}" y="{ty:.1}" text-anchor="end">{n}</text><rect class="track" x="{LEFT}" y="{y:.1}" width="{w:.1}" height="{h}"/>"#,
            tx = LEFT - 6.0,
            ty = y + row_h - 4.0,
            n = esc(name),
            w = WIDTH - LEFT - RIGHT,
            h = row_h - 2.0,
        );
        for (d, n) in cells {
            // Five shades: a day with one failure is visible, the worst day is darkest.
            let level = 1 + (*n * 4).div_ceil(max).min(4);
            let _ = write!(
                s,
                r#"<rect class="heat h{level}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h}"><title>{n} {d}: {c}</title></rect>"#,
                x = LEFT + day_of(first, *d) * cell,
                w = cell.max(1.5),
                h = row_h - 2.0,
                n = esc(name),
                d = d.format("%Y-%m-%d"),
                c = n,
            );
        }
    }
    let ty = 10.0 + rows.len() as f64 * row_h + 14.0;
    let _ = write!(
        s,
        r#"<text class="axis" x="{LEFT}" y="{ty:.1}">{}</text><text class="axis" x="{x2}" y="{ty:.1}" text-anchor="end">{}</text></svg>"#,
        first.format("%Y-%m-%d"),
        last.format("%Y-%m-%d"),
        x2 = WIDTH - RIGHT,
    );
    s
}

/// Horizontal bars: (label, value, CSS class, note shown after the value).
pub fn bars(title: &str, bars: &[(String, u64, &str, String)]) -> String {
    let row_h = 20.0;
    let height = 10.0 + bars.len() as f64 * row_h + 10.0;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let span = WIDTH - LEFT - RIGHT - 40.0;
    let mut s = String::new();
    open(&mut s, height, title);
    for (i, (label, n, class, note)) in bars.iter().enumerate() {
        let y = 10.0 + i as f64 * row_h;
        let w = (*n as f64 / max as f64 * span).max(1.0);
        let _ = write!(
            s,
            r#"<text class="axis" x="{tx}" y="{ty:.1}" text-anchor="end">{l}</text><rect class="bar {class}" x="{LEFT}" y="{y:.1}" width="{w:.1}" height="{h}"/><text class="value" x="{vx:.1}" y="{ty:.1}">{n}{note}</text>"#,
            tx = LEFT - 6.0,
            ty = y + row_h - 7.0,
            l = esc(label),
            h = row_h - 4.0,
            vx = LEFT + w + 4.0,
            note = if note.is_empty() {
                String::new()
            } else {
                format!(" · {}", esc(note))
            },
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0), (1, 1));
        assert_eq!(nice_max(3), (3, 1));
        assert_eq!(nice_max(7), (8, 2));
        assert_eq!(nice_max(17), (20, 5));
        assert_eq!(nice_max(1234), (1500, 500));
    }

    #[test]
    fn a_line_has_a_point_per_day_and_escapes_names() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 3, n).unwrap();
        let svg = lines("t<", &[("DC<1>".into(), vec![(d(2), 5)])], d(1), d(4));
        assert!(svg.contains("<title>t&lt;</title>"));
        assert!(svg.contains("DC&lt;1&gt; (5)"));
        let path = svg
            .split(r#"d=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(path.matches(['M', 'L']).count(), 4, "{path}");
    }
}
