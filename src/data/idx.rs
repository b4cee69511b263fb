//! The IDX format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes,
//! a type code, the number of dimensions, one u32 per dimension), then the values.
//! Only unsigned bytes (type 0x08), the type of every MNIST file, are read.

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

impl Idx {
    /// Parses an (uncompressed) IDX file.
    pub fn parse(bytes: &[u8]) -> Result<Idx> {
        let fail = |message: String| Err(Error::Data(message));
        if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
            return fail("not an IDX file (it must start with two zero bytes)".into());
        }
        if bytes[2] != 0x08 {
            return fail(format!("IDX type 0x{:02x} is not supported; only unsigned bytes (0x08)", bytes[2]));
        }
        let ndim = bytes[3] as usize;
        let header = 4 + 4 * ndim;
        if ndim == 0 || bytes.len() < header {
            return fail(format!("IDX header for {ndim} dimensions is truncated"));
        }
        let dims: Vec<usize> =
            bytes[4..header].chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
        // The values per item first: with no items the total is 0 whatever they are,
        // and `item_len` must not overflow on a file that was read.
        let item = dims[1..].iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        let expected = item.and_then(|item| item.checked_mul(dims[0]));
        if expected != Some(bytes.len() - header) {
            return fail(format!(
                "IDX dimensions {dims:?} need {expected:?} bytes of data, the file has {}",
                bytes.len() - header
            ));
        }
        Ok(Idx { dims, data: bytes[header..].to_vec() })
    }

    /// Number of items (the first dimension).
    pub fn len(&self) -> usize {
        self.dims[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per item (28 × 28 = 784 for MNIST images).
    pub fn item_len(&self) -> usize {
        self.dims[1..].iter().product()
    }

    /// The data as floats in [0, 1] (pixels divided by 255).
    pub fn to_unit_f32(&self) -> Vec<f32> {
        self.data.iter().map(|&v| v as f32 / 255.0).collect()
    }

    /// Parses the bytes of an IDX file, gunzipping them first when they start with the
    /// gzip magic (at most [`MAX_BYTES`] unpacked: MNIST's training images are 47 MB).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Idx> {
        use std::io::Read;
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            return Idx::parse(bytes);
        }
        let mut out = Vec::new();
        let mut unpacked = flate2::read::GzDecoder::new(bytes).take(MAX_BYTES as u64 + 1);
        unpacked.read_to_end(&mut out).map_err(|e| Error::Data(format!("gzip: {e}")))?;
        if out.len() > MAX_BYTES {
            return Err(Error::Data(format!("gzip: unpacks to more than {MAX_BYTES} bytes")));
        }
        Idx::parse(&out)
    }

    /// Reads an IDX file (gzipped or not) from disk.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Idx> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        Idx::from_file_bytes(&bytes).map_err(|e| match e {
            Error::Data(message) => Error::Data(format!("{}: {message}", path.display())),
            other => other,
        })
    }
}

/// The largest unpacked IDX file read.
pub const MAX_BYTES: usize = 256 << 20;

#[cfg(test)]
mod tests {
    use super::Idx;

    #[test]
    fn parses_header_and_data() {
        let bytes = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
        let idx = Idx::parse(&bytes).unwrap();
        assert_eq!(idx.dims, vec![2, 3]);
        assert_eq!(idx.item_len(), 3);
        assert_eq!(idx.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn refuses_bad_files() {
        assert!(Idx::parse(&[1, 0, 8, 1]).is_err());
        assert!(Idx::parse(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap_err().to_string().contains("0x0d"));
        assert!(Idx::parse(&[0, 0, 8, 1, 0, 0, 0, 3, 1, 2]).unwrap_err().to_string().contains("need"));
        assert!(Idx::parse(&[0, 0, 8, 2, 0, 0]).is_err());
    }

    #[test]
    fn refuses_items_too_large_to_count_even_with_no_items() {
        // Found by fuzzing (read_idx): zero items of 0x3b11 × 0x074ede4a × 0x5783c31e
        // bytes each were read, and item_len() then overflowed.
        let bytes = [0, 0, 8, 4, 0, 0, 0, 0, 0, 0, 0x3b, 0x11, 0x07, 0x4e, 0xde, 0x4a, 0x57, 0x83, 0xc3, 0x1e];
        assert!(Idx::parse(&bytes).unwrap_err().to_string().contains("need None bytes"));
        // Zero items of a size that can be counted are still a valid (empty) file.
        let empty = Idx::parse(&[0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 3]).unwrap();
        assert!(empty.is_empty() && empty.item_len() == 3);
    }
}
