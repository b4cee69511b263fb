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

/// The deepest nesting of brackets read in a header. NumPy's headers for the arrays
/// read here nest two deep (the shape's tuple in the dict); a structured dtype, which
/// is refused anyway, nests four deep.
const MAX_NESTING: usize = 4;

/// Checks the header for what would cost npyz dearly, before it sees the bytes: the
/// header length the file announces (npyz allocates it up front: 4 GiB for a 12-byte
/// file), and the nesting of brackets (its parser of the Python literal backtracks
/// exponentially on unclosed brackets: twelve `{` took 2 s, fourteen 18 s).
fn check_header(bytes: &[u8]) -> Result<()> {
    let (start, size) = match bytes {
        [0x93, b'N', b'U', b'M', b'P', b'Y', 1, _, a, b, ..] => (10, u16::from_le_bytes([*a, *b]) as usize),
        [0x93, b'N', b'U', b'M', b'P', b'Y', 2 | 3, _, a, b, c, d, ..] => {
            (12, u32::from_le_bytes([*a, *b, *c, *d]) as usize)
        }
        _ => return Ok(()), // npyz says what is wrong
    };
    let Some(header) = bytes[start..].get(..size) else {
        return Err(fail(format!(
            "the header is said to have {size} bytes, the file has {} after the preamble",
            bytes.len() - start
        )));
    };
    let mut depth = 0usize;
    for &b in header {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err(fail(format!("the header nests brackets more than {MAX_NESTING} deep")));
        }
    }
    Ok(())
}

impl Npy {
    pub fn parse(bytes: &[u8]) -> Result<Npy> {
        check_header(bytes)?;
        let file = NpyFile::new(bytes).map_err(fail)?;
        if file.order() != Order::C {
            return Err(fail("only C-order arrays are read"));
        }
        let shape: Vec<usize> =
            file.shape().iter().map(|&d| usize::try_from(d)).collect::<Result<_, _>>().map_err(fail)?;
        let header = file.header().clone();
        // The length the header promises, checked before anything is allocated for it.
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let width = header.dtype().num_bytes().unwrap_or(0);
        let rest = file.into_inner();
        if count.and_then(|n| n.checked_mul(width)) != Some(rest.len()) {
            return Err(fail(format!(
                "shape {shape:?} of {width}-byte values does not match the {} bytes of data",
                rest.len()
            )));
        }
        let data = match NpyFile::with_header(header.clone(), rest).try_data::<f32>() {
            Ok(values) => values.collect::<std::io::Result<Vec<f32>>>(),
            Err(file) => match file.try_data::<f64>() {
                Ok(values) => values.map(|v| v.map(|v| v as f32)).collect(),
                Err(_) => {
                    return Err(fail(format!("dtype {} is not read; save float32 or float64", header.dtype().descr())))
                }
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

/// A float32 .npy file of a known shape written piece by piece, so that a large array
/// never has to be held whole.
pub struct NpyStream<W: std::io::Write> {
    writer: npyz::NpyWriter<f32, W>,
}

impl<W: std::io::Write> NpyStream<W> {
    pub fn new(out: W, shape: &[usize]) -> Result<NpyStream<W>> {
        let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let writer = WriteOptions::<f32>::new().default_dtype().shape(&shape).writer(out).begin_nd().map_err(fail)?;
        Ok(NpyStream { writer })
    }

    /// The next values, in C order.
    pub fn extend(&mut self, values: &[f32]) -> Result<()> {
        self.writer.extend(values.iter().copied()).map_err(fail)
    }

    /// Checks that exactly the shape's values were written.
    pub fn finish(self) -> Result<()> {
        self.writer.finish().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use npyz::{WriteOptions, WriterBuilder};

    use super::Npy;

    #[test]
    fn a_stream_writes_what_a_whole_array_does() {
        let array = Npy { shape: vec![3, 2], data: vec![0.5, 1.0, -2.0, 3.0, 4.5, 6.0] };
        let mut out = Vec::new();
        let mut stream = super::NpyStream::new(&mut out, &[3, 2]).unwrap();
        stream.extend(&array.data[..4]).unwrap();
        stream.extend(&array.data[4..]).unwrap();
        stream.finish().unwrap();
        assert_eq!(out, array.to_bytes());
        let mut short = super::NpyStream::new(Vec::new(), &[3, 2]).unwrap();
        short.extend(&[1.0]).unwrap();
        assert!(short.finish().is_err(), "fewer values than the shape");
    }

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

    // Found by fuzzing (read_npy).

    /// A version 1.0 file with this header (a newline is added) and no data.
    fn version_1(header: &str) -> Vec<u8> {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16 + 1).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.push(b'\n');
        bytes
    }

    #[test]
    fn refuses_deeply_nested_headers_at_once() {
        // 97 unclosed braces: npyz's parser of the header backtracked for minutes.
        let bytes =
            version_1(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({} 'V4' }}", "{".repeat(97)));
        let start = std::time::Instant::now();
        assert!(Npy::parse(&bytes).unwrap_err().to_string().contains("nests brackets"));
        assert!(start.elapsed().as_secs() < 1);
        // Structured dtypes (four deep) still reach npyz, and are refused by dtype.
        let mut bytes = version_1("{'descr': [('a', '<f4', (1,))], 'fortran_order': False, 'shape': (1,), }");
        bytes.extend(1f32.to_le_bytes());
        let error = Npy::parse(&bytes).unwrap_err().to_string();
        assert!(error.contains("dtype"), "{error}");
    }

    #[test]
    fn refuses_a_header_longer_than_the_file_before_allocating_it() {
        // Version 2 announces a 4 GiB header in 12 bytes; npyz allocated it first.
        let bytes = b"\x93NUMPY\x02\x00\xff\xff\xff\xff";
        assert!(Npy::parse(bytes).unwrap_err().to_string().contains("4294967295 bytes"));
        let bytes = b"\x93NUMPY\x01\x00\x10\x00{}";
        assert!(Npy::parse(bytes).unwrap_err().to_string().contains("16 bytes"));
    }
}
