use super::*;

fn strings(args: &[OsString]) -> Vec<&str> {
    args.iter().map(|a| a.to_str().unwrap()).collect()
}

#[test]
fn the_spec_becomes_a_lucent_command_line() {
    let args = ["/app/hello.wasm".to_string(), "-x".to_string(), "--dir".to_string(), "two words".to_string()];
    let envs = ["PATH=/bin".to_string(), "GREETING=a=b c".to_string(), "HOME".to_string()];
    let line = run_args(&args, &envs, Path::new("/app/hello.wasm"), "_start", Some(1 << 20), false);
    assert_eq!(
        strings(&line),
        [
            "containerd-shim-lucent-v1",
            "--dir",
            "/::/",
            "--no-cache",
            "--env=PATH=/bin",
            "--env=GREETING=a=b c",
            "--max-memory=1048576",
            "--argv0=/app/hello.wasm",
            "--",
            "/app/hello.wasm",
            "-x",
            "--dir",
            "two words",
        ]
    );
    // The runner's parser reads it back: options before `--`, the guest's arguments after.
    let front = Front::try_parse_from(line).unwrap();
    assert_eq!(front.run.guest.envs, ["PATH=/bin", "GREETING=a=b c"]);
    assert_eq!(front.run.guest.dirs, ["/::/"]);
    assert!(front.run.guest.no_cache);
    assert_eq!(front.run.guest.max_memory, Some(1 << 20));
    assert_eq!(front.run.args, ["-x", "--dir", "two words"]);
    assert_eq!(front.run.argv0.as_deref(), Some("/app/hello.wasm"));
}

#[test]
fn a_function_and_a_precompiled_layer_have_their_options() {
    let args = ["/app/lib.wasm#compute".to_string()];
    let line = run_args(&args, &[], Path::new("/proc/self/fd/3"), "compute", None, true);
    let front = Front::try_parse_from(line).unwrap();
    assert_eq!(front.run.invoke.as_deref(), Some("compute"));
    assert!(front.run.guest.allow_precompiled);
    assert_eq!(front.run.argv0.as_deref(), Some("/app/lib.wasm"));
    assert_eq!(front.run.module, Path::new("/proc/self/fd/3"));
    assert_eq!(front.run.guest.max_memory, None);
}

#[test]
fn the_runtime_keeps_a_reserve_out_of_the_memory_limit() {
    assert_eq!(guest_memory(1 << 30), (1 << 30) - (64 << 20));
    assert_eq!(guest_memory(128 << 20), 96 << 20);
    assert_eq!(guest_memory(32 << 20), 16 << 20);
    assert_eq!(guest_memory(8 << 20), 4 << 20);
}

