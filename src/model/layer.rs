//! The layer types and their forward passes. Dense and Conv2d take a parameter
//! modifier in `apply`/`apply_transposed`, so that a relevance rule can run the same
//! layer with modified weights (and its transpose) without copying code; unmodified,
//! the stored weights are read as they are.

use ndarray::{Array1, Array2, Array4, ArrayD, ArrayView1, ArrayView2, ArrayView4, Ix2, Ix4};

use super::modifier::{with_modifier, ParamMod};

/// A fully connected layer: `y = x Wᵀ + b`, weights in PyTorch's `[out, in]` layout.
///
/// Both `W` and its transpose are stored, so that every product reads rows.
#[derive(Debug, Clone)]
pub struct Dense {
    weight: Array2<f32>,
    /// `Wᵀ`, `[in, out]`, kept beside `W` so that both products read rows.
    weight_t: Array2<f32>,
    pub bias: Array1<f32>,
}

impl Dense {
    pub fn new(weight: Array2<f32>, bias: Array1<f32>) -> Dense {
        let weight_t = weight.t().as_standard_layout().into_owned();
        // A copy only if it is not in standard layout already.
        let weight = if weight.is_standard_layout() { weight } else { weight.as_standard_layout().into_owned() };
        Dense { weight, weight_t, bias }
    }

    pub fn weight(&self) -> &Array2<f32> {
        &self.weight
    }

    /// `[N, in] -> [N, out]`: `x f(W)ᵀ + f(b)`, with the modifier `f = params` applied to
    /// each weight (and to the bias, unless `bias` is false, which leaves it out).
    pub fn apply(&self, x: ArrayView2<f32>, params: ParamMod, bias: bool) -> Array2<f32> {
        let mut y = Array2::zeros((x.nrows(), self.weight.nrows()));
        if bias {
            let b = params.modified(&self.bias);
            y.outer_iter_mut().for_each(|mut row| row.assign(&b));
        }
        if x.nrows() >= MATRIX_PRODUCT_BATCH {
            product_add(x, params.modified(&self.weight_t).view(), &mut y);
        } else {
            with_modifier!(params, f => add_sparse_rows(x, &self.weight_t, f, &mut y));
        }
        y
    }

    /// The transpose of `apply` without bias (its gradient with respect to the input):
    /// `[N, out] -> [N, in]`, `g f(W)`.
    pub fn apply_transposed(&self, g: ArrayView2<f32>, params: ParamMod) -> Array2<f32> {
        let mut c = Array2::zeros((g.nrows(), self.weight.ncols()));
        if g.nrows() >= MATRIX_PRODUCT_BATCH {
            product_add(g, params.modified(&self.weight).view(), &mut c);
        } else {
            with_modifier!(params, f => add_sparse_rows(g, &self.weight, f, &mut c));
        }
        c
    }
}

/// `y += x · f(w)` for `w` in standard layout, row by row, skipping the zeros of `x`.
// Not inlined: each weight modifier gets its own copy of this function, and a
// browser compiles a wasm function the first time it runs. Inlined, all copies
// made one 190 kB function that the first explanation waited 60 ms to compile.
#[inline(never)]
fn add_sparse_rows(x: ArrayView2<f32>, w: &Array2<f32>, f: impl Fn(f32) -> f32, y: &mut Array2<f32>) {
    let columns = w.ncols();
    let w = w.as_slice().expect("standard layout");
    for (x, mut y) in x.outer_iter().zip(y.outer_iter_mut()) {
        let y = y.as_slice_mut().expect("standard layout");
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(y, xj, &w[j * columns..(j + 1) * columns], &f);
            }
        }
    }
}

/// From this many inputs on, a dense layer multiplies the whole batch by its
/// (modified) weights, materialised once, in one matrix product. Below it, each input
/// runs as sparse row updates over the stored weights: for one explanation (the
/// page) zero inputs cost nothing and no matrix is copied, which is faster.
pub(crate) const MATRIX_PRODUCT_BATCH: usize = 8;

/// `out += a · b` for 2-D arrays (any layout of `a`; `b` and `out` standard).
fn product_add(a: ArrayView2<f32>, b: ArrayView2<f32>, out: &mut Array2<f32>) {
    let a = a.as_standard_layout();
    let (m, k) = a.dim();
    let n = b.ncols();
    matmul_add(
        a.as_slice().expect("standard layout"),
        b.as_slice().expect("standard layout"),
        out.as_slice_mut().expect("standard layout"),
        [m, k, n],
    );
}

/// `y += a · f(row)`, element by element (vectorisable: no reduction).
#[inline]
fn axpy(y: &mut [f32], a: f32, row: &[f32], f: &impl Fn(f32) -> f32) {
    for (y, &w) in y.iter_mut().zip(row) {
        *y += a * f(w);
    }
}

/// A 2-D convolution (cross-correlation, as PyTorch), weights `[out, in, kh, kw]`.
#[derive(Debug, Clone)]
pub struct Conv2d {
    pub weight: Array4<f32>,
    pub bias: Array1<f32>,
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

impl Conv2d {
    pub fn output_hw(&self, h: usize, w: usize) -> Option<[usize; 2]> {
        let (_, _, kh, kw) = self.weight.dim();
        window_output([h, w], [kh, kw], self.stride, self.padding)
    }

    /// `[N, C, H, W] -> [N, O, H', W']` with the modifier `f = params` applied to each weight (and to the
    /// bias, unless `bias` is false, which leaves it out).
    ///
    /// Samples are unrolled (im2col) side by side into one column matrix per group of
    /// samples, so that each group is one matrix product `f(K) · cols`; in wasm, at
    /// stride 1, each sample is multiplied in place instead ([`CONVOLVE_IN_PLACE`]).
    pub fn apply(&self, x: ArrayView4<f32>, params: ParamMod, bias: bool) -> Array4<f32> {
        let kernel = params.modified(&self.weight);
        let bias = bias.then(|| params.modified(&self.bias));
        let in_place = CONVOLVE_IN_PLACE && self.stride == [1, 1];
        let kernel = kernel.as_standard_layout();
        self.convolve(x, kernel.as_slice().expect("standard layout"), bias.as_ref().map(|b| b.view()), in_place)
    }

    /// `apply` with the (modified) kernel and bias, in place (only at stride 1) or through im2col.
    fn convolve(
        &self,
        x: ArrayView4<f32>,
        kernel: &[f32],
        bias: Option<ArrayView1<f32>>,
        in_place: bool,
    ) -> Array4<f32> {
        let (n, _, h, w) = x.dim();
        let (o, c, kh, kw) = self.weight.dim();
        let [ho, wo] = self.output_hw(h, w).unwrap_or([0, 0]);
        let (taps, per) = (c * kh * kw, ho * wo);
        let mut y = Array4::zeros((n, o, ho, wo));
        if let Some(bias) = bias {
            for mut sample in y.outer_iter_mut() {
                for (mut plane, &b) in sample.outer_iter_mut().zip(&bias) {
                    plane.fill(b);
                }
            }
        }
        let x = x.as_standard_layout();
        let sample_len = x.len() / n.max(1);
        let x = x.as_slice().expect("standard layout");
        // Samples of all zeros get only the bias (LRP's x⁻ terms on ReLU outputs, z^B's zero bound).
        let busy: Vec<usize> =
            (0..n).filter(|&s| x[s * sample_len..(s + 1) * sample_len].iter().any(|&v| v != 0.0)).collect();
        let y_all = y.as_slice_mut().expect("standard layout");
        if in_place {
            assert_eq!(self.stride, [1, 1], "in place at stride 1 only");
            let [ph, pw] = self.padding;
            let (hp, wp) = (h + 2 * ph, w + 2 * pw);
            // Where tap (ci, ki, kj) reads, from the top-left input pixel of an output.
            let offsets: Vec<usize> =
                (0..c * kh).flat_map(|r| (0..kw).map(move |kj| (r / kh * hp + r % kh) * wp + kj)).collect();
            let mut padded = vec![0.0f32; if ph + pw > 0 { c * hp * wp } else { 0 }];
            for &s in &busy {
                let sample = &x[s * sample_len..(s + 1) * sample_len];
                let input = if padded.is_empty() {
                    sample
                } else {
                    // The padding stays zero: only the inside is written, sample after sample.
                    for (plane, rows) in sample.chunks_exact(w).enumerate() {
                        let (ci, ii) = (plane / h, plane % h);
                        let at = (ci * hp + ii + ph) * wp + pw;
                        padded[at..at + w].copy_from_slice(rows);
                    }
                    &padded
                };
                let out = &mut y_all[s * o * per..(s + 1) * o * per];
                convolve_in_place(kernel, input, &offsets, out, [o, ho, wo], wp);
            }
            return y;
        }
        for group in busy.chunks(group_size(taps * per)) {
            let m = group.len();
            let mut cols = vec![0.0f32; taps * m * per];
            for (t, &s) in group.iter().enumerate() {
                self.im2col(
                    &x[s * sample_len..(s + 1) * sample_len],
                    [h, w],
                    [kh, kw],
                    [ho, wo],
                    &mut cols,
                    m * per,
                    t * per,
                );
            }
            let mut product = vec![0.0f32; o * m * per];
            matmul_add(kernel, &cols, &mut product, [o, taps, m * per]);
            for (t, &s) in group.iter().enumerate() {
                for oc in 0..o {
                    let out = &mut y_all[(s * o + oc) * per..(s * o + oc + 1) * per];
                    let row = &product[oc * m * per + t * per..oc * m * per + (t + 1) * per];
                    out.iter_mut().zip(row).for_each(|(y, &p)| *y += p);
                }
            }
        }
        y
    }

