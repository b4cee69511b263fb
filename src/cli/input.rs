//! Reading images for the CLI: PNG, IDX (gzip or raw), .npy, or `test:N` (a digit
//! of the committed MNIST test split).

use std::path::Path;

use lrp::data::{idx::Idx, npy::Npy};
use lrp::Error;

pub const TEST_IMAGES: &str = "data/mnist/t10k-images-idx3-ubyte.gz";
pub const TEST_LABELS: &str = "data/mnist/t10k-labels-idx1-ubyte.gz";

/// Pixels of one or more images, one after another, and the labels when known.
pub struct Images {
    pub pixels: Vec<f32>,
    pub count: usize,
    pub labels: Option<Vec<u8>>,
}

pub fn read(input: &str, invert: bool, input_len: usize) -> Result<Images, Error> {
    let (pixels, labels) = match input.strip_prefix("test:") {
        Some(index) => test_digit(index)?,
        None => {
            let path = Path::new(input);
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            let pixels = match extension.as_str() {
                "png" => read_png(path)?,
                "npy" => read_npy(path, input_len)?,
                _ => Idx::open(path)?.to_unit_f32(),
            };
            (pixels, None)
        }
    };
    if pixels.is_empty() || pixels.len() % input_len != 0 {
        return Err(Error::Input(format!("{input}: {} values is not a whole number of {input_len}-value images", pixels.len())));
    }
    let pixels = if invert { pixels.iter().map(|v| 1.0 - v).collect() } else { pixels };
    Ok(Images { count: pixels.len() / input_len, pixels, labels })
}

fn test_digit(index: &str) -> Result<(Vec<f32>, Option<Vec<u8>>), Error> {
    let images = Idx::open(TEST_IMAGES)?;
    let i: usize = index
        .parse()
        .ok()
        .filter(|&i| i < images.len())
        .ok_or_else(|| Error::Input(format!("test:{index}: expected an index from 0 to {}", images.len() - 1)))?;
    let item = images.item_len();
    let label = Idx::open(TEST_LABELS)?.data[i];
    Ok((images.data[i * item..(i + 1) * item].iter().map(|&v| v as f32 / 255.0).collect(), Some(vec![label])))
}

/// A float32 array of N×784, N×28×28, N×1×28×28 or a single image.
fn read_npy(path: &Path, input_len: usize) -> Result<Vec<f32>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    let npy = Npy::parse(&bytes).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    let per_item: usize = npy.shape.iter().skip(1).product();
    let single: usize = npy.shape.iter().product();
    if per_item != input_len && single != input_len {
        return Err(Error::Input(format!(
            "{}: shape {:?}; expected N×{input_len}, N×28×28 or N×1×28×28",
            path.display(),
            npy.shape
        )));
    }
    Ok(npy.data)
}

/// A 28×28 PNG as grey levels in [0, 1] (colour is averaged, alpha composited on black).
fn read_png(path: &Path) -> Result<Vec<f32>, Error> {
    let fail = |e: String| Error::Input(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| fail(e.to_string()))?;
    let mut buffer = vec![0; reader.output_buffer_size().ok_or_else(|| fail("image too large".into()))?];
    let info = reader.next_frame(&mut buffer).map_err(|e| fail(e.to_string()))?;
    if (info.width, info.height) != (28, 28) {
        return Err(fail(format!("image is {}×{}, expected 28×28", info.width, info.height)));
    }
    let channels = info.color_type.samples();
    let has_alpha = matches!(info.color_type, png::ColorType::GrayscaleAlpha | png::ColorType::Rgba);
    let colours = if has_alpha { channels - 1 } else { channels };
    Ok(buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| {
            let grey = px[..colours].iter().map(|&v| v as f32).sum::<f32>() / (colours as f32 * 255.0);
            if has_alpha { grey * px[colours] as f32 / 255.0 } else { grey }
        })
        .collect())
}