#[test]
fn the_memory_limit_is_read_from_the_cgroup() {
    let root = tempfile::tempdir().unwrap();
    let v1 = "12:pids:/lucent/c1\n5:memory:/lucent/c1\n0::/\n";
    // Not mounted: no limit.
    assert_eq!(cgroup_memory_limit(v1, root.path()), None);
    // The container's own cgroup mounted at the top (as runc and youki do for cgroup v1).
    std::fs::create_dir_all(root.path().join("memory")).unwrap();
    std::fs::write(root.path().join("memory/memory.limit_in_bytes"), "67108864\n").unwrap();
    assert_eq!(cgroup_memory_limit(v1, root.path()), Some(64 << 20));
    // The whole hierarchy mounted: the cgroup's own file first.
    std::fs::create_dir_all(root.path().join("memory/lucent/c1")).unwrap();
    std::fs::write(root.path().join("memory/lucent/c1/memory.limit_in_bytes"), "33554432\n").unwrap();
    assert_eq!(cgroup_memory_limit(v1, root.path()), Some(32 << 20));
    // No limit is a huge number.
    std::fs::write(root.path().join("memory/lucent/c1/memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
    assert_eq!(cgroup_memory_limit(v1, root.path()), None);

    let v2 = tempfile::tempdir().unwrap();
    std::fs::write(v2.path().join("memory.max"), "max\n").unwrap();
    assert_eq!(cgroup_memory_limit("0::/\n", v2.path()), None);
    std::fs::write(v2.path().join("memory.max"), "1048576\n").unwrap();
    assert_eq!(cgroup_memory_limit("0::/\n", v2.path()), Some(1 << 20));
}

#[test]
fn the_compiler_compiles_modules_and_leaves_the_rest() {
    let compiler = LucentCompiler::new().unwrap();
    use oci_spec::image::{Descriptor, Digest, MediaType};
    let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    let descriptor = Descriptor::new(MediaType::Other("application/wasm".into()), 0, digest);
    let layer = |bytes: Vec<u8>| WasmLayer { config: descriptor.clone(), precompiled: false, layer: bytes };
    let wasm = b"\0asm\x01\0\0\0".to_vec();
    let compiled = compiler.compile_layer(&layer(wasm)).unwrap().expect("a module is compiled");
    assert!(wasmtime::Engine::detect_precompiled(&compiled).is_some());
    // Compiled output is not compiled again; other bytes are left alone.
    assert_eq!(compiler.compile_layer(&layer(compiled)).unwrap(), None);
    assert_eq!(compiler.compile_layer(&layer(b"not wasm".to_vec())).unwrap(), None);
    // A component (version 0x0d, layer 1) is not this shim's.
    assert_eq!(compiler.compile_layer(&layer(b"\0asm\x0d\0\x01\0".to_vec())).unwrap(), None);
    // A broken module is an error: the crate then runs the original.
    assert!(compiler.compile_layer(&layer(b"\0asm\x01\0\0\0\x01\xff".to_vec())).is_err());
}

/// What `run_wasi` does with the image's WebAssembly layer: the module as it is, or as the
/// shim's compiler compiled it (the configuration must be the one containers run with, or the
/// compiled code would be refused).
#[test]
fn a_layer_runs_from_memory_compiled_or_not() {
    use oci_spec::image::{Descriptor, Digest, MediaType};
    let wasm = std::fs::read(test_programs_artifacts::CONTAINER).unwrap();
    let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    let descriptor = Descriptor::new(MediaType::Other("application/wasm".into()), 0, digest);
    let plain = WasmLayer { config: descriptor.clone(), precompiled: false, layer: wasm.clone() };
    let compiled = LucentCompiler::new().unwrap().compile_layer(&plain).unwrap().unwrap();
    let compiled = WasmLayer { config: descriptor, precompiled: true, layer: compiled };
    let args: Vec<String> = ["/app.wasm", "exit", "7"].map(String::from).to_vec();
    for layer in [plain, compiled.clone()] {
        assert_eq!(run_container(&args, &[], Module::Layers(vec![layer]), "_start"), 7);
    }
    // Compiled code is loaded only when the layer says the shim compiled it.
    let claimed = WasmLayer { precompiled: false, ..compiled };
    assert_eq!(run_container(&args, &[], Module::Layers(vec![claimed.clone()]), "_start"), 1);
    // Two layers, or none: which one to run is not guessed.
    assert_eq!(run_container(&args, &[], Module::Layers(vec![claimed.clone(), claimed]), "_start"), 1);
    assert_eq!(run_container(&args, &[], Module::Layers(Vec::new()), "_start"), 1);
}

/// A filesystem layer (tar, or tar+gzip) is compiled to a bundle of its modules' code, found
/// again by the bytes of the file the entrypoint names; other bytes are compiled as usual.
#[test]
fn filesystem_layers_are_bundled_and_their_modules_found_by_content() {
    use oci_spec::image::{Descriptor, Digest, MediaType};
    let wasm = std::fs::read(test_programs_artifacts::CONTAINER).unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in
        [("app/guest.wasm", &wasm[..]), ("etc/motd", b"text"), ("app/broken.wasm", b"\0asm\x01\0\0\0\x01\xff")]
    {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, name, bytes).unwrap();
    }
    let plain = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let gzipped = gz.finish().unwrap();
    let compiler = LucentCompiler::new().unwrap();
    let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    for (kind, blob) in
        [("application/vnd.oci.image.layer.v1.tar", plain), ("application/vnd.oci.image.layer.v1.tar+gzip", gzipped)]
    {
        let config = Descriptor::new(MediaType::Other(kind.into()), 0, digest.clone());
        let layer = WasmLayer { config: config.clone(), precompiled: false, layer: blob };
        let bundle = compiler.compile_layer(&layer).unwrap().expect("a bundle");
        let compiled = WasmLayer { config, precompiled: true, layer: bundle };
        let code = bundled(std::slice::from_ref(&compiled), &wasm).expect("the module's code");
        assert!(wasmtime::Engine::detect_precompiled(&code).is_some());
        assert!(bundled(std::slice::from_ref(&compiled), b"\0asm\x01\0\0\0").is_none());
        // The original layer is no bundle.
        assert!(bundled(&[WasmLayer { precompiled: true, ..layer }], &wasm).is_none());

        // The entrypoint's file, run with the bundle's code: then with other bytes at that path.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        std::fs::write(&path, &wasm).unwrap();
        let args: Vec<String> = [path.to_str().unwrap(), "exit", "9"].map(String::from).to_vec();
        let (found, precompiled, _file) = locate(&args, Module::Layers(vec![compiled.clone()])).unwrap();
        assert!(precompiled && found.starts_with("/proc/self/fd"), "{found:?}");
        assert_eq!(run_container(&args, &[], Module::Layers(vec![compiled.clone()]), "_start"), 9);
        let mut changed = wasm.clone();
        changed.extend_from_slice(b"\0\x05\x04lcnt"); // a custom section: other bytes, same program
        std::fs::write(&path, &changed).unwrap();
        let (found, precompiled, _) = locate(&args, Module::Layers(vec![compiled.clone()])).unwrap();
        assert!(!precompiled && found == path);
        assert_eq!(run_container(&args, &[], Module::Layers(vec![compiled]), "_start"), 9);
    }
}
