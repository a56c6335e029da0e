//! An intrusive singly linked list whose links are `Cell`s inside the elements.
//!
//! Capsules that multiplex a resource (virtual alarms, for example) keep their clients in a
//! list without allocating: each client embeds a `ListLink` and the list threads through them.
//!
//! ```
//! use kernel::list::{List, ListLink, ListNode};
//! struct Client<'a> { id: u32, next: ListLink<'a, Client<'a>> }
//! impl<'a> ListNode<'a, Client<'a>> for Client<'a> {
//!     fn next(&'a self) -> &'a ListLink<'a, Client<'a>> { &self.next }
//! }
//! let a = Client { id: 1, next: ListLink::empty() };
//! let b = Client { id: 2, next: ListLink::empty() };
//! let list = List::new();
//! list.push_head(&a);
//! list.push_head(&b);
//! let ids: u32 = list.iter().map(|c| c.id).sum();
//! assert_eq!(ids, 3);
//! ```

use core::cell::Cell;

/// The link one element holds to the next.
pub struct ListLink<'a, T: 'a + ?Sized>(Cell<Option<&'a T>>);

impl<'a, T: ?Sized> ListLink<'a, T> {
    /// An unlinked link.
    pub const fn empty() -> Self {
        ListLink(Cell::new(None))
    }
}

/// Implemented by elements: where their link lives.
pub trait ListNode<'a, T: ?Sized> {
    /// This element's link.
    fn next(&'a self) -> &'a ListLink<'a, T>;
}

/// The list head.
pub struct List<'a, T: 'a + ?Sized + ListNode<'a, T>> {
    head: ListLink<'a, T>,
}

/// Iterator over a list.
pub struct ListIterator<'a, T: 'a + ?Sized + ListNode<'a, T>> {
    cur: Option<&'a T>,
}

impl<'a, T: ?Sized + ListNode<'a, T>> Iterator for ListIterator<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        let c = self.cur?;
        self.cur = c.next().0.get();
        Some(c)
    }
}

impl<'a, T: ?Sized + ListNode<'a, T>> List<'a, T> {
    /// An empty list.
    pub const fn new() -> Self {
        List {
            head: ListLink(Cell::new(None)),
        }
    }
    /// The first element.
    pub fn head(&self) -> Option<&'a T> {
        self.head.0.get()
    }
    /// Inserts at the front.
    pub fn push_head(&self, node: &'a T) {
        node.next().0.set(self.head.0.get());
        self.head.0.set(Some(node));
    }
    /// Inserts at the back.
    pub fn push_tail(&self, node: &'a T) {
        node.next().0.set(None);
        match self.iter().last() {
            Some(last) => last.next().0.set(Some(node)),
            None => self.head.0.set(Some(node)),
        }
    }
    /// Removes and returns the first element.
    pub fn pop_head(&self) -> Option<&'a T> {
        let h = self.head.0.get()?;
        self.head.0.set(h.next().0.get());
        h.next().0.set(None);
        Some(h)
    }
    /// Iterates from the head.
    pub fn iter(&self) -> ListIterator<'a, T> {
        ListIterator {
            cur: self.head.0.get(),
        }
    }
}

impl<'a, T: ?Sized + ListNode<'a, T>> Default for List<'a, T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    struct N<'a> {
        v: u32,
        link: ListLink<'a, N<'a>>,
    }
    impl<'a> ListNode<'a, N<'a>> for N<'a> {
        fn next(&'a self) -> &'a ListLink<'a, N<'a>> {
            &self.link
        }
    }
    fn n<'a>(v: u32) -> N<'a> {
        N {
            v,
            link: ListLink::empty(),
        }
    }

    #[test]
    fn push_pop_iterate() {
        let (a, b, c) = (n(1), n(2), n(3));
        let l = List::new();
        assert!(l.head().is_none());
        l.push_tail(&a);
        l.push_tail(&b);
        l.push_head(&c);
        let mut order = [0u32; 3];
        for (i, x) in l.iter().enumerate() {
            order[i] = x.v;
        }
        assert_eq!(order, [3, 1, 2]);
        assert_eq!(l.pop_head().map(|x| x.v), Some(3));
        assert_eq!(l.iter().count(), 2);
        assert_eq!(l.pop_head().map(|x| x.v), Some(1));
        assert_eq!(l.pop_head().map(|x| x.v), Some(2));
        assert!(l.pop_head().is_none());
    }
}
