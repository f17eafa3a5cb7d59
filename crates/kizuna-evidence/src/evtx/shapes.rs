//! Template shapes remembered while a file is read: per chunk ([`Templates`]) and across
//! its chunks ([`ShapeCache`]). The pre-filter and the decoder both look shapes up here.

use std::collections::HashMap;
use std::rc::Rc;

use super::binxml::{Shape, resolve_definition};

/// Per-chunk memory of template shapes, keyed by definition offset as evtx keys them. A
/// chunk holds a few dozen templates at most: a list beats hashing.
pub(super) struct Templates<'c> {
    shapes: Vec<(usize, Rc<Shape>)>,
    file: &'c mut ShapeCache,
}

impl<'c> Templates<'c> {
    /// An empty memory for one chunk over the file's `cache`.
    pub fn new(file: &'c mut ShapeCache) -> Templates<'c> {
        Templates {
            shapes: Vec::new(),
            file,
        }
    }

    pub fn shape(&mut self, chunk: &[u8], def: usize) -> Rc<Shape> {
        if let Some((_, s)) = self.shapes.iter().find(|(at, _)| *at == def) {
            return s.clone();
        }
        let shape = self.file.shape(chunk, def);
        self.shapes.push((def, shape.clone()));
        shape
    }
}

/// Shapes more than any file needs; past it the memory starts over.
const MAX_SHAPES: usize = 4096;

/// Shapes already built from earlier chunks of a file, by resolved definition. Windows
/// writes each template again into every chunk that uses it, and building a shape (names
/// decoded, elements laid out) cost more than a third of reading a file before this cache.
/// A worker keeps one for all its chunks.
#[derive(Default)]
pub(super) struct ShapeCache {
    /// By CRC32 of the resolved definition, then compared whole.
    by_hash: HashMap<u32, Vec<KnownShape>>,
    len: usize,
    resolved: Vec<u8>,
}

/// A resolved definition and its shape.
type KnownShape = (Box<[u8]>, Rc<Shape>);

impl ShapeCache {
    /// Shapes held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The shape of the definition at chunk offset `def`.
    pub(super) fn shape(&mut self, chunk: &[u8], def: usize) -> Rc<Shape> {
        if resolve_definition(chunk, def, &mut self.resolved).is_none() {
            return Rc::new(Shape::Unknown);
        }
        let hash = crc32fast::hash(&self.resolved);
        let known = self.by_hash.get(&hash).and_then(|same_hash| {
            same_hash
                .iter()
                .find(|(resolved, _)| **resolved == *self.resolved)
        });
        if let Some((_, shape)) = known {
            return shape.clone();
        }
        let shape = Rc::new(Shape::of_resolved(&self.resolved));
        if self.len >= MAX_SHAPES {
            self.by_hash.clear();
            self.len = 0;
        }
        let resolved = self.resolved.as_slice().into();
        self.by_hash
            .entry(hash)
            .or_default()
            .push((resolved, shape.clone()));
        self.len += 1;
        shape
    }
}
