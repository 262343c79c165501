//! Prepared statements and portals by name, the unnamed one ("") apart.
//!
//! Most clients use only the unnamed statement and portal (libpq's
//! `PQexecParams`, pgbench -M prepared's portals, most drivers), and look them up
//! three times per statement (Bind, Describe, Execute): kept outside the map, the
//! unnamed one is found with no hash and no key comparison.

use rustc_hash::FxHashMap;

/// Values by name; the unnamed one ("") in a field of its own. FxHash, not
/// SipHash, for the named ones: the names come from this connection's own client,
/// so flooding the map only slows that client down.
pub struct ByName<V> {
    unnamed: Option<V>,
    named: FxHashMap<String, V>,
}

impl<V> Default for ByName<V> {
    fn default() -> Self {
        ByName {
            unnamed: None,
            named: FxHashMap::default(),
        }
    }
}

impl<V> ByName<V> {
    pub fn get(&self, name: &str) -> Option<&V> {
        if name.is_empty() {
            self.unnamed.as_ref()
        } else {
            self.named.get(name)
        }
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        if name.is_empty() {
            self.unnamed.as_mut()
        } else {
            self.named.get_mut(name)
        }
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Keeps `value` under `name`, replacing what was there.
    pub fn insert(&mut self, name: String, value: V) {
        if name.is_empty() {
            self.unnamed = Some(value);
        } else {
            self.named.insert(name, value);
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<V> {
        if name.is_empty() {
            self.unnamed.take()
        } else {
            self.named.remove(name)
        }
    }

    pub fn clear(&mut self) {
        self.unnamed = None;
        self.named.clear();
    }

    /// Keeps only the values whose name `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        if !keep("") {
            self.unnamed = None;
        }
        self.named.retain(|name, _| keep(name));
    }
}

#[cfg(test)]
mod tests {
    use super::ByName;

    /// The unnamed value and the named ones are kept, replaced, retained and
    /// removed alike.
    #[test]
    fn the_unnamed_value_behaves_as_a_named_one() {
        let mut map = ByName::default();
        map.insert(String::new(), 1);
        map.insert("a".into(), 2);
        map.insert(String::new(), 3);
        assert_eq!(
            (map.get(""), map.get("a"), map.get("b")),
            (Some(&3), Some(&2), None)
        );
        *map.get_mut("").expect("the unnamed value") += 1;
        assert_eq!(map.get(""), Some(&4));
        map.retain(|name| name == "a");
        assert!(!map.contains_key("") && map.contains_key("a"));
        map.insert(String::new(), 5);
        map.retain(str::is_empty);
        assert!(map.contains_key("") && !map.contains_key("a"));
        assert_eq!(map.remove(""), Some(5));
        assert_eq!(map.remove(""), None);
        map.insert("b".into(), 6);
        map.clear();
        assert!(!map.contains_key("b"));
    }
}
