//! What the containerd tests and the start-up benchmark share: a containerd of their own, and
//! OCI image layouts built here (no registry is reachable).

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const GUEST: &str = test_programs_artifacts::CONTAINER;
pub const NAMESPACE: &str = "lucent-test";
pub const RUNTIME: &str = "io.containerd.lucent.v1";

/// A containerd of our own.
pub struct Containerd {
    dir: tempfile::TempDir,
    daemon: Child,
}

impl Containerd {
    pub fn start() -> Containerd {
        for tool in ["containerd", "ctr", "runc"] {
            let found = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().unwrap();
            assert!(found.status.success(), "`{tool}` is not installed: apt-get install containerd runc");
        }
        assert!(rustix::process::geteuid().is_root(), "containerd and its shims need root");
        // A short path: the socket's must fit in 107 bytes.
        let dir = tempfile::Builder::new().prefix("ctrd").tempdir_in("/tmp").unwrap();
        let d = dir.path().display();
        let bin = dir.path().join("opt/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_containerd-shim-lucent-v1"), bin.join("containerd-shim-lucent-v1")).unwrap();
        let config = format!(
            r#"version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"#
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let log = std::fs::File::create(dir.path().join("containerd.log")).unwrap();
        let daemon = Command::new("containerd")
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let containerd = Containerd { dir, daemon };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !containerd.ctr(&["version"]).status.success() {
            assert!(Instant::now() < deadline, "containerd did not start: {}", containerd.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        containerd
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("ctr");
        command.arg("--address").arg(self.dir.path().join("c.sock")).arg("--namespace").arg(NAMESPACE).args(args);
        command
    }

    pub fn ctr(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Imports an image layout (all platforms: WebAssembly images are `wasip1/wasm`).
    pub fn import(&self, image: &Image) {
        let path = self.dir.path().join(format!("{}.tar", image.tag));
        std::fs::write(&path, image.layout()).unwrap();
        let out = self.ctr(&["image", "import", "--all-platforms", path.to_str().unwrap()]);
        assert!(out.status.success(), "import: {}", text(&out.stderr));
    }

    /// `ctr run --rm` of the image, with `args` replacing its entrypoint when given; returns
    /// the status, stdout and stderr.
    pub fn run(&self, image: &Image, id: &str, extra: &[&str], args: &[&str]) -> (i32, String, String) {
        let name = image.name();
        let mut argv = vec!["run", "--rm", "--runtime", RUNTIME];
        argv.extend_from_slice(extra);
        argv.push(&name);
        argv.push(id);
        argv.extend_from_slice(args);
        let out = self.ctr(&argv);
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // Containers left by a failed test, then the daemon, then the mounts it left.
        if let Ok(out) = self.command(&["task", "ls", "-q"]).output() {
            for id in text(&out.stdout).lines() {
                let _ = self.command(&["task", "kill", "-s", "SIGKILL", id]).output();
                std::thread::sleep(Duration::from_millis(200));
                let _ = self.command(&["task", "delete", "-f", id]).output();
            }
        }
        if let Ok(out) = self.command(&["container", "ls", "-q"]).output() {
            for id in text(&out.stdout).lines() {
                let _ = self.command(&["container", "delete", id]).output();
            }
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let dir = self.dir.path().to_string_lossy().into_owned();
        let mut beneath: Vec<&str> =
            mounts.lines().filter_map(|l| l.split(' ').nth(1)).filter(|m| m.starts_with(&dir)).collect();
        beneath.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for mount in beneath {
            let _ = Command::new("umount").arg("-l").arg(mount).status();
        }
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON string.
fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| json(s)).collect::<Vec<_>>().join(","))
}

/// An OCI image: one ordinary filesystem layer with these files, and an entrypoint.
pub struct Image {
    pub tag: String,
    pub files: Vec<(String, Vec<u8>)>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    /// The image's platform, `(os, architecture)`: `wasip1`/`wasm` for WebAssembly.
    pub platform: (String, String),
}

impl Image {
    /// The guest program at `/app/guest.wasm`, plus `files`, run with `args`.
    pub fn guest(tag: &str, args: &[&str], files: &[(&str, &[u8])]) -> Image {
        let mut all = vec![("app/guest.wasm".to_string(), std::fs::read(GUEST).unwrap())];
        all.extend(files.iter().map(|(p, b)| (p.to_string(), b.to_vec())));
        let mut entrypoint = vec!["/app/guest.wasm".to_string()];
        entrypoint.extend(args.iter().map(|a| a.to_string()));
        Image {
            tag: tag.into(),
            files: all,
            entrypoint,
            env: vec!["GREETING=from the image".into()],
            platform: ("wasip1".into(), "wasm".into()),
        }
    }

    pub fn name(&self) -> String {
        format!("lucent.test/{}:1", self.tag)
    }

    pub fn layer(&self) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, bytes) in &self.files {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o755);
            header.set_mtime(1_700_000_000);
            tar.append_data(&mut header, path, &bytes[..]).unwrap();
        }
        tar.into_inner().unwrap()
    }

    /// The image layout's tar: `oci-layout`, `index.json` and the blobs.
    pub fn layout(&self) -> Vec<u8> {
        let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
        let mut add = |bytes: Vec<u8>| {
            let digest = sha256(&bytes);
            let size = bytes.len();
            blobs.push((digest.clone(), bytes));
            (digest, size)
        };
        let (layer, layer_size) = add(self.layer());
        let (os, arch) = &self.platform;
        let config = format!(
            r#"{{"architecture":{},"os":{},"config":{{"Entrypoint":{},"Env":{},"WorkingDir":"/"}},"rootfs":{{"type":"layers","diff_ids":["sha256:{layer}"]}}}}"#,
            json(arch),
            json(os),
            json_list(&self.entrypoint),
            json_list(&self.env),
        );
        let (config, config_size) = add(config.into_bytes());
        let annotations =
            format!(r#"{{"io.containerd.image.name":{},"org.opencontainers.image.ref.name":"1"}}"#, json(&self.name()));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer}","size":{layer_size}}}]}}"#
        );
        let (manifest, manifest_size) = add(manifest.into_bytes());
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{manifest}","size":{manifest_size},"platform":{{"architecture":{},"os":{}}},"annotations":{annotations}}}]}}"#,
            json(arch),
            json(os),
        );
        let mut tar = tar::Builder::new(Vec::new());
        let mut put = |path: &str, bytes: &[u8]| {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, path, bytes).unwrap();
        };
        put("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        put("index.json", index.as_bytes());
        for (digest, bytes) in &blobs {
            put(&format!("blobs/sha256/{digest}"), bytes);
        }
        tar.into_inner().unwrap()
    }
}