    /// The transpose of `apply` without bias: `[N, O, H', W'] -> [N, C, H, W]`,
    /// one product `f(K)ᵀ · g` per group of samples, folded back by col2im.
    pub fn apply_transposed(&self, g: ArrayView4<f32>, params: ParamMod, input_hw: [usize; 2]) -> Array4<f32> {
        let kernel = params.modified(&self.weight);
        let kernel = kernel.as_standard_layout();
        let kernel = kernel.as_slice().expect("standard layout");
        let (n, _, ho, wo) = g.dim();
        let (o, c, kh, kw) = self.weight.dim();
        let (taps, per) = (c * kh * kw, ho * wo);
        let mut x = Array4::zeros((n, c, input_hw[0], input_hw[1]));
        let image_len = c * input_hw[0] * input_hw[1];
        let g = g.as_standard_layout();
        let g = g.as_slice().expect("standard layout");
        let x_all = x.as_slice_mut().expect("standard layout");
        // A sample whose outputs are mostly zero (what max-pooling and ReLU pass back: at
        // most one in four after 2×2 pooling) is scattered output by output; the rest
        // go through the matrix product.
        let mut dense = Vec::new();
        for s in 0..n {
            let sample = &g[s * o * per..(s + 1) * o * per];
            let nonzero = sample.iter().filter(|&&v| v != 0.0).count();
            if nonzero == 0 {
                continue;
            }
            if taps >= SCATTER_MIN_TAPS && nonzero * SPARSE_FRACTION <= sample.len() {
                let out = &mut x_all[s * image_len..(s + 1) * image_len];
                self.scatter_transposed(sample, kernel, out, c, input_hw, [kh, kw], [ho, wo]);
            } else {
                dense.push(s);
            }
        }
        if dense.is_empty() {
            return x;
        }
        let kernel_t =
            ArrayView2::from_shape((o, taps), kernel).expect("kernel shape").t().as_standard_layout().into_owned();
        let kernel_t = kernel_t.as_slice().expect("standard layout");
        for group in dense.chunks(group_size(taps * per)) {
            let m = group.len();
            // The group's outputs side by side: row `oc` holds channel `oc` of each sample.
            let mut outputs = vec![0.0f32; o * m * per];
            for (t, &s) in group.iter().enumerate() {
                for oc in 0..o {
                    outputs[oc * m * per + t * per..oc * m * per + (t + 1) * per]
                        .copy_from_slice(&g[(s * o + oc) * per..(s * o + oc + 1) * per]);
                }
            }
            let mut cols = vec![0.0f32; taps * m * per];
            matmul_add(kernel_t, &outputs, &mut cols, [taps, o, m * per]);
            for (t, &s) in group.iter().enumerate() {
                let out = &mut x_all[s * image_len..(s + 1) * image_len];
                self.col2im(&cols, m * per, t * per, out, c, input_hw, [kh, kw], [ho, wo]);
            }
        }
        x
    }

    /// `apply_transposed` of one sample `[O, H', W']` by its nonzero outputs, output
    /// pixel by output pixel: the pixel's unrolled column (its `taps` input values) is
    /// `Σ g[oc] · f(K)[oc]` over its nonzero outputs, summed eight taps at a time in
    /// registers, then folded back onto the input while it is in the cache. Work in
    /// proportion to the nonzero outputs, and no column matrix.
    #[allow(clippy::too_many_arguments)]
    fn scatter_transposed(
        &self,
        g: &[f32],
        kernel: &[f32],
        out: &mut [f32],
        c: usize,
        [h, w]: [usize; 2],
        [kh, kw]: [usize; 2],
        [ho, wo]: [usize; 2],
    ) {
        const LANES: usize = 8;
        let per = ho * wo;
        let taps = c * kh * kw;
        let [sh, sw] = self.stride;
        let [ph, pw] = self.padding;
        let mut column = vec![0.0f32; taps];
        // Where kernel row (ci, ki) of a patch starts, from the patch's top-left input pixel.
        let rows: Vec<usize> = (0..c * kh).map(|r| (r / kh * h + r % kh) * w).collect();
        let mut nonzero: Vec<(usize, f32)> = Vec::with_capacity(g.len() / per.max(1));
        for p in 0..per {
            nonzero.clear();
            nonzero.extend(
                g.iter().skip(p).step_by(per).enumerate().filter(|(_, &v)| v != 0.0).map(|(oc, &v)| (oc * taps, v)),
            );
            let (oi, oj) = (p / wo, p % wo);
            // The kernel columns kj whose input column oj·sw + kj − pw lies in [0, w).
            let first = pw.saturating_sub(oj * sw);
            let end = kw.min((w + pw).saturating_sub(oj * sw));
            if nonzero.is_empty() || first >= end {
                continue;
            }
            let whole = taps / LANES * LANES;
            for (t, lanes) in column[..whole].chunks_exact_mut(LANES).enumerate() {
                let mut sum = [0.0f32; LANES];
                for &(row, v) in &nonzero {
                    let k: &[f32; LANES] =
                        kernel[row + t * LANES..row + (t + 1) * LANES].try_into().expect("eight taps");
                    for l in 0..LANES {
                        sum[l] += v * k[l];
                    }
                }
                lanes.copy_from_slice(&sum);
            }
            for (t, value) in column.iter_mut().enumerate().skip(whole) {
                *value = nonzero.iter().fold(0.0, |sum, &(row, v)| sum + v * kernel[row + t]);
            }
            let top = oi * sh;
            if first == 0 && end == kw && top >= ph && top + kh <= h + ph {
                // Inside the input: every kernel row lands on it in full.
                fold_patch(out, (top - ph) * w + oj * sw - pw, &rows, &column, kw);
                continue;
            }
            for ci in 0..c {
                for ki in 0..kh {
                    let ii = (top + ki).wrapping_sub(ph);
                    if ii >= h {
                        continue;
                    }
                    let taps_row = &column[(ci * kh + ki) * kw + first..(ci * kh + ki) * kw + end];
                    let start = (ci * h + ii) * w + oj * sw + first - pw;
                    out[start..start + (end - first)].iter_mut().zip(taps_row).for_each(|(o, &v)| *o += v);
                }
            }
        }
    }

    /// Unrolls one `[C, H, W]` sample into `cols` (rows of `row_stride`, the sample's
    /// columns starting at `offset`): entry `(tap, output pixel)` is the input pixel
    /// that tap reads (0 in the padding).
    #[allow(clippy::too_many_arguments)]
    fn im2col(
        &self,
        x: &[f32],
        [h, w]: [usize; 2],
        k: [usize; 2],
        out_hw: [usize; 2],
        cols: &mut [f32],
        row_stride: usize,
        offset: usize,
    ) {
        let c = x.len() / (h * w).max(1);
        let step = self.stride[1];
        self.for_each_run(c, [h, w], k, out_hw, |tap, column, pixel, len| {
            let at = tap * row_stride + offset + column;
            if step == 1 {
                copy_short(&mut cols[at..at + len], &x[pixel..pixel + len]);
            } else {
                (0..len).for_each(|t| cols[at + t] = x[pixel + t * step]);
            }
        });
    }

    /// Adds each column-matrix entry back onto the input pixel it was read from
    /// (the transpose of `im2col`).
    #[allow(clippy::too_many_arguments)]
    fn col2im(
        &self,
        cols: &[f32],
        row_stride: usize,
        offset: usize,
        out: &mut [f32],
        c: usize,
        hw: [usize; 2],
        k: [usize; 2],
        out_hw: [usize; 2],
    ) {
        let step = self.stride[1];
        self.for_each_run(c, hw, k, out_hw, |tap, column, pixel, len| {
            let at = tap * row_stride + offset + column;
            if step == 1 {
                out[pixel..pixel + len].iter_mut().zip(&cols[at..at + len]).for_each(|(o, &v)| *o += v);
            } else {
                (0..len).for_each(|t| out[pixel + t * step] += cols[at + t]);
            }
        });
    }

