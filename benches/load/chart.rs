//! The chart in BENCHMARKS.md: requests per second against concurrency, one line per row.

use std::path::Path;

use plotters::prelude::*;

// The floor in black, then colours that stay apart for readers with colour-blindness.
const COLORS: [RGBColor; 7] = [
    RGBColor(0, 0, 0),
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
];

/// Draws `series` (label, points of (clients, req/s)) as an SVG at `path`.
pub(crate) fn draw(path: &Path, series: &[(&str, Vec<(f64, f64)>)]) -> Result<(), String> {
    draw_inner(path, series).map_err(|e| format!("chart {}: {e}", path.display()))
}

fn draw_inner(
    path: &Path,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let points = || series.iter().flat_map(|(_, p)| p.iter());
    // Concurrency doubles from tick to tick: plot log2 of it, label the ticks 1, 2, 4, ...
    let x_max = points().map(|p| p.0.log2()).fold(0.0, f64::max);
    let y_max = points().map(|p| p.1).fold(1.0, f64::max);
    let root = SVGBackend::new(path, (760, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "tools/call add: requests per second (server on 1 core)",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.25..x_max + 0.25, 0.0..y_max * 1.15)?;
    chart
        .configure_mesh()
        .x_desc("concurrent clients")
        .y_desc("requests per second")
        .x_labels(x_max as usize + 1)
        .x_label_formatter(&|x| format!("{:.0}", x.exp2()))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, (label, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.log2(), y)).collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
