//! PNG images as grey levels in [0, 1]: colour is averaged, alpha composited on black.

use crate::{Error, Result};

/// A decoded image: `width × height` grey levels, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Grey {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
}

/// Decodes a PNG of any colour type and bit depth, refusing images over `max_pixels`.
pub fn decode(bytes: &[u8], max_pixels: usize) -> Result<Grey> {
    let fail = |e: String| Error::Data(format!("PNG: {e}"));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| fail(e.to_string()))?;
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    if width.saturating_mul(height) > max_pixels {
        return Err(fail(format!("{width}×{height} is larger than {max_pixels} pixels")));
    }
    let mut buffer = vec![0; reader.output_buffer_size().ok_or_else(|| fail("image too large".into()))?];
    let info = reader.next_frame(&mut buffer).map_err(|e| fail(e.to_string()))?;
    let channels = info.color_type.samples();
    let has_alpha = matches!(info.color_type, png::ColorType::GrayscaleAlpha | png::ColorType::Rgba);
    let colours = if has_alpha { channels - 1 } else { channels };
    let pixels = buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| {
            let grey = px[..colours].iter().map(|&v| v as f32).sum::<f32>() / (colours as f32 * 255.0);
            if has_alpha { grey * px[colours] as f32 / 255.0 } else { grey }
        })
        .collect();
    Ok(Grey { width: info.width as usize, height: info.height as usize, pixels })
}

#[cfg(test)]
mod tests {
    use super::decode;

    fn encode(width: u32, height: u32, colour: png::ColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(colour);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header().unwrap().write_image_data(data).unwrap();
        out
    }

    #[test]
    fn grey_rgb_and_alpha_become_grey_levels() {
        let grey = decode(&encode(2, 1, png::ColorType::Grayscale, &[0, 255]), 100).unwrap();
        assert_eq!((grey.width, grey.height, grey.pixels), (2, 1, vec![0.0, 1.0]));
        let rgb = decode(&encode(1, 1, png::ColorType::Rgb, &[255, 0, 0]), 100).unwrap();
        assert!((rgb.pixels[0] - 1.0 / 3.0).abs() < 1e-6);
        // Half-transparent white on black is mid grey.
        let alpha = decode(&encode(1, 1, png::ColorType::GrayscaleAlpha, &[255, 51]), 100).unwrap();
        assert!((alpha.pixels[0] - 0.2).abs() < 1e-6);
        assert!(decode(&encode(20, 20, png::ColorType::Grayscale, &[0; 400]), 399).unwrap_err().to_string().contains("larger"));
        assert!(decode(b"\x89PNG but not really", 100).is_err());
    }
}
