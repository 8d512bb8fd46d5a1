//! A growable set of positions with "first member at or after p" in a few word operations:
//! the linearizability search walks the events it has not placed yet in time order, and a long
//! session has hundreds of thousands of placed ones to skip. Levels of 64-bit words, each bit
//! of a level saying whether the word below it has any member.

#[derive(Default)]
pub struct OpenSet {
    /// `levels[0]` holds the members; `levels[i + 1]` bit w is set iff word w of `levels[i]`
    /// is not zero. The top level is a single word.
    levels: Vec<Vec<u64>>,
    len: usize,
}

impl OpenSet {
    /// Add position `len()`, a member or not; returns it.
    pub fn push(&mut self, member: bool) -> usize {
        let pos = self.len;
        self.len += 1;
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let mut words = self.len.div_ceil(64);
        let mut level = 0;
        loop {
            if self.levels[level].len() < words {
                self.levels[level].resize(words, 0);
            }
            if words > 1 && self.levels.len() == level + 1 {
                // A new top level, summarising the one below as it stands.
                let mut above = vec![0u64; words.div_ceil(64)];
                for (w, &word) in self.levels[level].iter().enumerate() {
                    if word != 0 {
                        above[w / 64] |= 1 << (w % 64);
                    }
                }
                self.levels.push(above);
            }
            if words == 1 {
                break;
            }
            words = words.div_ceil(64);
            level += 1;
        }
        if member {
            self.insert(pos);
        }
        pos
    }

    #[cfg(test)]
    fn contains(&self, pos: usize) -> bool {
        pos < self.len && self.levels[0][pos / 64] >> (pos % 64) & 1 == 1
    }

    pub fn insert(&mut self, pos: usize) {
        assert!(pos < self.len, "position {pos} of {}", self.len);
        let mut at = pos;
        for level in &mut self.levels {
            let word = &mut level[at / 64];
            let was_empty = *word == 0;
            *word |= 1 << (at % 64);
            if !was_empty {
                break;
            }
            at /= 64;
        }
    }

    pub fn remove(&mut self, pos: usize) {
        assert!(pos < self.len, "position {pos} of {}", self.len);
        let mut at = pos;
        for level in &mut self.levels {
            let word = &mut level[at / 64];
            *word &= !(1 << (at % 64));
            if *word != 0 {
                break;
            }
            at /= 64;
        }
    }

    /// The first member at or after `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        if pos >= self.len {
            return None;
        }
        // Climb while the rest of the word at this level is empty, then descend to the first
        // member below the word found.
        let mut at = pos;
        let mut level = 0;
        let found = loop {
            let words = &self.levels[level];
            let rest = words[at / 64] & (!0u64 << (at % 64));
            if rest != 0 {
                break (at / 64) * 64 + rest.trailing_zeros() as usize;
            }
            // Nothing left in this word: look from the next word on, one level up.
            let next_word = at / 64 + 1;
            if level + 1 == self.levels.len() || next_word >= words.len() {
                return None;
            }
            at = next_word;
            level += 1;
        };
        let mut at = found;
        while level > 0 {
            level -= 1;
            at = at * 64 + self.levels[level][at].trailing_zeros() as usize;
        }
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng as _};
    use std::collections::BTreeSet;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Against an ordered set, over random growth, inserts, removals and lookups across the
    /// word and level boundaries (up to three levels).
    #[test]
    fn agrees_with_an_ordered_set() {
        let mut rng = crate::engine::Rng::seed_from_u64(3);
        for round in 0..20 {
            let (mut set, mut model) = (OpenSet::default(), BTreeSet::new());
            let size = [5, 64, 65, 4096, 4097, 9000][round % 6];
            for _ in 0..size {
                let member = rng.gen_bool(0.02);
                let p = set.push(member);
                if member {
                    model.insert(p);
                }
            }
            for _ in 0..3000 {
                let p = rng.gen_range(0..size);
                match rng.gen_range(0..3) {
                    0 => {
                        set.insert(p);
                        model.insert(p);
                    }
                    1 => {
                        set.remove(p);
                        model.remove(&p);
                    }
                    _ => {}
                }
                let q = rng.gen_range(0..size + 2);
                assert_eq!(set.next(q), model.range(q..).next().copied(), "size {size}");
                assert_eq!(set.contains(p), model.contains(&p));
            }
            assert_eq!(set.next(0), model.first().copied());
        }
    }
}
