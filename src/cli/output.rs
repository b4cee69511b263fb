//! Files the CLI writes: numbers as text, files replaced whole, relevance maps as
//! .npy and as PNG pictures.

use std::path::Path;

use lrp::data::npy::Npy;
use lrp::evaluation::Grid;
use lrp::Error;

/// A number for CSV and tables: six significant digits, no exponent for ordinary sizes.
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_nan() { "nan".into() } else { format!("{v}") };
    }
    let digits = (6 - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Writes `path` whole: to a temporary file beside it, then renamed, so that an
/// interrupted run never leaves half a file.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::Data(format!("{}: {e}", path.display()));
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, contents).map_err(fail)?;
    std::fs::rename(&temporary, path).map_err(fail)
}

/// ColorBrewer RdBu (as the page's red / blue map), from most negative to most positive.
const RED_BLUE: [[u8; 3]; 11] = [
    [0x05, 0x30, 0x61],
    [0x21, 0x66, 0xac],
    [0x43, 0x93, 0xc3],
    [0x92, 0xc5, 0xde],
    [0xd1, 0xe5, 0xf0],
    [0xf7, 0xf7, 0xf7],
    [0xfd, 0xdb, 0xc7],
    [0xf4, 0xa5, 0x82],
    [0xd6, 0x60, 0x4d],
    [0xb2, 0x18, 0x2b],
    [0x67, 0x00, 0x1f],
];

/// The colour of `t` in [−1, 1].
fn colour(t: f32) -> [u8; 3] {
    let x = (t.clamp(-1.0, 1.0) + 1.0) / 2.0 * (RED_BLUE.len() - 1) as f32;
    let k = (x.floor() as usize).min(RED_BLUE.len() - 2);
    let f = x - k as f32;
    let mix = |c: usize| (RED_BLUE[k][c] as f32 * (1.0 - f) + RED_BLUE[k + 1][c] as f32 * f).round() as u8;
    [mix(0), mix(1), mix(2)]
}

/// Maps side by side as one PNG, each on its own symmetric scale ±max|R| (red for,
/// blue against), `scale` screen pixels per pixel and a white gap between maps.
pub fn maps_png(maps: &[Vec<f32>], height: usize, width: usize, scale: usize) -> Vec<u8> {
    let gap = scale;
    let (cell_w, cell_h) = (width * scale, height * scale);
    let image_w = (maps.len() * cell_w + maps.len().saturating_sub(1) * gap).max(1);
    let mut rgb = vec![255u8; image_w * cell_h * 3];
    for (m, map) in maps.iter().enumerate() {
        let limit = map.iter().fold(0f32, |a, v| a.max(v.abs()));
        for y in 0..cell_h {
            for x in 0..cell_w {
                let v = map.get((y / scale) * width + x / scale).copied().unwrap_or(0.0);
                let c = if limit > 0.0 { colour(v / limit) } else { colour(0.0) };
                let at = (y * image_w + m * (cell_w + gap) + x) * 3;
                rgb[at..at + 3].copy_from_slice(&c);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, image_w as u32, cell_h as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header().and_then(|mut w| w.write_image_data(&rgb)).expect("an in-memory PNG");
    out
}

/// `DIR/class-means/<model>/<method>.npy` (classes × input length, float32; zeros for
/// a class never predicted) and `.png` (the maps in a row).
pub fn class_means(dir: &Path, model: &str, method: &str, grid: &Grid, means: &[Vec<f32>]) -> Result<(), Error> {
    let folder = dir.join("class-means").join(model);
    std::fs::create_dir_all(&folder).map_err(|e| Error::Data(format!("{}: {e}", folder.display())))?;
    let maps: Vec<Vec<f32>> =
        means.iter().map(|m| if m.is_empty() { vec![0.0; grid.len()] } else { m.clone() }).collect();
    let npy = Npy { shape: vec![maps.len(), grid.len()], data: maps.concat() };
    write(&folder.join(format!("{method}.npy")), npy.to_bytes())?;
    // The picture shows each pixel's relevance summed over its channels.
    let pictures: Vec<Vec<f32>> = maps
        .iter()
        .map(|m| (0..grid.pixels()).map(|p| m.iter().skip(p).step_by(grid.pixels()).sum()).collect())
        .collect();
    write(&folder.join(format!("{method}.png")), maps_png(&pictures, grid.height, grid.width, 4))
}

#[cfg(test)]
mod tests {
    use super::{colour, number};

    #[test]
    fn numbers_and_colours() {
        assert_eq!(number(0.123456789), "0.123457");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(3.0), "3");
        assert_eq!(colour(0.0), [0xf7, 0xf7, 0xf7]);
        assert_eq!(colour(1.0), [0x67, 0x00, 0x1f]);
        assert_eq!(colour(-2.0), [0x05, 0x30, 0x61]);
    }
}
