//! Lucent's ABI checked against the WASI specification as published bindings compile it: the
//! `spec_report` guest (built with the `wasi` crate, generated from the witx files of both
//! ABIs) reports every record's layout, every enumeration's values and every right, and
//! imports every function of `wasi_snapshot_preview1` and `wasi_unstable` with its type. The
//! layouts, values and names must be Lucent's, and the linker must define exactly those
//! functions, with exactly those types.

mod common;

use common::Capture;
use lucent_abi::records::{Layout, Record};
use lucent_abi::{Advice, Clockid, Dirent, Errno, Event, Fdstat, Filestat, Filetype, Iovec, Prestat, Rights};
use lucent_abi::{Signal, Subscription, Whence, preview0};
use lucent_core::WasiCtx;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use wasmtime::{Engine, ExternType, Linker, Module, Store, ValType};

/// The report's lines, split into words.
fn report() -> Vec<Vec<String>> {
    let engine = Engine::default();
    let module = Module::from_file(&engine, test_programs_artifacts::SPEC_REPORT).unwrap();
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let stdout = Arc::new(Capture::default());
    let mut store = Store::new(&engine, WasiCtx::builder().stdout(stdout.clone()).build().unwrap());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    instance.get_typed_func::<(), ()>(&mut store, "_start").unwrap().call(&mut store, ()).unwrap();
    stdout.text().lines().map(|l| l.split(' ').map(str::to_owned).collect()).collect()
}

/// `Some(size, align, fields)` of record `name` of `abi` in the report.
fn reported(report: &[Vec<String>], abi: &str, name: &str) -> (u32, u32, BTreeMap<String, u32>) {
    let line = report
        .iter()
        .find(|w| w[0] == "record" && w[1] == abi && w[2] == name)
        .unwrap_or_else(|| panic!("no record {abi} {name} in the report"));
    let fields = line[5..]
        .iter()
        .map(|f| {
            let (field, offset) = f.split_once('=').unwrap();
            (field.to_owned(), offset.parse().unwrap())
        })
        .collect();
    (line[3].parse().unwrap(), line[4].parse().unwrap(), fields)
}

/// Lucent's layout is the specification's: size, alignment, and every field where it says.
fn check(report: &[Vec<String>], abi: &str, layout: &Layout) {
    let (size, align, fields) = reported(report, abi, layout.name);
    assert_eq!((layout.size, layout.align), (size, align), "{abi} {}: size and alignment", layout.name);
    let ours: BTreeMap<String, u32> = layout.fields.iter().map(|(f, o)| ((*f).to_owned(), *o)).collect();
    assert_eq!(ours, fields, "{abi} {}: fields", layout.name);
}

#[test]
fn records_have_the_specifications_layout() {
    let report = report();
    for layout in [
        &Iovec::LAYOUT,
        &Fdstat::LAYOUT,
        &Prestat::LAYOUT,
        &Filestat::LAYOUT,
        &Dirent::LAYOUT,
        &Event::LAYOUT,
        &Subscription::LAYOUT,
        &Subscription::CLOCK_LAYOUT,
    ] {
        check(&report, "preview1", layout);
    }
    for layout in [
        &Iovec::LAYOUT,
        &Fdstat::LAYOUT,
        &Prestat::LAYOUT,
        &preview0::Filestat::LAYOUT,
        &Dirent::LAYOUT,
        &Event::LAYOUT,
        &preview0::Subscription::LAYOUT,
        &preview0::Subscription::CLOCK_LAYOUT,
    ] {
        check(&report, "preview0", layout);
    }
    // A `ciovec` is an `iovec`; the union payloads sit where the encoders put them.
    assert_eq!(reported(&report, "preview1", "ciovec").0, Iovec::LAYOUT.size);
    for abi in ["preview1", "preview0"] {
        assert_eq!(reported(&report, abi, "subscription_u").2["payload"], 8, "{abi}");
        let rw = reported(&report, abi, "event_fd_readwrite").2;
        assert_eq!((rw["nbytes"], rw["flags"]), (0, 8), "{abi}");
    }
}

