//! What mounting a tar image costs (`--image`): the time `Image::open` takes for an archive
//! of 10,000 files, and the memory it keeps, for small and for large files (an image costs
//! its metadata, not its contents). Issue 15's target: ≤ 10 ms for 10,000 files.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin image-mount [RUNS]`

use std::path::Path;
use std::time::Instant;

/// An archive of `dirs` × `per_dir` files of `size` bytes each, as `tar` would write it.
fn archive(path: &Path, dirs: usize, per_dir: usize, size: usize) -> anyhow::Result<()> {
    let mut builder = tar::Builder::new(std::io::BufWriter::new(std::fs::File::create(path)?));
    let data = vec![b'x'; size];
    for d in 0..dirs {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        header.set_mode(0o755);
        builder.append_data(&mut header, format!("./pkg{d:03}/"), &[][..])?;
        for f in 0..per_dir {
            let mut header = tar::Header::new_gnu();
            header.set_size(size as u64);
            header.set_mode(0o644);
            header.set_mtime(1_700_000_000);
            builder.append_data(&mut header, format!("./pkg{d:03}/module_{f:03}.py"), &data[..])?;
        }
    }
    builder.into_inner()?.into_inner()?.sync_all()?;
    Ok(())
}

/// Memory of this process's own (resident, not file-backed: a mapped archive's pages are the
/// page cache's, shared, and given back under pressure), in bytes.
fn private_rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: Vec<u64> = statm.split_whitespace().filter_map(|p| p.parse().ok()).collect();
    pages.get(1).zip(pages.get(2)).map_or(0, |(resident, shared)| resident.saturating_sub(*shared) * 4096)
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args().nth(1).map_or(Ok(11), |a| a.parse())?;
    let scratch = if Path::new("/dev/shm").is_dir() { Path::new("/dev/shm").to_path_buf() } else { std::env::temp_dir() };
    let dir = tempfile::Builder::new().prefix("lucent-image-bench").tempdir_in(scratch)?;
    println!("| archive | size | nodes | mount (median of {runs}) | metadata | private memory kept |");
    println!("|---|--:|--:|--:|--:|--:|");
    for (label, size) in [("10,000 files of 1 KiB", 1usize << 10), ("10,000 files of 16 KiB", 16 << 10)] {
        let path = dir.path().join(format!("{size}.tar"));
        archive(&path, 100, 100, size)?;
        let bytes = std::fs::metadata(&path)?.len();
        let options = lucent_image::Options::default();
        let mut times = Vec::new();
        let mut kept = Vec::new();
        for _ in 0..runs {
            let before = private_rss();
            let start = Instant::now();
            let image = lucent_image::Image::open(&path, &options)?;
            times.push(start.elapsed());
            kept.push(private_rss().saturating_sub(before));
            assert!(image.is_mapped());
            std::hint::black_box(&image);
        }
        times.sort();
        kept.sort();
        let image = lucent_image::Image::open(&path, &options)?;
        println!(
            "| {label} | {:.1} MiB | {} | {:.2} ms | {:.2} MiB | {:.2} MiB |",
            bytes as f64 / f64::from(1 << 20),
            image.nodes(),
            times[runs / 2].as_secs_f64() * 1e3,
            image.metadata_bytes() as f64 / f64::from(1 << 20),
            kept[runs / 2] as f64 / f64::from(1 << 20),
        );
    }
    println!();
    println!("Mount: `Image::open` (map, read every header, build the tree); target ≤ 10 ms for 10,000 files.");
    Ok(())
}
