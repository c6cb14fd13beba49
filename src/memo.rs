//! Answers remembered for the life of a process: pure functions of a string
//! (and a small number) that the evaluator asks again and again, such as
//! what `arn:aws:ec2:*:*:instance/*` covers of an EC2 resource type.
//!
//! Each thread first looks in its own table, with no lock on that path; on a
//! miss it looks in one table shared by every thread, so a folder linted on
//! every core works each answer out once rather than once per core. Both
//! tables are bounded (a full one is emptied), so a long-lived Lambda cannot
//! grow them.

use std::cell::RefCell;
use std::hash::Hasher;
use std::sync::RwLock;
use std::thread::LocalKey;

type Table<V> = hashbrown::HashTable<(Box<str>, u16, V)>;

/// A thread's own table; declare memos with [`memo!`](crate::memo!).
pub(crate) type Local<V> = RefCell<Table<V>>;

pub(crate) struct Memo<V: 'static> {
    local: &'static LocalKey<Local<V>>,
    shared: RwLock<Table<V>>,
    limit: usize,
}

/// Declares a process-wide [`Memo`] of at most `limit` answers per table:
/// `memo!(static SEEN: Memo<Scope> = limit 50_000);`.
#[macro_export]
#[doc(hidden)]
macro_rules! memo {
    ($vis:vis static $name:ident: Memo<$v:ty> = limit $limit:expr;) => {
        $vis static $name: $crate::memo::Memo<$v> = {
            thread_local! {
                static LOCAL: $crate::memo::Local<$v> =
                    const { std::cell::RefCell::new(hashbrown::HashTable::new()) };
            }
            $crate::memo::Memo::new(&LOCAL, $limit)
        };
    };
}

impl<V: Clone + 'static> Memo<V> {
    pub(crate) const fn new(local: &'static LocalKey<Local<V>>, limit: usize) -> Self {
        Memo {
            local,
            shared: RwLock::new(hashbrown::HashTable::new()),
            limit,
        }
    }

    /// The answer for (`key`, `n`): remembered, or `compute`d (outside any
    /// lock) and remembered.
    pub(crate) fn get_or(&self, key: &str, n: u16, compute: impl FnOnce() -> V) -> V {
        let hash = hash_of(key, n);
        let same = |e: &(Box<str>, u16, V)| e.1 == n && *e.0 == *key;
        let mine = self
            .local
            .with(|t| t.borrow().find(hash, same).map(|e| e.2.clone()));
        if let Some(v) = mine {
            return v;
        }
        // A poisoned lock only means another thread panicked mid-insert;
        // the table is still a valid cache, so it is used as it is.
        let shared = match self.shared.read() {
            Ok(t) => t.find(hash, same).map(|e| e.2.clone()),
            Err(poisoned) => poisoned.get_ref().find(hash, same).map(|e| e.2.clone()),
        };
        let value = match shared {
            Some(v) => v,
            None => {
                let v = compute();
                let mut t = self.shared.write().unwrap_or_else(|p| p.into_inner());
                if t.find(hash, same).is_none() {
                    insert(&mut t, hash, key, n, v.clone(), self.limit);
                }
                v
            }
        };
        self.local.with(|t| {
            insert(&mut t.borrow_mut(), hash, key, n, value.clone(), self.limit);
        });
        value
    }
}

fn insert<V>(t: &mut Table<V>, hash: u64, key: &str, n: u16, value: V, limit: usize) {
    if t.len() >= limit {
        t.clear();
    }
    t.insert_unique(hash, (key.into(), n, value), |e| hash_of(&e.0, e.1));
}

fn hash_of(key: &str, n: u16) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(key.as_bytes());
    h.write_u16(n);
    h.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);
    crate::memo!(static SQUARES: Memo<u64> = limit 3;);

    fn square(key: &str, n: u16) -> u64 {
        SQUARES.get_or(key, n, || {
            CALLS.fetch_add(1, Ordering::SeqCst);
            u64::from(n) * u64::from(n) + key.len() as u64
        })
    }

    /// One computation per key across threads; keys differ by string and
    /// number; a full table is emptied, never wrong.
    #[test]
    fn answers_are_computed_once_per_process_and_stay_right() {
        assert_eq!(square("a", 2), 5);
        assert_eq!(square("a", 3), 10);
        assert_eq!(square("bb", 2), 6);
        let before = CALLS.load(Ordering::SeqCst);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    assert_eq!(square("a", 2), 5);
                    assert_eq!(square("bb", 2), 6);
                });
            }
        });
        assert_eq!(
            CALLS.load(Ordering::SeqCst),
            before,
            "other threads reuse the answers"
        );
        // A fourth key empties the full tables; answers stay right.
        assert_eq!(square("ccc", 1), 4);
        assert_eq!(square("a", 2), 5);
    }
}
