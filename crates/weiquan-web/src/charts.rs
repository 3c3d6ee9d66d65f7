//! Charts drawn as SVG on the server: readable without JavaScript, printable,
//! and with a title and the figures as text for screen readers.

use maud::{Markup, html};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels.
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
const BAR: &str = "#1a5fb4";
const GRID: &str = "#d0d7de";
const INK: &str = "#24292f";

/// Vertical bars, one per `(label, value)`, with a few labels on the x axis.
pub(crate) fn columns(title: &str, points: &[(String, u64)]) -> Markup {
    let max = nice_max(points.iter().map(|(_, v)| *v).max().unwrap_or(0));
    let plot_width = WIDTH - LEFT - 8.0;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let step = plot_width / points.len().max(1) as f64;
    let label_every = points.len().div_ceil(8).max(1);
    let y = |value: u64| TOP + plot_height * (1.0 - value as f64 / max as f64);
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            desc { (points.iter().map(|(label, value)| format!("{label}：{value}")).collect::<Vec<_>>().join("；")) }
            @for tick in [0, max / 2, max] {
                line x1=(LEFT) x2=(WIDTH - 8.0) y1=(fmt(y(tick))) y2=(fmt(y(tick))) stroke=(GRID) {}
                text x=(LEFT - 6.0) y=(fmt(y(tick) + 4.0)) text-anchor="end" font-size="12" fill=(INK) { (tick) }
            }
            @for (i, (label, value)) in points.iter().enumerate() {
                @let x = LEFT + step * i as f64;
                rect x=(fmt(x + step * 0.15)) y=(fmt(y(*value))) width=(fmt(step * 0.7)) height=(fmt(plot_height + TOP - y(*value))) fill=(BAR) {
                    title { (label) "：" (value) }
                }
                @if i % label_every == 0 {
                    text x=(fmt(x + step / 2.0)) y=(fmt(HEIGHT - 8.0)) text-anchor="middle" font-size="12" fill=(INK) { (label) }
                }
            }
        }
    }
}

/// Horizontal bars with their label and value, one row each.
pub(crate) fn bars(title: &str, rows: &[(String, u64)]) -> Markup {
    let row_height = 28.0;
    let height = row_height * rows.len().max(1) as f64 + 8.0;
    let label_width = 160.0;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let room = WIDTH - label_width - 60.0;
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (fmt(height)) } role="img" aria-label=(title) {
            title { (title) }
            desc { (rows.iter().map(|(label, value)| format!("{label}：{value}")).collect::<Vec<_>>().join("；")) }
            @for (i, (label, value)) in rows.iter().enumerate() {
                @let top = 4.0 + row_height * i as f64;
                @let width = room * *value as f64 / max as f64;
                text x=(label_width - 8.0) y=(fmt(top + 18.0)) text-anchor="end" font-size="14" fill=(INK) { (label) }
                rect x=(label_width) y=(fmt(top + 4.0)) width=(fmt(width)) height="20" fill=(BAR) {}
                text x=(fmt(label_width + width + 6.0)) y=(fmt(top + 18.0)) font-size="14" fill=(INK) { (value) }
            }
        }
    }
}

/// The axis top: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_max(max: u64) -> u64 {
    let mut unit = 1;
    loop {
        for step in [1, 2, 5] {
            if step * unit >= max.max(1) {
                return step * unit;
            }
        }
        unit *= 10;
    }
}

/// Coordinates with one decimal, so the markup stays small.
fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!([0, 1, 3, 7, 10, 11, 48, 120].map(nice_max), [1, 1, 5, 10, 10, 20, 50, 200]);
    }

    #[test]
    fn empty_charts_still_draw() {
        assert!(columns("空", &[]).into_string().starts_with("<svg"));
        assert!(bars("空", &[]).into_string().contains("<title>空</title>"));
    }
}