    /// Visits the runs of column-matrix entries the convolution reads, as
    /// `(tap, first output pixel, first input pixel, length)`: one run per tap and
    /// output row, clipped to the part outside the zero padding. Output pixels of a run
    /// are consecutive; their input pixels are `stride[1]` apart. Flat indices are row-major.
    fn for_each_run(
        &self,
        c: usize,
        [h, w]: [usize; 2],
        k: [usize; 2],
        [ho, wo]: [usize; 2],
        mut visit: impl FnMut(usize, usize, usize, usize),
    ) {
        let [sh, sw] = self.stride;
        let [ph, pw] = self.padding;
        for ci in 0..c {
            for ki in 0..k[0] {
                for kj in 0..k[1] {
                    // Output columns whose input column `oj·sw + kj − pw` lies in [0, w).
                    let first = if pw > kj { (pw - kj).div_ceil(sw) } else { 0 };
                    let Some(last_pixel) = (w - 1 + pw).checked_sub(kj) else { continue };
                    let end = wo.min(last_pixel / sw + 1);
                    if first >= end {
                        continue;
                    }
                    let tap = (ci * k[0] + ki) * k[1] + kj;
                    for oi in 0..ho {
                        let ii = (oi * sh + ki).wrapping_sub(ph);
                        if ii < h {
                            visit(tap, oi * wo + first, (ci * h + ii) * w + first * sw + kj - pw, end - first);
                        }
                    }
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for the short runs of im2col (an output row: 8 or 24
/// values in the CNNs here), four values at a time: in wasm a `copy_from_slice` of a
/// length known only at run time is a call to `memory.copy`, costly at these lengths.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    let mut d = dst.chunks_exact_mut(4);
    let mut s = src.chunks_exact(4);
    for (d, s) in d.by_ref().zip(s.by_ref()) {
        let s: [f32; 4] = s.try_into().expect("four values");
        d.copy_from_slice(&s);
    }
    for (d, &s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = s;
    }
}

/// Adds a patch's unrolled column (`rows.len()` kernel rows of `kw` values) onto the
/// input, kernel row `r` at `corner + rows[r]` (`rows` increasing): the fold of the
/// sparse transpose, with one bounds check per patch and the common kernel widths
/// known to the compiler (unrolled, the fold of the CNN's 5×5 kernels took 12% off
/// an Integrated Gradients explanation in Node).
fn fold_patch(out: &mut [f32], corner: usize, rows: &[usize], column: &[f32], kw: usize) {
    assert!(
        corner + rows.last().map_or(0, |&r| r + kw) <= out.len() && column.len() >= rows.len() * kw,
        "patch inside the input"
    );
    /// # Safety
    /// As asserted above, with `width == kw`.
    #[inline(always)]
    unsafe fn add_rows(out: &mut [f32], corner: usize, rows: &[usize], column: &[f32], width: usize) {
        for (r, &offset) in rows.iter().enumerate() {
            let (dst, src) = (out.as_mut_ptr().add(corner + offset), column.as_ptr().add(r * width));
            for j in 0..width {
                *dst.add(j) += *src.add(j);
            }
        }
    }
    // SAFETY: every kernel row's `kw` values lie within `out` (the last, at the largest
    // offset, was checked) and within `column`.
    unsafe {
        match kw {
            3 => add_rows(out, corner, rows, column, 3),
            5 => add_rows(out, corner, rows, column, 5),
            7 => add_rows(out, corner, rows, column, 7),
            _ => add_rows(out, corner, rows, column, kw),
        }
    }
}

/// In wasm, a stride-1 convolution reads its input in place ([`convolve_in_place`])
/// rather than unrolled by im2col: CNN Integrated Gradients in Node 1490 → 1279 µs, ε
/// 150 → 141 µs (best of 3 interleaved rounds, 2026-12-02). Natively, the
/// `gemm` crate's kernels on the unrolled matrix are faster; the unit tests check the
/// in-place product there against the definition.
const CONVOLVE_IN_PLACE: bool = cfg!(target_arch = "wasm32");

/// A convolution's transpose scatters a sample's outputs one by one when at most one
/// in this many is nonzero (below that, the matrix product's better use of the
/// registers wins)...
const SPARSE_FRACTION: usize = 3;
/// ...and its kernel has at least this many taps per output channel, so that each
/// scattered output is one long vectorised row update. In Node, the CNN's second
/// convolution (300 taps) scattered: ε −6%, α2β1 −15%, IG −7%; its first (25 taps)
/// scattered as well gained nothing.
const SCATTER_MIN_TAPS: usize = 64;

/// How many samples to unroll into one column matrix: as many as fit in about 512 kB
/// (in the caches: larger groups are slower)
/// (`unrolled` values each), at least one.
fn group_size(unrolled: usize) -> usize {
    const BUDGET: usize = 1 << 17;
    (BUDGET / unrolled.max(1)).max(1)
}

/// `out += a · b` for row-major `a` (m×k), `b` (k×n) and `out` (m×n): the
/// convolutions' and the batched dense layers' matrix product. Natively, the `gemm`
/// crate, which picks AVX-512 or AVX2/FMA kernels at run time (`cargo bench`,
/// batched mlp-narrow ε on an AVX-512 Xeon: 9.5 → see README µs per digit against
/// matrixmultiply's AVX2 kernels).
#[cfg(not(target_arch = "wasm32"))]
fn matmul_add(a: &[f32], b: &[f32], out: &mut [f32], [m, k, n]: [usize; 3]) {
    assert!(a.len() >= m * k && b.len() >= k * n && out.len() >= m * n, "matrix sizes");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the three slices hold the row-major matrices whose sizes were just
    // checked (row stride = columns, column stride 1); `out` does not alias `a` or `b`
    // (a `&mut` cannot), and the product runs on this thread only.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// In wasm, `matrixmultiply` has no SIMD kernel; [`blocked_matmul_add`], with its
/// simd128 block, is faster there: CNN ε in Chromium 0.29 → 0.24 ms (on 2026-11-30).
#[cfg(target_arch = "wasm32")]
fn matmul_add(a: &[f32], b: &[f32], out: &mut [f32], shape: [usize; 3]) {
    blocked_matmul_add(a, b, out, shape)
}

/// `out += a · b` as [`matmul_add`]. Blocks of 4 rows × 8 columns are accumulated in
/// registers over all of `k`, so each value of `b` is loaded once per four rows.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // natively, only its tests use it
fn blocked_matmul_add(a: &[f32], b: &[f32], out: &mut [f32], [m, k, n]: [usize; 3]) {
    assert!(a.len() >= m * k && b.len() >= k * n && out.len() >= m * n, "matrix sizes");
    let full_rows = m - m % ROWS;
    let full_columns = n - n % COLUMNS;
    for i in (0..full_rows).step_by(ROWS) {
        for p in (0..full_columns).step_by(COLUMNS) {
            block::<2>(a, [i, k], b, RowMajor(n), p, out, [n, p]);
        }
    }
    edges(a, b, out, [m, k, n], [full_rows, full_columns]);
}

const ROWS: usize = 4;
/// Columns of a block: two vectors of four.
const COLUMNS: usize = 8;

/// Where each row of a matrix product's right-hand matrix starts in its slice, so that
/// a block can read a matrix stored row after row or a convolution's input in place.
///
/// # Safety
/// `start(r)` increases with `r`: a block checks only its last row's bounds.
unsafe trait RowStarts: Copy {
    fn start(self, r: usize) -> usize;
}

/// Rows of `n` columns, one after the other.
#[derive(Clone, Copy)]
struct RowMajor(usize);

// SAFETY: r · n increases with r.
unsafe impl RowStarts for RowMajor {
    #[inline(always)]
    fn start(self, r: usize) -> usize {
        r * self.0
    }
}

/// A convolution's taps: row `r` (tap r) starts at `taps[r]` in the input, which
/// [`convolve_in_place`] lists in increasing order.
#[derive(Clone, Copy)]
struct Taps<'a>(&'a [usize]);

// SAFETY: `Taps` is made only by `convolve_in_place`, from offsets it checks increase.
unsafe impl RowStarts for Taps<'_> {
    #[inline(always)]
    fn start(self, r: usize) -> usize {
        self.0[r]
    }
}

/// One block of `out += a · b`: rows `i..i + 4` of `a` (`k` columns each) times columns
/// `p..p + 4V` of `b` (row `r` at `rows.start(r)`), added to rows `i..i + 4` of `out`
/// (`stride` apart) from its column `q`.
#[cfg(not(target_arch = "wasm32"))]
fn block<const V: usize>(
    a: &[f32],
    [i, k]: [usize; 2],
    b: &[f32],
    rows: impl RowStarts,
    p: usize,
    out: &mut [f32],
    [stride, q]: [usize; 2],
) {
    let mut acc = [[[0.0f32; 4]; V]; ROWS];
    for r in 0..k {
        let b_row = &b[rows.start(r) + p..rows.start(r) + p + 4 * V];
        for (row, acc) in acc.iter_mut().enumerate() {
            let a_value = a[(i + row) * k + r];
            for (t, &b_value) in b_row.iter().enumerate() {
                acc[t / 4][t % 4] += a_value * b_value;
            }
        }
    }
    for (row, acc) in acc.iter().enumerate() {
        let out = &mut out[(i + row) * stride + q..(i + row) * stride + q + 4 * V];
        out.iter_mut().zip(acc.iter().flatten()).for_each(|(o, a)| *o += a);
    }
}

/// The same block with wasm's 128-bit SIMD spelt out, the accumulators as locals the
/// engine can keep in registers, and no bounds check inside the loop (one for the
/// block): in Node, best of 40 interleaved runs, CNN ε 499 → 439 µs, α2β1 1007 → 855 µs
/// against the portable loop above compiled to wasm. The same sums in the same order:
/// the maps are bit-identical.
#[cfg(target_arch = "wasm32")]
fn block<const V: usize>(
    a: &[f32],
    [i, k]: [usize; 2],
    b: &[f32],
    rows: impl RowStarts,
    p: usize,
    out: &mut [f32],
    [stride, q]: [usize; 2],
) {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};
    assert!(
        (i + ROWS) * k <= a.len()
            && (k == 0 || rows.start(k - 1) + p + 4 * V <= b.len())
            && (i + ROWS - 1) * stride + q + 4 * V <= out.len(),
        "block within the matrices"
    );
    let zero = f32x4_splat(0.0);
    let mut acc = [[zero; V]; ROWS];
    // SAFETY: every index below is within the bounds asserted above (rows i..i+4 of `a`
    // with k columns; rows 0..k of `b`, which start no later than the last, at columns
    // p..p+4V; rows i..i+4 of `out` at columns q..q+4V); v128_load and v128_store need
    // no alignment.
    unsafe {
        let (a, b) = (a.as_ptr(), b.as_ptr());
        for r in 0..k {
            let row_start = b.add(rows.start(r) + p);
            let mut b_values = [zero; V];
            for (v, value) in b_values.iter_mut().enumerate() {
                *value = v128_load(row_start.add(4 * v) as *const v128);
            }
            for (row, acc) in acc.iter_mut().enumerate() {
                let x = f32x4_splat(*a.add((i + row) * k + r));
                for v in 0..V {
                    acc[v] = f32x4_add(acc[v], f32x4_mul(x, b_values[v]));
                }
            }
        }
        let out = out.as_mut_ptr();
        for (row, acc) in acc.iter().enumerate() {
            for (v, &value) in acc.iter().enumerate() {
                let at = out.add((i + row) * stride + q + 4 * v) as *mut v128;
                v128_store(at, f32x4_add(v128_load(at), value));
            }
        }
    }
}

/// A stride-1 convolution of one sample as a matrix product that reads the input in
/// place, without unrolling it (im2col): `out[oc, oi, oj] += Σ_r kernel[oc, r] ·
/// x[taps[r] + oi · wp + oj]`, where `x` is the sample `[C, Hp, Wp]` with its padding
/// written out and `taps[r] = (ci · Hp + ki) · Wp + kj`. Each output row is cut into
/// blocks of 8 and then 4 columns for every four output channels; what is left is
/// summed value by value.
fn convolve_in_place(kernel: &[f32], x: &[f32], taps: &[usize], out: &mut [f32], [o, ho, wo]: [usize; 3], wp: usize) {
    let (k, per) = (taps.len(), ho * wo);
    assert!(taps.windows(2).all(|t| t[0] < t[1]), "taps in increasing order");
    assert!(kernel.len() >= o * k && out.len() >= o * per, "kernel and output sizes");
    let taps = Taps(taps);
    let full_rows = o - o % ROWS;
    let (eights, fours) = (wo - wo % COLUMNS, wo - wo % 4);
    for oi in 0..ho {
        let (input_row, output_row) = (oi * wp, oi * wo);
        for i in (0..full_rows).step_by(ROWS) {
            for oj in (0..eights).step_by(COLUMNS) {
                block::<2>(kernel, [i, k], x, taps, input_row + oj, out, [per, output_row + oj]);
            }
            if fours > eights {
                block::<1>(kernel, [i, k], x, taps, input_row + eights, out, [per, output_row + eights]);
            }
        }
        for oc in 0..o {
            let weights = &kernel[oc * k..(oc + 1) * k];
            for oj in (if oc < full_rows { fours } else { 0 })..wo {
                let at = input_row + oj;
                let sum = weights.iter().zip(taps.0).fold(0.0, |sum, (&w, &t)| sum + w * x[t + at]);
                out[oc * per + output_row + oj] += sum;
            }
        }
    }
}

/// The rows past the last block of four and the columns past the last block of eight.
fn edges(a: &[f32], b: &[f32], out: &mut [f32], [m, k, n]: [usize; 3], [full_rows, full_columns]: [usize; 2]) {
    for i in 0..m {
        let columns = if i < full_rows { full_columns..n } else { 0..n };
        if columns.is_empty() {
            continue;
        }
        for r in 0..k {
            let a_value = a[i * k + r];
            if a_value != 0.0 {
                let (row, b_row) = (&mut out[i * n..(i + 1) * n], &b[r * n..(r + 1) * n]);
                for t in columns.clone() {
                    row[t] += a_value * b_row[t];
                }
            }
        }
    }
}

/// Max or average pooling window geometry (PyTorch semantics: floor mode; average
/// pooling counts padded zeros, as `count_include_pad=True`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pool2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

impl Pool2d {
    pub fn output_hw(&self, h: usize, w: usize) -> Option<[usize; 2]> {
        window_output([h, w], self.kernel, self.stride, self.padding)
    }

    /// The input pixels each output cell reads, as offsets within one `[H, W]` plane:
    /// `taps[cell · k .. (cell + 1) · k]` for the cell's window (k = kernel area), with
    /// [`PADDING`] where the window lies over the padding. Computed once per call and
    /// shared by every channel and sample.
    fn taps(&self, [h, w]: [usize; 2]) -> (Vec<u32>, usize) {
        let [ho, wo] = self.output_hw(h, w).unwrap_or([0, 0]);
        let area = self.kernel[0] * self.kernel[1];
        let mut taps = Vec::with_capacity(ho * wo * area);
        for oi in 0..ho {
            for oj in 0..wo {
                for ki in 0..self.kernel[0] {
                    let ii = (oi * self.stride[0] + ki).wrapping_sub(self.padding[0]);
                    for kj in 0..self.kernel[1] {
                        let jj = (oj * self.stride[1] + kj).wrapping_sub(self.padding[1]);
                        taps.push(if ii < h && jj < w { (ii * w + jj) as u32 } else { PADDING });
                    }
                }
            }
        }
        (taps, area)
    }

    /// As [`Pool2d::taps`], with each tap over the padding replaced by the window's
    /// first pixel inside: the same maximum and the same first maximum, so the max
    /// loops need no branch (a data-dependent branch per tap costs more than the loop).
    fn taps_for_max(&self, hw: [usize; 2]) -> (Vec<u32>, usize) {
        let (mut taps, area) = self.taps(hw);
        for window in taps.chunks_exact_mut(area.max(1)) {
            // A window of padding only cannot occur (padding <= kernel / 2).
            let inside = window.iter().copied().find(|&t| t != PADDING).unwrap_or(0);
            window.iter_mut().filter(|t| **t == PADDING).for_each(|t| *t = inside);
        }
        (taps, area)
    }

    /// Calls `visit(input plane, output cell, window)` for every output cell of every
    /// channel of every sample of an `[N, C, H, W]` batch, with `taps` from [`Pool2d::taps`].
    fn for_each_window(
        shape: [usize; 4],
        (taps, area): &(Vec<u32>, usize),
        mut visit: impl FnMut(usize, usize, &[u32]),
    ) {
        let [n, c, h, w] = shape;
        let cells = taps.len() / (*area).max(1);
        for plane in 0..n * c {
            for (cell, window) in taps.chunks_exact((*area).max(1)).enumerate() {
                visit(plane * h * w, plane * cells + cell, window);
            }
        }
    }

    fn pool(
        &self,
        x: ArrayView4<f32>,
        taps: &(Vec<u32>, usize),
        reduce: impl Fn(&[f32], &[u32]) -> f32,
    ) -> Array4<f32> {
        let (n, c, h, w) = x.dim();
        let [ho, wo] = self.output_hw(h, w).unwrap_or([0, 0]);
        let mut y = Array4::zeros((n, c, ho, wo));
        let x = x.as_standard_layout();
        let src = x.as_slice().expect("standard layout");
        let dst = y.as_slice_mut().expect("standard layout");
        Pool2d::for_each_window([n, c, h, w], taps, |plane, cell, window| {
            dst[cell] = reduce(&src[plane..plane + h * w], window)
        });
        y
    }

    pub fn max(&self, x: ArrayView4<f32>) -> Array4<f32> {
        let (_, _, h, w) = x.dim();
        if self.halves(h, w) {
            return Pool2d::max_halving(x);
        }
        self.pool(x, &self.taps_for_max([h, w]), |plane, window| first_max(window.iter().map(|&t| plane[t as usize])).0)
    }

    pub fn average(&self, x: ArrayView4<f32>) -> Array4<f32> {
        let (_, _, h, w) = x.dim();
        let area = (self.kernel[0] * self.kernel[1]) as f32;
        self.pool(x, &self.taps([h, w]), |plane, window| {
            window.iter().filter(|&&t| t != PADDING).map(|&t| plane[t as usize]).sum::<f32>() / area
        })
    }

    /// The max-pool gradient: each output's `g` goes to the first maximum of its
    /// window in `x` (as PyTorch picks it), i.e. winner-take-all.
    pub fn route_to_max(&self, x: ArrayView4<f32>, g: ArrayView4<f32>) -> Array4<f32> {
        let (_, _, h, w) = x.dim();
        if self.halves(h, w) {
            return Pool2d::route_halving(x, g);
        }
        self.scatter(x, g, &self.taps_for_max([h, w]), |plane, window, value, dst| {
            let at = first_max(window.iter().map(|&t| plane[t as usize])).1;
            dst[window[at] as usize] += value;
        })
    }

    /// The average-pool gradient: each output's `g` spread evenly over its window
    /// (padding included in the count, as `count_include_pad=True`).
    pub fn spread_evenly(&self, x: ArrayView4<f32>, g: ArrayView4<f32>) -> Array4<f32> {
        let (_, _, h, w) = x.dim();
        let area = (self.kernel[0] * self.kernel[1]) as f32;
        self.scatter(x, g, &self.taps([h, w]), |_, window, value, dst| {
            for &t in window.iter().filter(|&&t| t != PADDING) {
                dst[t as usize] += value / area;
            }
        })
    }

    /// 2×2 windows at stride 2 without padding (the CNNs' pooling) on an input of at
    /// least one window: [`Pool2d::max_halving`] and [`Pool2d::route_halving`] read each
    /// window straight from its two rows. Through the tap tables, max-pooling and its
    /// routing were a quarter of an Integrated Gradients explanation of the CNN.
    fn halves(&self, h: usize, w: usize) -> bool {
        self.kernel == [2, 2] && self.stride == [2, 2] && self.padding == [0, 0] && h >= 2 && w >= 2
    }

    /// [`Pool2d::max`] for 2×2 windows at stride 2 (see [`Pool2d::halves`]).
    fn max_halving(x: ArrayView4<f32>) -> Array4<f32> {
        let (n, c, h, w) = x.dim();
        let (ho, wo) = (h / 2, w / 2);
        let mut y = Array4::zeros((n, c, ho, wo));
        let x = x.as_standard_layout();
        let planes = x.as_slice().expect("standard layout").chunks_exact(h * w);
        for (plane, out) in planes.zip(y.as_slice_mut().expect("standard layout").chunks_exact_mut(ho * wo)) {
            for (oi, out) in out.chunks_exact_mut(wo).enumerate() {
                halving::max_row(halving::rows(plane, oi, w, wo), out);
            }
        }
        y
    }

    /// [`Pool2d::route_to_max`] for 2×2 windows at stride 2 (see [`Pool2d::halves`]).
    fn route_halving(x: ArrayView4<f32>, g: ArrayView4<f32>) -> Array4<f32> {
        let (_, _, h, w) = x.dim();
        let (ho, wo) = (h / 2, w / 2);
        let mut out = Array4::zeros(x.raw_dim());
        let (x, g) = (x.as_standard_layout(), g.as_standard_layout());
        let planes = x.as_slice().expect("standard layout").chunks_exact(h * w);
        let ups = g.as_slice().expect("standard layout").chunks_exact(ho * wo);
        let downs = out.as_slice_mut().expect("standard layout").chunks_exact_mut(h * w);
        for ((plane, up), down) in planes.zip(ups).zip(downs) {
            for (oi, up) in up.chunks_exact(wo).enumerate() {
                let (upper, lower) = down[2 * oi * w..2 * (oi + 1) * w].split_at_mut(w);
                halving::route_row(halving::rows(plane, oi, w, wo), up, [&mut upper[..2 * wo], &mut lower[..2 * wo]]);
            }
        }
        out
    }

    /// Hands each output's `g` back to its window's inputs: `route(input plane, window,
    /// g, output plane)`, for outputs with a non-zero `g`.
    fn scatter(
        &self,
        x: ArrayView4<f32>,
        g: ArrayView4<f32>,
        taps: &(Vec<u32>, usize),
        route: impl Fn(&[f32], &[u32], f32, &mut [f32]),
    ) -> Array4<f32> {
        let (n, c, h, w) = x.dim();
        let mut out = Array4::zeros(x.raw_dim());
        let (x, g) = (x.as_standard_layout(), g.as_standard_layout());
        let (src, up) = (x.as_slice().expect("standard layout"), g.as_slice().expect("standard layout"));
        let dst = out.as_slice_mut().expect("standard layout");
        Pool2d::for_each_window([n, c, h, w], taps, |plane, cell, window| {
            if up[cell] != 0.0 {
                route(&src[plane..plane + h * w], window, up[cell], &mut dst[plane..plane + h * w])
            }
        });
        out
    }
}

/// A window's maximum and the position where it first occurs (0 if none is above −∞),
/// for max-pooling and the routing of its gradient, as PyTorch picks it: the first of
/// equal values wins; NaN never does.
#[inline(always)]
fn first_max(window: impl IntoIterator<Item = f32>) -> (f32, usize) {
    let (mut best, mut at) = (f32::NEG_INFINITY, 0);
    for (i, v) in window.into_iter().enumerate() {
        if v > best {
            (best, at) = (v, i);
        }
    }
    (best, at)
}

/// One row of 2×2 windows at stride 2, read from its two input rows (`2·wo` values
/// each): the maxima, and the routing of their gradient, by [`first_max`]'s rule.
/// In wasm, four windows at a time without branches: which of a window's four
/// values wins depends on the data, and mispredicted branches made the routing an
/// eighth of an Integrated Gradients explanation of the CNN.
mod halving {
    use super::first_max;

    /// The two input rows of output row `oi`'s windows in a plane `w` wide, `2 · wo` values each.
    pub fn rows(plane: &[f32], oi: usize, w: usize, wo: usize) -> [&[f32]; 2] {
        let top = 2 * oi * w;
        [&plane[top..top + 2 * wo], &plane[top + w..top + w + 2 * wo]]
    }

    /// Window `j`'s four values in reading order (row-major).
    fn window([top, bottom]: [&[f32]; 2], j: usize) -> [f32; 4] {
        [top[2 * j], top[2 * j + 1], bottom[2 * j], bottom[2 * j + 1]]
    }

    /// The maximum of each window: `out[j]` of the windows at columns `2j, 2j + 1`.
    pub fn max_row(rows: [&[f32]; 2], out: &mut [f32]) {
        let done = simd::max_row(rows, out);
        for (j, o) in out.iter_mut().enumerate().skip(done) {
            *o = first_max(window(rows, j)).0;
        }
    }

    /// Each window's gradient `up[j]` to its first maximum, zeros elsewhere (the
    /// windows do not overlap, so each input is written once).
    pub fn route_row(rows: [&[f32]; 2], up: &[f32], [upper, lower]: [&mut [f32]; 2]) {
        let done = simd::route_row(rows, up, [&mut *upper, &mut *lower]);
        for (j, &value) in up.iter().enumerate().skip(done) {
            let at = first_max(window(rows, j)).1;
            let row = if at < 2 { &mut *upper } else { &mut *lower };
            row[2 * j + at % 2] = value;
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod simd {
        /// How many windows were done: none, the scalar loop does them all.
        pub fn max_row(_: [&[f32]; 2], _: &mut [f32]) -> usize {
            0
        }

        pub fn route_row(_: [&[f32]; 2], _: &[f32], _: [&mut [f32]; 2]) -> usize {
            0
        }
    }

    #[cfg(target_arch = "wasm32")]
    mod simd {
        use core::arch::wasm32::*;

        /// The four windows starting at window `j`: lane `l` holds value `v` of window
        /// `j + l`, for `v` = top left, top right, bottom left, bottom right.
        #[inline(always)]
        fn windows([top, bottom]: [&[f32]; 2], j: usize) -> [v128; 4] {
            let load = |row: &[f32], at: usize| {
                let four: &[f32; 4] = row[at..at + 4].try_into().expect("four values");
                // SAFETY: `four` is four readable f32s; v128_load has no alignment requirement.
                unsafe { v128_load(four.as_ptr() as *const v128) }
            };
            let (t, u) = (load(top, 2 * j), load(top, 2 * j + 4));
            let (b, c) = (load(bottom, 2 * j), load(bottom, 2 * j + 4));
            [
                i32x4_shuffle::<0, 2, 4, 6>(t, u),
                i32x4_shuffle::<1, 3, 5, 7>(t, u),
                i32x4_shuffle::<0, 2, 4, 6>(b, c),
                i32x4_shuffle::<1, 3, 5, 7>(b, c),
            ]
        }

        /// [`super::first_max`] lane by lane: the maximum, and where each later value
        /// took over from those before it (all lanes of `took[v − 1]` set).
        #[inline(always)]
        fn first_max(values: [v128; 4]) -> (v128, [v128; 3]) {
            let mut best = f32x4_splat(f32::NEG_INFINITY);
            let mut took = [best; 4];
            for (took, v) in took.iter_mut().zip(values) {
                *took = f32x4_lt(best, v);
                best = v128_bitselect(v, best, *took);
            }
            (best, [took[1], took[2], took[3]])
        }

        pub fn max_row(rows: [&[f32]; 2], out: &mut [f32]) -> usize {
            let blocks = out.len() / 4;
            for j in (0..blocks * 4).step_by(4) {
                let best = first_max(windows(rows, j)).0;
                let out: &mut [f32; 4] = (&mut out[j..j + 4]).try_into().expect("four values");
                // SAFETY: `out` is four writable f32s; v128_store has no alignment requirement.
                unsafe { v128_store(out.as_mut_ptr() as *mut v128, best) };
            }
            blocks * 4
        }

        pub fn route_row(rows: [&[f32]; 2], up: &[f32], [upper, lower]: [&mut [f32]; 2]) -> usize {
            let blocks = up.len() / 4;
            for j in (0..blocks * 4).step_by(4) {
                let [t1, b0, b1] = first_max(windows(rows, j)).1;
                let up: &[f32; 4] = up[j..j + 4].try_into().expect("four values");
                // SAFETY: four readable f32s.
                let g = unsafe { v128_load(up.as_ptr() as *const v128) };
                // The last value to take over is the first maximum.
                let later = v128_or(b0, b1);
                let to = [
                    v128_andnot(g, v128_or(t1, later)),
                    v128_and(g, v128_andnot(t1, later)),
                    v128_and(g, v128_andnot(b0, b1)),
                    v128_and(g, b1),
                ];
                for (row, [left, right]) in [(&mut *upper, [to[0], to[1]]), (&mut *lower, [to[2], to[3]])] {
                    let eight: &mut [f32; 8] = (&mut row[2 * j..2 * j + 8]).try_into().expect("eight values");
                    // SAFETY: eight writable f32s, stored as two unaligned halves.
                    unsafe {
                        let at = eight.as_mut_ptr() as *mut v128;
                        v128_store(at, i32x4_shuffle::<0, 4, 1, 5>(left, right));
                        v128_store(at.add(1), i32x4_shuffle::<2, 6, 3, 7>(left, right));
                    }
                }
            }
            blocks * 4
        }
    }
}

/// A window tap that lies over the padding.
const PADDING: u32 = u32::MAX;

fn window_output(hw: [usize; 2], k: [usize; 2], stride: [usize; 2], padding: [usize; 2]) -> Option<[usize; 2]> {
    let mut out = [0; 2];
    for d in 0..2 {
        let padded = padding[d].checked_mul(2).and_then(|p| p.checked_add(hw[d]))?;
        if stride[d] == 0 || k[d] == 0 || padded < k[d] {
            return None;
        }
        out[d] = (padded - k[d]) / stride[d] + 1;
    }
    Some(out)
}

#[derive(Debug, Clone)]
pub enum Layer {
    Dense(Dense),
    Conv2d(Conv2d),
    MaxPool2d(Pool2d),
    AvgPool2d(Pool2d),
    Relu,
    Flatten,
}

impl Layer {
    /// PyTorch's name for the layer type.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "Linear",
            Layer::Conv2d(_) => "Conv2d",
            Layer::MaxPool2d(_) => "MaxPool2d",
            Layer::AvgPool2d(_) => "AvgPool2d",
            Layer::Relu => "ReLU",
            Layer::Flatten => "Flatten",
        }
    }

    /// Output shape (without batch) for an input shape, or None if the layer cannot take it.
    pub fn output_shape(&self, input: &[usize]) -> Option<Vec<usize>> {
        match (self, input) {
            (Layer::Dense(d), [features]) if *features == d.weight().ncols() => Some(vec![d.weight().nrows()]),
            (Layer::Conv2d(conv), [c, h, w]) if *c == conv.weight.dim().1 => {
                conv.output_hw(*h, *w).map(|[ho, wo]| vec![conv.weight.dim().0, ho, wo])
            }
            (Layer::MaxPool2d(p) | Layer::AvgPool2d(p), [c, h, w]) => {
                p.output_hw(*h, *w).map(|[ho, wo]| vec![*c, ho, wo])
            }
            (Layer::Relu, shape) => Some(shape.to_vec()),
            (Layer::Flatten, shape) => Some(vec![shape.iter().product()]),
            _ => None,
        }
    }

    /// Runs the layer on a batch (`[N, ...]`). Shapes were checked when the model was built.
    pub fn forward(&self, x: &ArrayD<f32>) -> ArrayD<f32> {
        match self {
            Layer::Dense(_) | Layer::Conv2d(_) => self.apply(x, ParamMod::Identity, true).expect("linear layer"),
            Layer::MaxPool2d(p) => p.max(as4(x)).into_dyn(),
            Layer::AvgPool2d(p) => p.average(as4(x)).into_dyn(),
            // A comparison, not f32::max, which is a slow libcall in wasm.
            Layer::Relu => x.mapv(|v| if v > 0.0 { v } else { 0.0 }),
            Layer::Flatten => {
                let n = x.shape()[0];
                let features = x.len() / n.max(1);
                x.as_standard_layout().into_owned().into_shape_with_order(vec![n, features]).expect("flatten")
            }
        }
    }

    /// The bias of a Dense or Conv2d layer.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        match self {
            Layer::Dense(d) => Some(&d.bias),
            Layer::Conv2d(c) => Some(&c.bias),
            _ => None,
        }
    }

    /// For Dense and Conv2d: the layer on a batch with `f` applied to each weight and
    /// to the bias (left out unless `bias`). Relevance rules run through this.
    pub fn apply(&self, x: &ArrayD<f32>, params: ParamMod, bias: bool) -> Option<ArrayD<f32>> {
        match self {
            Layer::Dense(d) => Some(d.apply(as2(x), params, bias).into_dyn()),
            Layer::Conv2d(c) => Some(c.apply(as4(x), params, bias).into_dyn()),
            _ => None,
        }
    }

    /// For Dense and Conv2d: the transpose of the bias-free map with `f` applied to
    /// each weight, taking `g` (shaped as the output, `[N, ...]`) to `input_shape`.
    pub fn transpose(&self, g: &ArrayD<f32>, params: ParamMod, input_shape: &[usize]) -> Option<ArrayD<f32>> {
        match self {
            Layer::Dense(d) => Some(d.apply_transposed(as2(g), params).into_dyn()),
            Layer::Conv2d(c) => Some(c.apply_transposed(as4(g), params, [input_shape[2], input_shape[3]]).into_dyn()),
            _ => None,
        }
    }

    pub fn parameter_count(&self) -> usize {
        match self {
            Layer::Dense(d) => d.weight().len() + d.bias.len(),
            Layer::Conv2d(c) => c.weight.len() + c.bias.len(),
            _ => 0,
        }
    }

    /// A one-line description such as `Conv2d(1→12, 5×5, stride 1, padding 0)`.
    pub fn describe(&self) -> String {
        match self {
            Layer::Dense(d) => format!("Linear({}→{})", d.weight().ncols(), d.weight().nrows()),
            Layer::Conv2d(c) => {
                let (o, i, kh, kw) = c.weight.dim();
                format!("Conv2d({i}→{o}, {kh}×{kw}, stride {}, padding {})", c.stride[0], c.padding[0])
            }
            Layer::MaxPool2d(p) | Layer::AvgPool2d(p) => {
                format!("{}({}×{}, stride {})", self.kind(), p.kernel[0], p.kernel[1], p.stride[0])
            }
            Layer::Relu | Layer::Flatten => self.kind().to_string(),
        }
    }
}

pub(crate) fn as2(x: &ArrayD<f32>) -> ArrayView2<'_, f32> {
    x.view().into_dimensionality::<Ix2>().expect("2-D activation")
}

pub(crate) fn as4(x: &ArrayD<f32>) -> ArrayView4<'_, f32> {
    x.view().into_dimensionality::<Ix4>().expect("4-D activation")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, Array4};

    /// Small deterministic pseudo-random values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The taps output pixel (i, j) reads inside an `h × w` input: (ci, ki, kj, ii, jj).
    fn taps_of(conv: &Conv2d, [i, j]: [usize; 2], [h, w]: [usize; 2]) -> Vec<[usize; 5]> {
        let (_, c, kh, kw) = conv.weight.dim();
        let mut taps = Vec::new();
        for ci in 0..c {
            for ki in 0..kh {
                for kj in 0..kw {
                    let ii = (i * conv.stride[0] + ki) as isize - conv.padding[0] as isize;
                    let jj = (j * conv.stride[1] + kj) as isize - conv.padding[1] as isize;
                    if (0..h as isize).contains(&ii) && (0..w as isize).contains(&jj) {
                        taps.push([ci, ki, kj, ii as usize, jj as usize]);
                    }
                }
            }
        }
        taps
    }

    /// The definition: y[o, i, j] = b[o] + Σ w[o, c, ki, kj] · x[c, i·s + ki − p, j·s + kj − p].
    fn naive(conv: &Conv2d, x: &Array4<f32>) -> Array4<f32> {
        let (n, _, h, w) = x.dim();
        let o = conv.weight.dim().0;
        let [ho, wo] = conv.output_hw(h, w).unwrap();
        Array4::from_shape_fn((n, o, ho, wo), |(s, oc, i, j)| {
            let taps = taps_of(conv, [i, j], [h, w]);
            conv.bias[oc]
                + taps
                    .iter()
                    .map(|&[ci, ki, kj, ii, jj]| conv.weight[[oc, ci, ki, kj]] * x[[s, ci, ii, jj]])
                    .sum::<f32>()
        })
    }

    #[test]
    fn convolution_and_its_transpose_agree_with_the_definition_for_any_stride_and_padding() {
        for (stride, padding, k) in
            [([1, 1], [0, 0], [3, 3]), ([2, 2], [1, 1], [3, 3]), ([2, 1], [2, 0], [5, 3]), ([3, 3], [1, 2], [4, 5])]
        {
            let conv = Conv2d {
                weight: Array::from_shape_vec((4, 3, k[0], k[1]), values(12 * k[0] * k[1], 1)).unwrap(),
                bias: Array1::from(values(4, 2)),
                stride,
                padding,
            };
            let x = Array4::from_shape_vec((2, 3, 9, 8), values(2 * 3 * 72, 3)).unwrap();
            let y = conv.apply(x.view(), ParamMod::Identity, true);
            let expected = naive(&conv, &x);
            assert!((&y - &expected).iter().all(|d| d.abs() < 1e-5), "stride {stride:?} padding {padding:?}");
            // The transpose is the adjoint: <A x, g> = <x, Aᵀ g> (bias-free).
            let g = Array4::from_shape_vec(y.raw_dim(), values(y.len(), 4)).unwrap();
            let ax = conv.apply(x.view(), ParamMod::Identity, false);
            let atg = conv.apply_transposed(g.view(), ParamMod::Identity, [9, 8]);
            let (left, right) = ((&ax * &g).sum(), (&x * &atg).sum());
            assert!((left - right).abs() < 1e-3 * left.abs().max(1.0), "{left} vs {right}");
        }
    }

    /// wasm's convolution, in place at stride 1, for output widths that fill blocks of
    /// eight, of four, or neither, and output channels in fours or not, with and without padding.
    #[test]
    fn the_convolution_in_place_is_the_definition() {
        for (out_channels, k, padding, [h, w]) in [
            (8, [5, 5], [0, 0], [12, 12]), // the MNIST CNN's second layer: 8 × 8 outputs
            (5, [5, 5], [2, 2], [14, 14]), // 14 columns: 8 + 4 + 2
            (4, [3, 2], [1, 0], [9, 13]),  // 12 columns: 8 + 4
            (6, [1, 1], [0, 0], [3, 7]),   // 7 columns: 4 + 3
            (3, [2, 3], [0, 1], [4, 4]),   // 4 columns
        ] {
            let conv = Conv2d {
                weight: Array::from_shape_vec(
                    (out_channels, 3, k[0], k[1]),
                    values(out_channels * 3 * k[0] * k[1], 12),
                )
                .unwrap(),
                bias: Array1::from(values(out_channels, 13)),
                stride: [1, 1],
                padding,
            };
            let mut x = Array4::from_shape_vec((3, 3, h, w), values(3 * 3 * h * w, 14)).unwrap();
            x.index_axis_mut(ndarray::Axis(0), 1).fill(0.0); // gets only the bias
            let expected = naive(&conv, &x);
            for bias in [true, false] {
                let kernel = conv.weight.as_slice().unwrap();
                let ours = conv.convolve(x.view(), kernel, bias.then(|| conv.bias.view()), true);
                let expected = if bias {
                    expected.clone()
                } else {
                    naive(&Conv2d { bias: Array1::zeros(out_channels), ..conv.clone() }, &x)
                };
                let worst = (&ours - &expected).iter().fold(0.0f32, |m, d| m.max(d.abs()));
                assert!(worst < 1e-5, "{out_channels} channels, kernel {k:?}, padding {padding:?}, {h}×{w}: {worst}");
            }
        }
    }

    /// `Aᵀ g` by its definition: each output spreads its value over the inputs it read.
    fn naive_transpose(conv: &Conv2d, g: &Array4<f32>, [h, w]: [usize; 2]) -> Array4<f32> {
        let c = conv.weight.dim().1;
        let mut x = Array4::zeros((g.dim().0, c, h, w));
        for ((s, oc, i, j), &v) in g.indexed_iter() {
            for [ci, ki, kj, ii, jj] in taps_of(conv, [i, j], [h, w]) {
                x[[s, ci, ii, jj]] += conv.weight[[oc, ci, ki, kj]] * v;
            }
        }
        x
    }

    /// A sample with few nonzero outputs (as after max-pooling) is scattered, a dense
    /// one multiplied: both give the transpose's definition, whatever the stride and padding.
    #[test]
    fn the_transpose_of_sparse_and_dense_outputs_is_the_definition() {
        for (stride, padding, k) in
            [([1, 1], [0, 0], [5, 5]), ([2, 2], [1, 1], [3, 3]), ([2, 1], [2, 0], [5, 3]), ([1, 1], [1, 0], [2, 4])]
        {
            let conv = Conv2d {
                // 8 input channels: at least SCATTER_MIN_TAPS taps for every kernel here.
                weight: Array::from_shape_vec((4, 8, k[0], k[1]), values(32 * k[0] * k[1], 9)).unwrap(),
                bias: Array1::zeros(4),
                stride,
                padding,
            };
            let [ho, wo] = conv.output_hw(9, 8).unwrap();
            let mut g = Array4::from_shape_vec((3, 4, ho, wo), values(3 * 4 * ho * wo, 10)).unwrap();
            // Sample 0: one output in seven kept (scattered); sample 1: all (multiplied); sample 2: none.
            g.index_axis_mut(ndarray::Axis(0), 0)
                .iter_mut()
                .enumerate()
                .for_each(|(i, v)| *v *= (i % 7 == 3) as u8 as f32);
            g.index_axis_mut(ndarray::Axis(0), 2).fill(0.0);
            let ours = conv.apply_transposed(g.view(), ParamMod::Identity, [9, 8]);
            let expected = naive_transpose(&conv, &g, [9, 8]);
            let worst = (&ours - &expected).iter().fold(0.0f32, |m, d| m.max(d.abs()));
            assert!(worst < 1e-5, "stride {stride:?} padding {padding:?}: {worst}");
            assert!(ours.index_axis(ndarray::Axis(0), 0).iter().any(|&v| v != 0.0));
            assert!(ours.index_axis(ndarray::Axis(0), 2).iter().all(|&v| v == 0.0));
        }
    }

    #[test]
    fn dense_transpose_is_the_adjoint_and_modifiers_apply_to_weights_and_bias() {
        let dense = Dense::new(Array::from_shape_vec((5, 7), values(35, 5)).unwrap(), Array1::from(values(5, 6)));
        let x = Array::from_shape_vec((3, 7), values(21, 7)).unwrap();
        let y = dense.apply(x.view(), ParamMod::Identity, true);
        let expected = x.dot(&dense.weight().t()) + &dense.bias;
        assert!((&y - &expected).iter().all(|d| d.abs() < 1e-5));
        let positive = dense.apply(x.view(), ParamMod::Positive, true);
        let clamped = x.dot(&dense.weight().mapv(|w| w.max(0.0)).t()) + &dense.bias.mapv(|b| b.max(0.0));
        assert!((&positive - &clamped).iter().all(|d| d.abs() < 1e-5));
        let g = Array::from_shape_vec((3, 5), values(15, 8)).unwrap();
        let left = (&dense.apply(x.view(), ParamMod::Identity, false) * &g).sum();
        let right = (&x * &dense.apply_transposed(g.view(), ParamMod::Identity)).sum();
        assert!((left - right).abs() < 1e-4);
    }

    #[test]
    fn the_blocked_matrix_product_handles_every_edge() {
        for [m, k, n] in [[1, 1, 1], [4, 3, 8], [5, 7, 11], [9, 2, 17], [24, 300, 64]] {
            let (a, b) = (values(m * k, 9), values(k * n, 10));
            let mut out = values(m * n, 11);
            let expected: Vec<f32> = (0..m * n)
                .map(|ij| out[ij] + (0..k).map(|r| a[(ij / n) * k + r] * b[r * n + ij % n]).sum::<f32>())
                .collect();
            // Both kernels: the hand-written one (wasm's) and the one this build uses.
            let mut native = out.clone();
            blocked_matmul_add(&a, &b, &mut out, [m, k, n]);
            matmul_add(&a, &b, &mut native, [m, k, n]);
            assert!(out.iter().zip(&expected).all(|(x, y)| (x - y).abs() < 1e-4), "{m}×{k}×{n}");
            assert!(native.iter().zip(&expected).all(|(x, y)| (x - y).abs() < 1e-4), "{m}×{k}×{n}");
        }
    }

    #[test]
    fn pooling_with_padding_and_stride() {
        let x = Array4::from_shape_vec((1, 1, 4, 5), (0..20).map(|v| v as f32).collect()).unwrap();
        let pool = Pool2d { kernel: [3, 3], stride: [2, 2], padding: [1, 1] };
        // Windows centred on rows 0, 2 and columns 0, 2, 4 (padding never wins the max).
        assert_eq!(pool.max(x.view()).into_raw_vec_and_offset().0, vec![6.0, 8.0, 9.0, 16.0, 18.0, 19.0]);
        // Average pooling divides by the full window, padding included.
        assert_eq!(pool.average(x.view())[[0, 0, 0, 0]], (0.0 + 1.0 + 5.0 + 6.0) / 9.0);
        let g = Array4::from_elem((1, 1, 2, 3), 1.0);
        let routed = pool.route_to_max(x.view(), g.view());
        assert_eq!(routed.sum(), 6.0);
        assert_eq!(routed[[0, 0, 1, 1]], 1.0);
        // Each window spreads its 1 over nine cells, of which only those inside count.
        let spread = pool.spread_evenly(x.view(), g.view()).sum();
        assert!((spread - pool_area_inside(&pool, 4, 5) / 9.0).abs() < 1e-6, "{spread}");
    }

    /// The 2×2, stride-2 path gives what the tap tables give, ties and odd sizes included.
    #[test]
    fn halving_pools_as_the_tap_tables() {
        let pool = Pool2d { kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
        for (shape, seed) in [((2, 3, 6, 6), 1), ((1, 2, 7, 5), 2), ((3, 1, 2, 9), 3), ((1, 1, 3, 2), 4)] {
            let (n, c, h, w) = shape;
            // Coarse values, a third of them 0 (as after ReLU): many ties within a window.
            let coarse = values(n * c * h * w, seed).iter().map(|v| (v * 2.0).round().max(0.0)).collect();
            let x = Array4::from_shape_vec(shape, coarse).unwrap();
            let g = Array4::from_shape_vec((n, c, h / 2, w / 2), values(n * c * (h / 2) * (w / 2), seed + 10)).unwrap();
            let (taps, max_taps) = (pool.taps([h, w]), pool.taps_for_max([h, w]));
            let generic_max = pool.pool(x.view(), &max_taps, |plane, window| {
                window
                    .iter()
                    .fold(f32::NEG_INFINITY, |best, &t| if plane[t as usize] > best { plane[t as usize] } else { best })
            });
            assert_eq!(pool.max(x.view()), generic_max, "{shape:?}");
            let generic_route = pool.scatter(x.view(), g.view(), &taps, |plane, window, value, dst| {
                let (mut best, mut at) = (f32::NEG_INFINITY, window[0] as usize);
                for &t in window {
                    if plane[t as usize] > best {
                        (best, at) = (plane[t as usize], t as usize);
                    }
                }
                dst[at] += value;
            });
            assert_eq!(pool.route_to_max(x.view(), g.view()), generic_route, "{shape:?}");
        }
    }

    /// Window cells that fall inside a 4×5 input, summed over all six windows.
    fn pool_area_inside(pool: &Pool2d, h: usize, w: usize) -> f32 {
        let (taps, _) = pool.taps([h, w]);
        taps.iter().filter(|&&t| t != PADDING).count() as f32
    }

    /// PyTorch's output size: ⌊(H + 2p − k) / s⌋ + 1, or nothing when the kernel does not fit.
    #[test]
    fn window_geometry_follows_pytorch() {
        let pool = |k: usize, s: usize, p: usize| Pool2d { kernel: [k, k], stride: [s, s], padding: [p, p] };
        assert_eq!(pool(2, 2, 0).output_hw(28, 28), Some([14, 14]));
        assert_eq!(pool(3, 2, 1).output_hw(7, 4), Some([4, 2]));
        // A kernel exactly as large as the (padded) input fits once.
        assert_eq!(pool(5, 1, 0).output_hw(5, 5), Some([1, 1]));
        assert_eq!(pool(5, 3, 1).output_hw(3, 4), Some([1, 1]));
        assert_eq!(pool(5, 1, 0).output_hw(4, 9), None);
        assert_eq!(pool(3, 0, 0).output_hw(5, 5), None, "stride 0");
        assert_eq!(pool(0, 1, 0).output_hw(5, 5), None, "kernel 0");
        let conv =
            Conv2d { weight: Array4::zeros((2, 1, 5, 3)), bias: Array1::zeros(2), stride: [2, 1], padding: [1, 0] };
        // Rows: ⌊(9 + 2 − 5) / 2⌋ + 1 = 4; columns: ⌊(6 − 3) / 1⌋ + 1 = 4.
        assert_eq!(conv.output_hw(9, 6), Some([4, 4]));
        assert_eq!(conv.output_hw(2, 6), None);
    }

    #[test]
    fn layer_kinds_shapes_counts_and_descriptions() {
        let dense = Layer::Dense(Dense::new(Array2::zeros((3, 4)), Array1::zeros(3)));
        let weight = Array4::zeros((6, 2, 5, 3));
        let conv = Layer::Conv2d(Conv2d { weight, bias: Array1::zeros(6), stride: [2, 2], padding: [1, 1] });
        let window = Pool2d { kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
        let (max, avg) = (Layer::MaxPool2d(window), Layer::AvgPool2d(window));
        let all = [&dense, &conv, &max, &avg, &Layer::Relu, &Layer::Flatten];
        let kinds: Vec<&str> = all.iter().map(|l| l.kind()).collect();
        assert_eq!(kinds, ["Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "Flatten"]);
        // Weights and biases: 3·4 + 3, 6·2·5·3 + 6.
        let counts: Vec<usize> = all.iter().map(|l| l.parameter_count()).collect();
        assert_eq!(counts, [15, 186, 0, 0, 0, 0]);
        assert_eq!(dense.output_shape(&[4]), Some(vec![3]));
        assert_eq!(dense.output_shape(&[5]), None);
        assert_eq!(dense.output_shape(&[1, 2, 2]), None);
        // ⌊(9 + 2 − 5) / 2⌋ + 1 = 4 rows, ⌊(8 + 2 − 3) / 2⌋ + 1 = 4 columns.
        assert_eq!(conv.output_shape(&[2, 9, 8]), Some(vec![6, 4, 4]));
        assert_eq!(conv.output_shape(&[3, 9, 8]), None, "wrong channel count");
        assert_eq!(conv.output_shape(&[2, 1, 8]), None, "too small");
        assert_eq!(max.output_shape(&[3, 5, 4]), Some(vec![3, 2, 2]));
        assert_eq!(avg.output_shape(&[3, 6, 6]), Some(vec![3, 3, 3]));
        assert_eq!(max.output_shape(&[4]), None);
        assert_eq!(Layer::Relu.output_shape(&[3, 5, 4]), Some(vec![3, 5, 4]));
        assert_eq!(Layer::Flatten.output_shape(&[3, 5, 4]), Some(vec![60]));
        assert_eq!(dense.describe(), "Linear(4→3)");
        assert_eq!(conv.describe(), "Conv2d(2→6, 5×3, stride 2, padding 1)");
        assert_eq!(max.describe(), "MaxPool2d(2×2, stride 2)");
        assert_eq!(avg.describe(), "AvgPool2d(2×2, stride 2)");
        assert_eq!(Layer::Relu.describe(), "ReLU");
        let biased: Vec<bool> = all.iter().map(|l| l.bias().is_some()).collect();
        assert_eq!(biased, [true, true, false, false, false, false]);
    }

    #[test]
    fn flatten_keeps_each_sample_in_row_major_order() {
        let x = ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 2, 1, 3]), (0..12).map(|v| v as f32).collect()).unwrap();
        let y = Layer::Flatten.forward(&x);
        assert_eq!(y.shape(), &[2, 6]);
        assert_eq!(y.iter().copied().collect::<Vec<_>>(), (0..12).map(|v| v as f32).collect::<Vec<_>>());
    }

    #[test]
    fn max_pooling_routes_each_window_to_its_first_maximum() {
        // Ties go to the first maximum in row-major order, as PyTorch's max_pool2d
        // records its index: every window here is all ties.
        let x = Array4::from_elem((1, 1, 4, 4), 0.5f32);
        let pool = Pool2d { kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
        let g = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let routed = pool.route_to_max(x.view(), g.view());
        let expected = [1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(routed.iter().copied().collect::<Vec<_>>(), expected);
        // A tie between a later and an earlier cell, after a smaller first one.
        let x = Array4::from_shape_vec((1, 1, 2, 2), vec![0.0, 2.0, 2.0, 1.0]).unwrap();
        let one = Pool2d { kernel: [2, 2], stride: [1, 1], padding: [0, 0] };
        let routed = one.route_to_max(x.view(), Array4::from_elem((1, 1, 1, 1), 5.0).view());
        assert_eq!(routed.iter().copied().collect::<Vec<_>>(), [0.0, 5.0, 0.0, 0.0]);
    }

    #[test]
    fn the_blocked_matrix_product_handles_fewer_rows_or_columns_than_a_block() {
        // Fewer than four rows (a convolution with one to three output channels) beside
        // full blocks of columns, and full blocks of rows beside fewer than eight columns.
        for [m, k, n] in [[1, 2, 8], [2, 3, 9], [3, 5, 16], [4, 3, 5], [8, 2, 1], [6, 4, 7]] {
            let (a, b) = (values(m * k, 12), values(k * n, 13));
            let mut out = vec![0.0; m * n];
            blocked_matmul_add(&a, &b, &mut out, [m, k, n]);
            for i in 0..m {
                for j in 0..n {
                    let expected: f32 = (0..k).map(|r| a[i * k + r] * b[r * n + j]).sum();
                    assert!((out[i * n + j] - expected).abs() < 1e-5, "{m}×{k}×{n} at ({i}, {j})");
                }
            }
        }
    }
}
