//! NumPy's .npy format for float32 arrays (little-endian `<f4`, C order), enough to
//! exchange batches of images and relevance maps with Python.

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Npy {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

const MAGIC: &[u8] = b"\x93NUMPY";

impl Npy {
    pub fn parse(bytes: &[u8]) -> Result<Npy> {
        let fail = |m: &str| Err(Error::Data(format!(".npy: {m}")));
        if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
            return fail("not a .npy file");
        }
        let (header_len, start) = match bytes[6] {
            1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
            2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
            _ => return fail("unsupported format version"),
        };
        let Some(header) = bytes.get(start..start + header_len).and_then(|h| std::str::from_utf8(h).ok()) else {
            return fail("truncated header");
        };
        let field = |key: &str| header.split(&format!("'{key}':")).nth(1).map(str::trim_start);
        match field("descr") {
            Some(d) if d.starts_with("'<f4'") => {}
            _ => return fail("only little-endian float32 ('<f4') arrays are read; convert with .astype('float32')"),
        }
        if !field("fortran_order").is_some_and(|f| f.starts_with("False")) {
            return fail("only C-order arrays are read");
        }
        let Some(shape) = field("shape").and_then(|s| s.strip_prefix('(')).and_then(|s| s.split(')').next()) else {
            return fail("no shape in header");
        };
        let shape: Vec<usize> = match shape.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect() {
            Ok(shape) => shape,
            Err(_) => return fail("unreadable shape"),
        };
        let body = &bytes[start + header_len..];
        let count: usize = shape.iter().product();
        if body.len() != count * 4 {
            return Err(Error::Data(format!(".npy: shape {shape:?} needs {} bytes, the file has {}", count * 4, body.len())));
        }
        let data = body.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Ok(Npy { shape, data })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let dims: Vec<String> = self.shape.iter().map(usize::to_string).collect();
        let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
        let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        // Pad so that the data starts on a 64-byte boundary, ending the header with '\n'.
        while (MAGIC.len() + 4 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(self.data.iter().flat_map(|v| v.to_le_bytes()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Npy;

    #[test]
    fn round_trips_and_refuses_other_dtypes() {
        let array = Npy { shape: vec![2, 3], data: vec![0.0, 1.5, -2.0, 3.25, 4.0, f32::MAX] };
        let bytes = array.to_bytes();
        assert_eq!((bytes.len() - 24) % 64, 0, "data is 64-byte aligned");
        assert_eq!(Npy::parse(&bytes).unwrap(), array);
        let one = Npy { shape: vec![3], data: vec![1.0, 2.0, 3.0] };
        assert_eq!(Npy::parse(&one.to_bytes()).unwrap(), one);
        let mut f8 = bytes.clone();
        let at = f8.windows(3).position(|w| w == b"<f4").unwrap();
        f8[at + 2] = b'8';
        assert!(Npy::parse(&f8).unwrap_err().to_string().contains("float32"));
        assert!(Npy::parse(&bytes[..bytes.len() - 1]).unwrap_err().to_string().contains("needs 24 bytes"));
    }
}
