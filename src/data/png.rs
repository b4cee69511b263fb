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
    check_palettes(bytes).map_err(fail)?;
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
            if has_alpha {
                grey * px[colours] as f32 / 255.0
            } else {
                grey
            }
        })
        .collect();
    Ok(Grey { width: info.width as usize, height: info.height as usize, pixels })
}

/// Refuses a `PLTE` chunk that is not 1 to 256 whole RGB entries (PNG spec, 11.2.3).
/// png 0.18.1 does not check this and panics expanding a palette of 3k + 1 or 3k + 2
/// bytes (found by fuzzing). Chunks are walked as far as they are complete; anything
/// else wrong with the file is left to the decoder.
fn check_palettes(bytes: &[u8]) -> std::result::Result<(), String> {
    const SIGNATURE: usize = 8;
    let mut at = SIGNATURE;
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        match &header[4..] {
            b"PLTE" if length == 0 || length % 3 != 0 || length > 3 * 256 => {
                return Err(format!("palette (PLTE) of {length} bytes; expected 1 to 256 entries of 3 bytes"));
            }
            b"IEND" => break,
            _ => {}
        }
        // Length, type, data, CRC.
        at = match at.checked_add(12).and_then(|a| a.checked_add(length)) {
            Some(next) => next,
            None => break,
        };
    }
    Ok(())
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
        assert!(decode(&encode(20, 20, png::ColorType::Grayscale, &[0; 400]), 399)
            .unwrap_err()
            .to_string()
            .contains("larger"));
        assert!(decode(b"\x89PNG but not really", 100).is_err());
    }

    /// A 4×2 image of 2-bit palette indices whose palette has 13 bytes (4⅓ entries):
    /// png 0.18.1 panics on it; it must be refused.
    #[test]
    fn a_palette_of_partial_entries_is_refused() {
        // What the fuzzer found, as it was (its IDAT is truncated).
        let found = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x04\0\0\0\x02\x02\x03\0\0\0\x02\xc6\x95\xf0\
            \0\0\0\rPLTE\0\0\0\xff\xff\xff\xff\0\0\0\0\x80\x08\x0f\xb3j\0\0\xb6\0pIDATx\x9cc\x91f|";
        let error = decode(found, 100).unwrap_err().to_string();
        assert!(error.contains("PLTE") && error.contains("13 bytes"), "{error}");
        // A well-formed paletted image of the same size decodes, and one whose palette
        // is cut by one byte does not.
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 4, 2);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Two);
        encoder.set_palette(vec![0, 0, 0, 255, 255, 255, 51, 51, 51, 0, 0, 0]);
        encoder.write_header().unwrap().write_image_data(&[0b0001_1000, 0b0101_0101]).unwrap();
        let grey = decode(&out, 100).unwrap();
        assert_eq!(grey.pixels[..4], [0.0, 1.0, 0.2, 0.0]);
        assert_eq!(grey.pixels[4..], [1.0, 1.0, 1.0, 1.0]);
        let at = out.windows(4).position(|w| w == b"PLTE").unwrap() - 4;
        out[at + 3] = 11; // the chunk's length: 11 bytes of palette
        assert!(decode(&out, 100).unwrap_err().to_string().contains("11 bytes"));
    }
}
