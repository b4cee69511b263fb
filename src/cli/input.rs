//! Reading images for the CLI: PNG, IDX (gzip or raw), .npy, `test:N` (an image of
//! the committed test split of the model's data set) or `test` (all of it, with its labels).

use std::path::{Path, PathBuf};

use lrp::data::{idx::Idx, npy::Npy, png};
use lrp::{Error, Model};

/// Pixels of one or more images, one after another, and the labels when known.
pub struct Images {
    pub pixels: Vec<f32>,
    pub count: usize,
    pub labels: Option<Vec<u8>>,
}

/// Reads `input` for `model`; the values are checked when the model batches them.
pub fn read(input: &str, invert: bool, model: &Model) -> Result<Images, Error> {
    let input_len = model.input_len();
    let (pixels, labels) = match input.strip_prefix("test:") {
        Some(index) => test_image(index, model)?,
        None if input == "test" => {
            let (images, labels) = test_split(model)?;
            (Idx::open(images)?.to_unit_f32(), Some(Idx::open(labels)?.data))
        }
        None => {
            let path = Path::new(input);
            let bytes = std::fs::read(path).map_err(|e| Error::Input(format!("{input}: {e}")))?;
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            let pixels = match extension.as_str() {
                "png" => read_png(&bytes, model),
                "npy" => read_npy(&bytes, input_len),
                _ => Idx::from_file_bytes(&bytes).map(|idx| idx.to_unit_f32()),
            }
            .map_err(|e| Error::Input(format!("{input}: {e}")))?;
            (pixels, None)
        }
    };
    if pixels.is_empty() || pixels.len() % input_len != 0 {
        return Err(Error::Input(format!(
            "{input}: {} values is not a whole number of {input_len}-value images",
            pixels.len()
        )));
    }
    let pixels = if invert {
        let [low, high] = model.spec().input_range;
        pixels.iter().map(|v| low + high - v).collect()
    } else {
        pixels
    };
    Ok(Images { count: pixels.len() / input_len, pixels, labels })
}

/// The inputs `evaluate`, `features` and `tune` run over, as their arguments give them.
#[derive(clap::Args, Debug, Clone)]
pub struct Dataset {
    /// `test` (the MNIST test split, with its labels), an IDX or .npy file, a PNG or `test:N`.
    #[arg(default_value = "test")]
    pub input: String,
    /// IDX labels for the inputs (for the correct / incorrect split).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// A model name, or `all`.
    #[arg(long, default_value = "all", value_parser = super::model_names(true))]
    pub model: String,
    /// A model of your own (see export/lrp_export.py) instead of --model: its JSON
    /// description, with its safetensors file beside it.
    #[arg(long, value_name = "PATH.json")]
    pub model_file: Option<PathBuf>,
}

/// One model's inputs: `count` of them, flat, and their labels if known.
pub struct Inputs {
    pub pixels: Vec<f32>,
    pub labels: Option<Vec<u8>>,
    pub count: usize,
}

impl Dataset {
    pub fn models(&self) -> Result<Vec<&'static Model>, Error> {
        super::models::resolve(&self.model, self.model_file.as_deref())
    }

    /// The first `n` inputs (all without `n`) for `model`, with their labels.
    pub fn read(&self, model: &Model, n: Option<usize>) -> Result<Inputs, Error> {
        let images = read(&self.input, false, model)?;
        let labels = match &self.labels {
            Some(path) => Some(read_labels(path, images.count)?),
            None => images.labels,
        };
        let count = n.unwrap_or(images.count).min(images.count);
        let mut pixels = images.pixels;
        pixels.truncate(count * model.input_len());
        Ok(Inputs {
            pixels,
            labels: labels.map(|mut l| {
                l.truncate(count);
                l
            }),
            count,
        })
    }
}

/// Labels from an IDX file, one per image.
pub fn read_labels(path: &Path, count: usize) -> Result<Vec<u8>, Error> {
    let idx = Idx::open(path)?;
    if idx.len() != count || idx.item_len() != 1 {
        return Err(Error::Data(format!("{}: {} labels for {count} images", path.display(), idx.len())));
    }
    Ok(idx.data)
}

/// The (images, labels) files of the model's test split.
fn test_split(model: &Model) -> Result<(&'static str, &'static str), Error> {
    let dataset = model.spec().dataset.as_deref();
    dataset.and_then(lrp::data::test_split).ok_or_else(|| {
        Error::Input(format!(
            "`test` is the test split of the model's data set, and {} names {}",
            model.name(),
            dataset.map_or("none".to_string(), |d| format!("`{d}`, which is not in data/"))
        ))
    })
}

fn test_image(index: &str, model: &Model) -> Result<(Vec<f32>, Option<Vec<u8>>), Error> {
    let (images, labels) = test_split(model)?;
    let images = Idx::open(images)?;
    let i: usize = index
        .parse()
        .ok()
        .filter(|&i| i < images.len())
        .ok_or_else(|| Error::Input(format!("test:{index}: expected an index from 0 to {}", images.len() - 1)))?;
    let item = images.item_len();
    let label = Idx::open(labels)?.data[i];
    Ok((images.data[i * item..(i + 1) * item].iter().map(|&v| v as f32 / 255.0).collect(), Some(vec![label])))
}

/// A float array of N inputs (N × the input's values, or N × the input's shape, e.g.
/// N×784, N×28×28 or N×1×28×28 for MNIST) or a single one.
fn read_npy(bytes: &[u8], input_len: usize) -> Result<Vec<f32>, Error> {
    let npy = Npy::parse(bytes)?;
    let per_item: usize = npy.shape.iter().skip(1).product();
    let single: usize = npy.shape.iter().product();
    if per_item != input_len && single != input_len {
        return Err(Error::Input(format!(
            "shape {:?}; expected N inputs of {input_len} values (N×{input_len}, or N × the input's shape)",
            npy.shape
        )));
    }
    Ok(npy.data)
}

/// A PNG of the model's input size, as grey levels.
fn read_png(bytes: &[u8], model: &Model) -> Result<Vec<f32>, Error> {
    let shape = &model.spec().input_shape;
    let (height, width) = match shape.as_slice() {
        [1, h, w] | [h, w] => (*h, *w),
        _ => return Err(Error::Input(format!("a PNG cannot be an input of shape {shape:?}"))),
    };
    let image = png::decode(bytes, height * width)?;
    if (image.width, image.height) != (width, height) {
        return Err(Error::Input(format!("image is {}×{}, expected {width}×{height}", image.width, image.height)));
    }
    Ok(image.pixels)
}