/// `ProcessCputimeId` as the specification spells it: `process_cputime_id`.
fn snake(variant: impl std::fmt::Debug) -> String {
    let mut out = String::new();
    for (i, c) in format!("{variant:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn enumerations_and_rights_have_the_specifications_values() {
    let report = report();
    let values = |kind: &str| -> Vec<(String, u64)> {
        report
            .iter()
            .filter(|w| w[0] == "value" && w[1] == kind)
            .map(|w| (w[2].clone(), w[3].parse().unwrap()))
            .collect()
    };
    let errnos = values("errno");
    assert_eq!(errnos.len(), Errno::ALL.len());
    for (name, raw) in &errnos {
        let errno = Errno::ALL.iter().find(|e| u64::from(e.raw()) == *raw).unwrap_or_else(|| panic!("errno {raw}"));
        assert_eq!(errno.name(), name);
    }
    let check = |kind: &str, ours: &dyn Fn(u64) -> Option<String>| {
        let all = values(kind);
        assert!(!all.is_empty(), "{kind}");
        for (name, raw) in all {
            assert_eq!(ours(raw).as_deref(), Some(name.as_str()), "{kind} {raw}");
        }
    };
    check("clockid", &|raw| Clockid::from_guest(u32::try_from(raw).ok()?).ok().map(snake));
    check("whence", &|raw| Whence::from_guest(u8::try_from(raw).ok()?).ok().map(snake));
    check("whence0", &|raw| preview0::Whence::from_guest(u8::try_from(raw).ok()?).ok().map(snake));
    check("filetype", &|raw| Filetype::from_guest(u8::try_from(raw).ok()?).ok().map(snake));
    check("advice", &|raw| Advice::from_guest(u8::try_from(raw).ok()?).ok().map(snake));
    check("signal", &|raw| Signal::from_guest(u8::try_from(raw).ok()?).ok().map(snake));
    assert_eq!(values("signal").len(), 31);
    // Rights: every bit named as Lucent names it; `wasi_unstable` has all but `sock_accept`.
    for (abi, count) in [("preview1", 30), ("preview0", 29)] {
        let rights: Vec<(String, u32)> = report
            .iter()
            .filter(|w| w[0] == "right" && w[1] == abi)
            .map(|w| (w[2].clone(), w[3].parse().unwrap()))
            .collect();
        assert_eq!(rights.len(), count, "{abi}");
        for (name, bit) in rights {
            let flag = Rights::from_bits(1 << bit).unwrap_or_else(|| panic!("{abi}: no right at bit {bit}"));
            let ours = Rights::all().iter_names().find(|(_, f)| *f == flag).map(|(n, _)| n.to_lowercase());
            assert_eq!(ours.as_deref(), Some(name.as_str()), "{abi} bit {bit}");
        }
    }
    assert_eq!(Rights::all().iter().count(), 30);
}

#[test]
fn the_linker_defines_exactly_the_specifications_functions_with_their_types() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, test_programs_artifacts::SPEC_REPORT).unwrap();
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let mut store = Store::new(&engine, WasiCtx::builder().build().unwrap());
    let mut spec: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for import in module.imports() {
        let ExternType::Func(wanted) = import.ty() else { panic!("{} is not a function", import.name()) };
        let defined = linker
            .get(&mut store, import.module(), import.name())
            .unwrap_or_else(|_| panic!("{}::{} is not defined", import.module(), import.name()));
        let got = defined.into_func().unwrap().ty(&store);
        let same = |a: Vec<ValType>, b: Vec<ValType>| a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.matches(y));
        assert!(
            same(wanted.params().collect(), got.params().collect())
                && same(wanted.results().collect(), got.results().collect()),
            "{}::{}: the spec says {wanted}, Lucent defines {got}",
            import.module(),
            import.name()
        );
        spec.entry(import.module()).or_default().insert(import.name().to_owned());
    }
    assert_eq!(spec["wasi_snapshot_preview1"].len(), 46);
    assert_eq!(spec["wasi_unstable"].len(), 45);
    // And nothing more: every function the linker defines is in the specification.
    let mut ours: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, name, _) in linker.iter(&mut store) {
        ours.entry(module.to_owned()).or_default().insert(name.to_owned());
    }
    for (module, names) in &ours {
        assert_eq!(Some(names), spec.get(module.as_str()), "{module}");
    }
}
