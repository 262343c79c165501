//! Draws the mixed workload's reader latencies as a PNG: for each synchronous_commit
//! setting one panel, and in it one group of bars (p50, p99, max) per system and lock
//! policy, on a logarithmic millisecond axis so that a 0.1 ms median and a 100 ms
//! maximum are both readable.
//!
//! Usage: `turnstile-bench-chart INPUT.tsv OUTPUT.png FONT.ttf`. The input is what
//! `compat/bench/run.sh` writes: a header line, then one line per run,
//! `sync<TAB>system<TAB>p50_ms<TAB>p99_ms<TAB>max_ms`, in the order to draw. plotters
//! draws text with ab_glyph from the TrueType font given, since a headless machine has
//! no font configuration to ask.

use std::error::Error;
use std::fs;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

/// One run of the mixed workload: who served it and its reader latencies in ms.
struct Run {
    /// The synchronous_commit setting of the run ("on" or "off"): one panel each.
    sync: String,
    /// The system and policy, e.g. "turnstile fair" or "postgres": one bar group each.
    system: String,
    /// p50, p99 and max reader latency, in milliseconds.
    latencies_ms: [f64; 3],
    /// The same as the input wrote them, for the bar labels: the figures of the table.
    labels: [String; 3],
}

/// The bar colours and legend labels of p50, p99 and max, in that order.
const SERIES: [(&str, RGBColor); 3] = [
    ("p50", RGBColor(66, 133, 244)),
    ("p99", RGBColor(244, 160, 0)),
    ("max", RGBColor(219, 68, 55)),
];

/// The font family name the TrueType font is registered under.
const FONT: &str = "sans-serif";

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output, font] = args.as_slice() else {
        return Err("usage: turnstile-bench-chart INPUT.tsv OUTPUT.png FONT.ttf".into());
    };
    // register_font keeps the bytes for the life of the program.
    let font_bytes: &'static [u8] = Box::leak(fs::read(font)?.into_boxed_slice());
    register_font(FONT, FontStyle::Normal, font_bytes)
        .map_err(|_| format!("{font}: not a usable TrueType font"))?;
    let runs = parse(&fs::read_to_string(input)?)?;
    draw(&runs, output)
}

/// Reads the TSV: a header, then `sync system p50 p99 max` lines.
fn parse(text: &str) -> Result<Vec<Run>, Box<dyn Error>> {
    let mut runs = Vec::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [sync, system, p50, p99, max] = fields.as_slice() else {
            return Err(format!("line {}: expected 5 tab-separated fields", number + 1).into());
        };
        let ms = |field: &str| {
            field
                .parse::<f64>()
                .map_err(|e| format!("line {}: {field:?}: {e}", number + 1))
        };
        runs.push(Run {
            sync: sync.to_string(),
            system: system.to_string(),
            latencies_ms: [ms(p50)?, ms(p99)?, ms(max)?],
            labels: [p50.to_string(), p99.to_string(), max.to_string()],
        });
    }
    if runs.is_empty() {
        return Err("no runs to draw".into());
    }
    Ok(runs)
}

/// Draws one panel per sync setting, side by side, into a PNG at `output`.
fn draw(runs: &[Run], output: &str) -> Result<(), Box<dyn Error>> {
    let mut syncs: Vec<&str> = Vec::new();
    for run in runs {
        if !syncs.contains(&run.sync.as_str()) {
            syncs.push(&run.sync);
        }
    }
    let groups = runs.iter().filter(|run| run.sync == syncs[0]).count() as u32;
    let width = syncs.len() as u32 * (140 + 120 * groups.max(4));
    let root = BitMapBackend::new(output, (width, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Mixed workload: reader latency (8 readers next to 16 writers), log scale",
        (FONT, 24),
    )?;
    // Bars from 0.01 ms up to at least a decade above the largest value, whatever the
    // run, which leaves the legend room above the bars.
    let top_ms = runs
        .iter()
        .flat_map(|run| run.latencies_ms)
        .fold(1.0, f64::max);
    let y_range = 0.01..10f64.powf(top_ms.log10().ceil() + 1.0);
    for (panel, sync) in root.split_evenly((1, syncs.len())).iter().zip(&syncs) {
        let panel_runs: Vec<&Run> = runs.iter().filter(|run| run.sync == *sync).collect();
        draw_panel(panel, sync, &panel_runs, y_range.clone())?;
    }
    root.present()?;
    Ok(())
}

/// One panel: a bar group per run, three bars in each.
fn draw_panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    sync: &str,
    runs: &[&Run],
    y_range: std::ops::Range<f64>,
) -> Result<(), Box<dyn Error>> {
    let mut chart = ChartBuilder::on(area)
        .caption(format!("synchronous_commit = {sync}"), (FONT, 20))
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..runs.len() as f64, y_range.log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc("PostgreSQL, then Turnstile by --lock-policy")
        .y_desc("reader latency (ms)")
        .y_label_formatter(&|ms| format!("{ms}"))
        .label_style((FONT, 14))
        .draw()?;
    let bottom = chart.y_range().start;
    for (series, (label, colour)) in SERIES.iter().enumerate() {
        let bars = runs.iter().enumerate().map(|(group, run)| {
            let left = group as f64 + 0.12 + 0.25 * series as f64;
            Rectangle::new(
                [(left, bottom), (left + 0.25, run.latencies_ms[series])],
                colour.filled(),
            )
        });
        chart
            .draw_series(bars)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()));
    }
    // Each bar's value above it, and the group's name under the axis, both anchored
    // in chart coordinates and moved by pixels.
    let centred =
        |size| TextStyle::from((FONT, size).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (group, run) in runs.iter().enumerate() {
        for (series, (ms, label)) in run.latencies_ms.iter().zip(&run.labels).enumerate() {
            let centre = group as f64 + 0.245 + 0.25 * series as f64;
            chart.draw_series(std::iter::once(
                EmptyElement::at((centre, *ms)) + Text::new(label.clone(), (0, -2), centred(12)),
            ))?;
        }
        let name = Text::new(run.system.clone(), (0, 28), centred(15));
        chart.draw_series(std::iter::once(
            EmptyElement::at((group as f64 + 0.5, bottom)) + name,
        ))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}
