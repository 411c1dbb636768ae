//! Reading an archive into an image's tree: every member checked once, here, and nothing
//! parsed again afterwards.

use crate::ustar::{Member, Members, Type};
use crate::{Entry, Kind, LoadError, Node, Options, ROOT};
use std::collections::HashMap;
use std::io::Read;

/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether `bytes` start as a gzip stream does.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Decompresses a gzip stream (all its members), refusing one that would exceed `limit` bytes
/// before it does.
pub(crate) fn gunzip(bytes: &[u8], limit: u64) -> Result<Vec<u8>, LoadError> {
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    decoder
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| LoadError::Corrupt { at: 0, reason: format!("gzip: {e}") })?;
    if u64::try_from(out.len()).unwrap_or(u64::MAX) > limit {
        return Err(LoadError::TooLarge(limit));
    }
    Ok(out)
}

/// A directory while the tree is built: entries by name (sorted when the tree is done).
type Building = HashMap<Box<[u8]>, u32>;

/// The tree being built.
struct Builder<'o> {
    options: &'o Options,
    nodes: Vec<Node>,
    /// The entries of each directory node, by node index (frozen into sorted vectors at the end).
    dirs: HashMap<u32, Building>,
    /// The last parent directory found, by its path's components: members come directory by
    /// directory, so most find theirs here.
    last_parent: Option<(Vec<Box<[u8]>>, u32)>,
    /// Directories made for a path before (or without) their own member: a member may still
    /// describe them once.
    implicit: std::collections::HashSet<u32>,
}

/// The tree of the archive in `bytes`: its nodes (the root first) with every directory's
/// entries sorted by name.
pub(crate) fn read_tree(bytes: &[u8], options: &Options) -> Result<Vec<Node>, LoadError> {
    let mut builder = Builder {
        options,
        nodes: vec![Node { kind: Kind::Dir { parent: ROOT, entries: Vec::new() }, mode: 0o755, mtim: 0, nlink: 1 }],
        dirs: HashMap::from([(ROOT, Building::new())]),
        last_parent: None,
        implicit: std::collections::HashSet::new(),
    };
    let mut members = 0usize;
    for member in Members::new(bytes) {
        let member = member?;
        members = members.saturating_add(1);
        if members > options.max_members {
            return Err(LoadError::TooManyMembers(options.max_members));
        }
        builder.add(&member)?;
    }
    Ok(builder.finish())
}

/// The member's name as the error shows it.
fn shown(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// The components of a member's path, checked: relative, no `..`; `.` and empty components
/// (`./a`, `a//b`, `dir/`) are dropped.
fn components(path: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
    if path.starts_with(b"/") {
        return Err("an absolute path (members must be relative to the image's root)");
    }
    let mut out = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err("a `..` component (members must stay beneath the image's root)"),
            _ => out.push(part),
        }
    }
    Ok(out)
}

/// Whether the symlink target `target`, in a directory `depth` levels below the root, stays
/// beneath the root when read as a path (lexically: the resolver still checks every walk).
fn stays_inside(target: &[u8], depth: usize) -> bool {
    if target.starts_with(b"/") {
        return false;
    }
    let mut depth = depth;
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => depth = depth.saturating_add(1),
        }
    }
    true
}

