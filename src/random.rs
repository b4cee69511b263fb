//! Seeded random numbers, the same natively and in wasm: SmoothGrad's noise, the
//! random removal order, ROAD's imputation noise. SplitMix64 (Vigna) for uniform
//! numbers and the Box–Muller transform for normal ones: small, fast, reproducible.

pub struct Random {
    state: u64,
    spare: Option<f64>,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random { state: seed, spare: None }
    }

    /// A generator for one of many streams of `seed` (an input's index, a step): the
    /// streams do not depend on the order in which they are used.
    pub fn stream(seed: u64, stream: &[u64]) -> Random {
        let mut state = seed;
        for &s in stream {
            state = Random::new(state ^ s.wrapping_mul(0xd1b5_4a32_d192_ed03)).next_u64();
        }
        Random::new(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let angle = std::f64::consts::TAU * self.uniform();
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }

    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift (bias below 2⁻³² here).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Random;

    #[test]
    fn shuffles_are_permutations_and_streams_are_independent_of_use_order() {
        let mut items: Vec<usize> = (0..100).collect();
        Random::new(7).shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(items, sorted, "a shuffle of 100 items that leaves them in order");
        // Every position is equally likely for an item: item 0 over 20,000 shuffles of 4.
        let mut counts = [0usize; 4];
        let mut random = Random::new(1);
        for _ in 0..20_000 {
            let mut four = [0, 1, 2, 3];
            random.shuffle(&mut four);
            counts[four.iter().position(|&v| v == 0).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| (4_500..5_500).contains(&c)), "{counts:?}");
        let (a, b) = (Random::stream(3, &[10, 2]).next_u64(), Random::stream(3, &[10, 2]).next_u64());
        assert_eq!(a, b);
        assert_ne!(a, Random::stream(3, &[2, 10]).next_u64());
        assert_ne!(a, Random::stream(4, &[10, 2]).next_u64());
    }
}
