//! Packed records: each layout is defined once, as the widths of its fields, and one writer and
//! one reader follow that definition, so the two cannot disagree; a layout's largest size is
//! derived from it. Layouts are constants, so the loops below unroll into plain stores.

/// How a field is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Width {
    /// LEB128: seven bits a byte, high bit set on all but the last (at most ten bytes).
    Var,
    /// Little-endian in this many bytes; the value must fit (see `Layout::fits`).
    Bytes(usize),
}

/// A record: a tag byte that names the layout, then its fields in order.
pub(super) struct Layout<const N: usize> {
    pub tag: u8,
    pub fields: [Width; N],
}

const MAX_VAR: usize = 10;

impl<const N: usize> Layout<N> {
    /// The most bytes a record of this layout takes, with its tag and a variable-length time.
    pub const fn max_len(&self) -> usize {
        let mut len = 1 + MAX_VAR;
        let mut i = 0;
        while i < N {
            len += match self.fields[i] {
                Width::Var => MAX_VAR,
                Width::Bytes(w) => w,
            };
            i += 1;
        }
        len
    }

    /// Whether every fixed-width field holds its value.
    #[inline(always)]
    pub fn fits(&self, values: &[u64; N]) -> bool {
        (0..N).all(|i| match self.fields[i] {
            Width::Var => true,
            Width::Bytes(w) => w >= 8 || values[i] >> (8 * w) == 0,
        })
    }

    /// Write the fields into `out` (which has room for `max_len`); returns the bytes written.
    /// Spelled out field by field, not as a loop: the layout is a constant, so each field
    /// becomes a store of a known width even where the build optimises for size (the page and
    /// `lab`), which does not unroll loops.
    #[inline(always)]
    pub fn write(&self, out: &mut [u8], values: &[u64; N]) -> usize {
        debug_assert!(self.fits(values));
        let () = Self::AT_MOST_12_FIELDS;
        let mut at = 0;
        macro_rules! fields {
            ($($i:literal)*) => {$(
                if $i < N {
                    at += match self.fields[$i] {
                        Width::Var => put_var(&mut out[at..], values[$i]),
                        Width::Bytes(w) => put_fixed(&mut out[at..], values[$i], w),
                    };
                }
            )*};
        }
        fields!(0 1 2 3 4 5 6 7 8 9 10 11);
        at
    }

    const AT_MOST_12_FIELDS: () = assert!(N <= 12, "`write` spells out 12 fields");

    /// Read the fields back.
    #[inline]
    pub fn read(&self, r: &mut Reader<'_>) -> [u64; N] {
        let mut values = [0; N];
        for (v, width) in values.iter_mut().zip(self.fields) {
            *v = match width {
                Width::Var => r.var(),
                Width::Bytes(w) => r.fixed(w),
            };
        }
        values
    }
}

/// Write `v` in `w` bytes; returns `w`. The usual widths are stores of a known size rather
/// than a copy of a length known only at run time (release builds optimise for size).
#[inline(always)]
fn put_fixed(out: &mut [u8], v: u64, w: usize) -> usize {
    match w {
        1 => out[0] = v as u8,
        2 => out[..2].copy_from_slice(&(v as u16).to_le_bytes()),
        4 => out[..4].copy_from_slice(&(v as u32).to_le_bytes()),
        _ => out[..w].copy_from_slice(&v.to_le_bytes()[..w]),
    }
    w
}

/// Write `v` as LEB128; returns the bytes written.
#[inline(always)]
pub(super) fn put_var(out: &mut [u8], mut v: u64) -> usize {
    let mut at = 0;
    while v >= 0x80 {
        out[at] = v as u8 | 0x80;
        v >>= 7;
        at += 1;
    }
    out[at] = v as u8;
    at + 1
}

/// Reads records from a run of bytes.
pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl Reader<'_> {
    pub fn byte(&mut self) -> u8 {
        self.at += 1;
        self.bytes[self.at - 1]
    }
    pub fn var(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    fn fixed(&mut self, w: usize) -> u64 {
        (0..w).fold(0, |v, i| v | u64::from(self.byte()) << (8 * i))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const MIXED: Layout<4> = Layout {
        tag: 9,
        fields: [Width::Bytes(1), Width::Var, Width::Bytes(4), Width::Var],
    };

    /// Values at the edges of each width read back as written, in at most `max_len` bytes.
    #[test]
    fn every_layout_reads_back_what_it_wrote() {
        assert_eq!(MIXED.max_len(), 1 + 10 + 1 + 10 + 4 + 10);
        for v in [
            [0, 0, 0, 0],
            [255, u64::MAX, 0xffff_ffff, 127],
            [1, 128, 7, 1 << 63],
        ] {
            assert!(MIXED.fits(&v));
            let mut buf = [0u8; 64];
            let n = MIXED.write(&mut buf, &v);
            assert!(n <= MIXED.max_len() - 11);
            let mut r = Reader {
                bytes: &buf[..n],
                at: 0,
            };
            assert_eq!(MIXED.read(&mut r), v);
            assert_eq!(r.at, n);
        }
        assert!(!MIXED.fits(&[256, 0, 0, 0]));
        assert!(!MIXED.fits(&[0, 0, 1 << 32, 0]));
    }
}
