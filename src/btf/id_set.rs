//! A set of type ids as a bitmap with rank support: small enough to stay
//! in cache for a whole base (100,000 ids take 12.5 KB plus 6 KB of
//! ranks), and it numbers its members in id order without a scan.

use crate::btf::TypeId;

#[derive(Debug, Clone)]
pub struct IdSet {
    bits: Vec<u64>,
    /// Members in the words before each word.
    ranks: Vec<u32>,
}

impl IdSet {
    /// The set of `ids` (each below `end`), which need not be sorted.
    pub fn new(end: TypeId, ids: &[TypeId]) -> Self {
        let mut bits = vec![0u64; (end as usize).div_ceil(64)];
        for &id in ids {
            bits[id as usize / 64] |= 1 << (id % 64);
        }
        Self::from_bits(bits)
    }

    /// The set of the ids whose bit is set in `bits` (id `i` is bit
    /// `i % 64` of `bits[i / 64]`).
    pub fn from_bits(bits: Vec<u64>) -> Self {
        let mut ranks = Vec::with_capacity(bits.len());
        let mut total = 0;
        for w in &bits {
            ranks.push(total);
            total += w.count_ones();
        }
        IdSet { bits, ranks }
    }

    /// Ids this set can hold: `0..end()` (rounded up to a whole word).
    pub fn end(&self) -> TypeId {
        (self.bits.len() * 64) as TypeId
    }

    #[inline]
    pub fn contains(&self, id: TypeId) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// How many members are below `id`.
    #[inline]
    pub fn rank(&self, id: TypeId) -> u32 {
        let (word, bit) = (id as usize / 64, id % 64);
        match self.bits.get(word) {
            Some(w) => self.ranks[word] + (w & ((1u64 << bit) - 1)).count_ones(),
            None => self.len() as u32,
        }
    }

    pub fn len(&self) -> usize {
        match (self.ranks.last(), self.bits.last()) {
            (Some(r), Some(w)) => (r + w.count_ones()) as usize,
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members in id order.
    pub fn iter(&self) -> impl Iterator<Item = TypeId> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &w)| {
            let mut rest = w;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    (i * 64) as TypeId + bit
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_members_in_id_order() {
        let set = IdSet::new(200, &[130, 3, 64, 63, 199]);
        assert_eq!(set.iter().collect::<Vec<_>>(), [3, 63, 64, 130, 199]);
        assert_eq!(set.len(), 5);
        assert!(set.contains(64) && !set.contains(65) && !set.contains(100_000));
        assert_eq!(
            [0, 3, 4, 63, 64, 65, 131, 199, 200].map(|id| set.rank(id)),
            [0, 0, 1, 1, 2, 3, 4, 4, 5]
        );
        assert!(IdSet::new(10, &[]).is_empty());
    }
}
