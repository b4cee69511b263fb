//! NumPy's .npy format (through `npyz`), enough to exchange batches of images and
//! relevance maps with Python: float32 or float64 arrays in C order, read as float32.

use npyz::{NpyFile, Order, WriteOptions, WriterBuilder};

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Npy {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

fn fail(message: impl std::fmt::Display) -> Error {
    Error::Data(format!(".npy: {message}"))
}

impl Npy {
    pub fn parse(bytes: &[u8]) -> Result<Npy> {
        let file = NpyFile::new(bytes).map_err(fail)?;
        if file.order() != Order::C {
            return Err(fail("only C-order arrays are read"));
        }
        let shape: Vec<usize> = file.shape().iter().map(|&d| usize::try_from(d)).collect::<Result<_, _>>().map_err(fail)?;
        let header = file.header().clone();
        // The length the header promises, checked before anything is allocated for it.
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let width = header.dtype().num_bytes().unwrap_or(0);
        let rest = file.into_inner();
        if count.and_then(|n| n.checked_mul(width)) != Some(rest.len()) {
            return Err(fail(format!("shape {shape:?} of {width}-byte values does not match the {} bytes of data", rest.len())));
        }
        let data = match NpyFile::with_header(header.clone(), rest).try_data::<f32>() {
            Ok(values) => values.collect::<std::io::Result<Vec<f32>>>(),
            Err(file) => match file.try_data::<f64>() {
                Ok(values) => values.map(|v| v.map(|v| v as f32)).collect(),
                Err(_) => return Err(fail(format!("dtype {} is not read; save float32 or float64", header.dtype().descr()))),
            },
        }
        .map_err(fail)?;
        Ok(Npy { shape, data })
    }

    /// The array as a float32 .npy file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let shape: Vec<u64> = self.shape.iter().map(|&d| d as u64).collect();
        let write = |out: &mut Vec<u8>| -> std::io::Result<()> {
            let mut writer = WriteOptions::<f32>::new().default_dtype().shape(&shape).writer(out).begin_nd()?;
            writer.extend(self.data.iter().copied())?;
            writer.finish()
        };
        write(&mut out).expect("writing to memory cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use npyz::{WriteOptions, WriterBuilder};

    use super::Npy;

    #[test]
    fn round_trips_and_refuses_other_dtypes() {
        let array = Npy { shape: vec![2, 3], data: vec![0.0, 1.5, -2.0, 3.25, 4.0, f32::MAX] };
        let bytes = array.to_bytes();
        assert_eq!(Npy::parse(&bytes).unwrap(), array);
        let one = Npy { shape: vec![3], data: vec![1.0, 2.0, 3.0] };
        assert_eq!(Npy::parse(&one.to_bytes()).unwrap(), one);
        let mut i4 = bytes.clone();
        let at = i4.windows(3).position(|w| w == b"<f4").unwrap();
        i4[at + 1] = b'i';
        assert!(Npy::parse(&i4).unwrap_err().to_string().contains("<i4"), "{}", Npy::parse(&i4).unwrap_err());
        assert!(Npy::parse(&bytes[..bytes.len() - 1]).unwrap_err().to_string().contains("does not match"));
        assert!(Npy::parse(b"not numpy").is_err());
    }

    #[test]
    fn reads_float64_as_float32() {
        let mut bytes = Vec::new();
        let mut writer = WriteOptions::<f64>::new().default_dtype().shape(&[2]).writer(&mut bytes).begin_nd().unwrap();
        writer.extend([0.5f64, -3.0]).unwrap();
        writer.finish().unwrap();
        assert_eq!(Npy::parse(&bytes).unwrap(), Npy { shape: vec![2], data: vec![0.5, -3.0] });
    }
}