impl Builder<'_> {
    fn add(&mut self, entry: &Member<'_>) -> Result<(), LoadError> {
        let path = &entry.path;
        let member = |reason: &str| LoadError::Member { member: shown(path), reason: reason.to_owned() };
        let parts = components(path).map_err(member)?;
        let (mode, mtim) = (entry.mode, entry.mtim);
        let Some((name, parents)) = parts.split_last() else {
            // The root itself (`./`): only a directory may describe it.
            return match entry.kind {
                Type::Dir => {
                    self.describe(ROOT, mode, mtim);
                    Ok(())
                }
                _ => Err(member("names the image's root but is not a directory")),
            };
        };
        let parent = self.parent(parents).map_err(|why| member(&why))?;
        let existing = self.dirs.get(&parent).and_then(|d| d.get(*name)).copied();
        let duplicate = || member("a duplicate member (an earlier member has this path)");
        let node = match entry.kind {
            Type::Dir => {
                if let Some(old) = existing {
                    // A directory described after a member beneath it keeps its entries; a
                    // directory member cannot replace anything else, nor be described twice.
                    if !self.dirs.contains_key(&old) || !self.implicit.remove(&old) {
                        return Err(duplicate());
                    }
                    self.describe(old, mode, mtim);
                    return Ok(());
                }
                let node = self.push(Kind::Dir { parent, entries: Vec::new() }, mode, mtim)?;
                self.dirs.insert(node, Building::new());
                node
            }
            Type::File => {
                if existing.is_some() {
                    return Err(duplicate());
                }
                self.push(Kind::File { start: entry.data.start, end: entry.data.end }, mode, mtim)?
            }
            Type::Symlink => {
                let target = entry.link;
                if target.is_empty() {
                    return Err(member("a symlink without a target"));
                }
                if !stays_inside(target, parents.len()) {
                    let reason = format!("a symlink pointing out of the image (to `{}`)", shown(target));
                    return Err(member(&reason));
                }
                if existing.is_some() {
                    return Err(duplicate());
                }
                self.push(Kind::Symlink(Box::from(target)), mode, mtim)?
            }
            Type::HardLink => {
                let target = entry.link;
                let linked = components(target).ok().and_then(|parts| self.find(&parts));
                let reason = format!("a hard link to `{}`, which is not an earlier file of the image", shown(target));
                let node = linked.filter(|&n| !self.dirs.contains_key(&n)).ok_or_else(|| member(&reason))?;
                if existing.is_some() {
                    return Err(duplicate());
                }
                let linked =
                    self.nodes.get_mut(usize::try_from(node).unwrap_or(usize::MAX)).ok_or_else(|| member(&reason))?;
                linked.nlink = linked.nlink.saturating_add(1);
                node
            }
            Type::Sparse => return Err(member("a sparse member (not supported: store it whole)")),
            Type::Device => return Err(member("a device or FIFO (an image holds files, directories and symlinks)")),
            Type::Unknown(flag) => {
                let reason = format!("a member of an unknown type (type flag {:?})", char::from(flag));
                return Err(member(&reason));
            }
        };
        self.dirs.get_mut(&parent).map(|d| d.insert(Box::from(*name), node));
        Ok(())
    }

    /// Sets a directory's mode and time from its member.
    fn describe(&mut self, node: u32, mode: u32, mtim: u64) {
        if let Some(n) = self.nodes.get_mut(usize::try_from(node).unwrap_or(usize::MAX)) {
            n.mode = mode;
            n.mtim = mtim;
        }
    }

    /// Adds a node; fails past the member limit (implicit directories count too).
    fn push(&mut self, kind: Kind, mode: u32, mtim: u64) -> Result<u32, LoadError> {
        let index = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&i| usize::try_from(i).unwrap_or(usize::MAX) <= self.options.max_members);
        let index = index.ok_or(LoadError::TooManyMembers(self.options.max_members))?;
        self.nodes.push(Node { kind, mode, mtim, nlink: 1 });
        Ok(index)
    }

    /// The directory at `parts`, made (without a member of its own yet) where missing.
    fn parent(&mut self, parts: &[&[u8]]) -> Result<u32, String> {
        if let Some((path, node)) = &self.last_parent
            && path.len() == parts.len()
            && path.iter().zip(parts).all(|(a, b)| a.as_ref() == *b)
        {
            return Ok(*node);
        }
        let dir = self.walk_parent(parts)?;
        self.last_parent = Some((parts.iter().map(|p| Box::from(*p)).collect(), dir));
        Ok(dir)
    }

    fn walk_parent(&mut self, parts: &[&[u8]]) -> Result<u32, String> {
        let mut dir = ROOT;
        for (depth, part) in parts.iter().enumerate() {
            let found = self.dirs.get(&dir).and_then(|d| d.get(*part)).copied();
            dir = match found {
                Some(node) if self.dirs.contains_key(&node) => node,
                Some(_) => {
                    let through = parts.get(..=depth).unwrap_or_default().join(&b'/');
                    return Err(format!("its path goes through `{}`, which is not a directory", shown(&through)));
                }
                None => {
                    let node = self
                        .push(Kind::Dir { parent: dir, entries: Vec::new() }, 0o755, 0)
                        .map_err(|e| e.to_string())?;
                    self.dirs.insert(node, Building::new());
                    self.dirs.get_mut(&dir).map(|d| d.insert(Box::from(*part), node));
                    self.implicit.insert(node);
                    node
                }
            };
        }
        Ok(dir)
    }

    /// The node at `parts`, if there is one (symlinks are not followed).
    fn find(&self, parts: &[&[u8]]) -> Option<u32> {
        parts.iter().try_fold(ROOT, |dir, part| self.dirs.get(&dir)?.get(*part).copied())
    }

    /// The nodes, with each directory's entries sorted by name and its link count set.
    fn finish(mut self) -> Vec<Node> {
        for (dir, entries) in std::mem::take(&mut self.dirs) {
            let mut entries: Vec<Entry> = entries.into_iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let subdirs = entries
                .iter()
                .filter(|(_, n)| matches!(self.node(*n).map(|n| &n.kind), Some(Kind::Dir { .. })))
                .count();
            if let Some(node) = self.nodes.get_mut(usize::try_from(dir).unwrap_or(usize::MAX)) {
                node.nlink = u64::try_from(subdirs).unwrap_or(u64::MAX).saturating_add(2);
                if let Kind::Dir { entries: slot, .. } = &mut node.kind {
                    *slot = entries;
                }
            }
        }
        self.nodes
    }

    fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(usize::try_from(index).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_are_relative_and_never_climb() {
        assert_eq!(components(b"./a//b/").unwrap(), vec![&b"a"[..], b"b"]);
        assert_eq!(components(b"./").unwrap(), Vec::<&[u8]>::new());
        assert!(components(b"/etc/passwd").is_err());
        assert!(components(b"a/../../b").is_err());
        assert!(components(b"a/..").is_err());
    }

    #[test]
    fn symlink_targets_stay_beneath_the_root() {
        assert!(stays_inside(b"b", 0));
        assert!(stays_inside(b"../x", 1));
        assert!(stays_inside(b"./../a/../x", 1));
        assert!(!stays_inside(b"../x", 0));
        assert!(!stays_inside(b"a/../../x", 0));
        assert!(!stays_inside(b"/etc", 3));
    }
}
