//! What the in-process tests share.

use lucent_abi::{Errno, Filetype};
use lucent_core::fs::WasiFile;
use std::any::Any;
use std::io::IoSlice;
use std::sync::Mutex;

/// Standard output captured in memory.
#[derive(Debug, Default)]
pub struct Capture(pub Mutex<Vec<u8>>);

impl Capture {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl WasiFile for Capture {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::CharacterDevice)
    }
    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let mut out = self.0.lock().unwrap();
        bufs.iter().for_each(|b| out.extend_from_slice(b));
        Ok(bufs.iter().map(|b| b.len()).sum())
    }
    lucent_core::pipe_answers!();
}
