//! Per-log-index records kept from some index on: what the safety monitor remembers of a log
//! whose beginning every node has compacted away, so that a long run's memory stays bounded.

use std::collections::VecDeque;

/// Values for log indexes `base + 1 ..= base + len`; those at or below `base` were dropped.
#[derive(Clone, Debug, Default)]
pub struct LogTail<T> {
    base: u64,
    items: VecDeque<T>,
}

impl<T: Default> LogTail<T> {
    /// The highest index dropped (0: none).
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The highest index held (`base` if none).
    pub fn last_index(&self) -> u64 {
        self.base + self.items.len() as u64
    }

    pub fn get(&self, index: u64) -> Option<&T> {
        let i = index.checked_sub(self.base + 1)?;
        self.items.get(usize::try_from(i).ok()?)
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    /// The slot of `index`, grown with defaults as needed; None at or below `base`.
    pub fn slot(&mut self, index: u64) -> Option<&mut T> {
        let i = usize::try_from(index.checked_sub(self.base + 1)?).ok()?;
        if self.items.len() <= i {
            self.items.resize_with(i + 1, T::default);
        }
        self.items.get_mut(i)
    }

    /// Keep only the indexes below `index`.
    pub fn truncate_from(&mut self, index: u64) {
        let keep = index.saturating_sub(self.base + 1);
        self.items
            .truncate(usize::try_from(keep).unwrap_or(usize::MAX));
    }

    pub fn push(&mut self, value: T) {
        self.items.push_back(value);
    }

    /// Drop every index up to `index`; the base moves there even past what was held.
    pub fn drop_through(&mut self, index: u64) {
        if index <= self.base {
            return;
        }
        let n = usize::try_from(index - self.base).unwrap_or(usize::MAX);
        self.items.drain(..n.min(self.items.len()));
        self.base = index;
    }

    /// Held values with their indexes, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        (self.base + 1..).zip(self.items.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Against a plain vector indexed from 1 that never drops anything: the tail answers
    /// alike for every index above its base and nothing at or below it.
    #[test]
    fn a_tail_answers_as_the_whole_log_above_its_base() {
        let mut tail = LogTail::<u64>::default();
        let mut whole: Vec<u64> = Vec::new();
        let mut x = 11u64;
        for step in 0..2_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = x >> 33;
            match r % 5 {
                0 | 1 => {
                    tail.push(step);
                    whole.push(step);
                }
                2 => {
                    let index = r % (whole.len() as u64 + 3);
                    if let Some(s) = tail.slot(index) {
                        *s = step;
                        let i = index as usize - 1;
                        if whole.len() <= i {
                            whole.resize(i + 1, 0);
                        }
                        whole[i] = step;
                    } else {
                        assert!(index <= tail.base());
                    }
                }
                3 => {
                    let index = tail.base() + r % 4 + 1;
                    tail.truncate_from(index);
                    whole.truncate((index as usize - 1).max(tail.base() as usize));
                }
                _ => {
                    tail.drop_through(tail.base() + r % 3);
                    let base = tail.base() as usize;
                    if whole.len() < base {
                        whole.resize(base, 0);
                    }
                }
            }
            assert_eq!(tail.last_index(), whole.len() as u64);
            for index in 1..=whole.len() as u64 + 2 {
                let want = (index > tail.base())
                    .then(|| whole.get(index as usize - 1))
                    .flatten();
                assert_eq!(tail.get(index), want, "step {step}, index {index}");
            }
            let held: Vec<(u64, u64)> = tail.iter().map(|(i, &v)| (i, v)).collect();
            let want: Vec<(u64, u64)> = (tail.base() + 1..=whole.len() as u64)
                .map(|i| (i, whole[i as usize - 1]))
                .collect();
            assert_eq!(held, want);
        }
    }
}
