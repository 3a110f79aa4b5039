//! The plot: reserved and sold units, and buyers answered, over time, as SVG.

use std::time::Duration;
use xtask::Error;

/// Reserved and sold units (left axis) and buyers answered (right axis) over time.
pub(crate) fn draw(
    path: &std::path::Path,
    reserved_at: &[Duration],
    sold_at: &[Duration],
    answered_at: &[Duration],
    stock: u32,
    buyers: usize,
) -> Result<(), Error> {
    use plotters::prelude::*;
    let last = |times: &[Duration]| times.last().copied().unwrap_or_default();
    let end = last(sold_at)
        .max(last(answered_at))
        .as_secs_f64()
        .max(0.001)
        * 1.02;
    let steps = |times: &[Duration]| -> Vec<(f64, f64)> {
        let mut points = vec![(0.0, 0.0)];
        for (i, t) in times.iter().enumerate() {
            points.push((t.as_secs_f64(), i as f64));
            points.push((t.as_secs_f64(), (i + 1) as f64));
        }
        points.push((end, times.len() as f64));
        points
    };
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Flash crowd: {buyers} buyers for {stock} units"),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(70)
        .build_cartesian_2d(0.0..end, 0.0..f64::from(stock) * 1.1)
        .map_err(|e| e.to_string())?
        .set_secondary_coord(0.0..end, 0.0..buyers as f64 * 1.1);
    chart
        .configure_mesh()
        .x_desc("seconds since the crowd pressed Checkout")
        .y_desc("units")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .configure_secondary_axes()
        .y_desc("buyers answered")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(steps(reserved_at), BLUE.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("units reserved (pay link sent)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(steps(sold_at), GREEN.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("units sold (paid on Stripe)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
    chart
        .draw_secondary_series(LineSeries::new(steps(answered_at), RED.stroke_width(1)))
        .map_err(|e| e.to_string())?
        .label("buyers answered in the chat (right axis)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(1)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
