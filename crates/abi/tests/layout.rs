//! Every record's size, alignment and field offsets, checked against the witx files of the
//! specification in `../shared/wasi-spec` (read with the `witx` crate).

use lucent_abi::records::{Layout, Record};
use lucent_abi::{Dirent, Event, Fdstat, Filestat, GuestType, Iovec, Prestat, Subscription, preview0};
use std::path::PathBuf;
use witx::{Document, Id, Layout as _, Type};

fn spec_dir() -> PathBuf {
    // crates/abi -> repository root -> its sibling `shared/`.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for candidate in [root.join("../shared/wasi-spec"), root.join("shared/wasi-spec")] {
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("wasi-spec not found beside the repository (expected ../shared/wasi-spec)");
}

fn load(version: &str, module: &str) -> Document {
    let dir = spec_dir().join(version).join("witx");
    witx::load(&[dir.join(module)]).unwrap_or_else(|e| panic!("cannot load {version}: {e}"))
}

fn preview1() -> Document {
    load("preview1", "wasi_snapshot_preview1.witx")
}

fn preview0() -> Document {
    load("preview0", "wasi_unstable.witx")
}

/// Compares one of our layouts with the witx type of the same name.
fn check(doc: &Document, layout: &Layout) {
    let named = doc.typename(&Id::new(layout.name)).unwrap_or_else(|| panic!("{} not in witx", layout.name));
    let tref = witx::TypeRef::Name(named.clone());
    let sa = tref.mem_size_align();
    assert_eq!((layout.size as usize, layout.align as usize), (sa.size, sa.align), "{}: size/align", layout.name);
    match &**named.type_() {
        Type::Record(record) => {
            let members = record.member_layout();
            assert_eq!(members.len(), layout.fields.len(), "{}: field count", layout.name);
            for (field, offset) in layout.fields {
                let member = members
                    .iter()
                    .find(|m| m.member.name.as_str() == *field)
                    .unwrap_or_else(|| panic!("{}: no field {field} in witx", layout.name));
                assert_eq!(*offset as usize, member.offset, "{}.{field}: offset", layout.name);
            }
        }
        Type::Variant(variant) => {
            for (field, offset) in layout.fields {
                let expected = if *field == "tag" { 0 } else { variant.payload_offset() };
                assert_eq!(*offset as usize, expected, "{}.{field}: offset", layout.name);
            }
        }
        other => panic!("{}: unexpected witx type {other:?}", layout.name),
    }
}

fn check_size<T: GuestType>(doc: &Document, name: &str) {
    let named = doc.typename(&Id::new(name)).unwrap_or_else(|| panic!("{name} not in witx"));
    let sa = witx::TypeRef::Name(named).mem_size_align();
    assert_eq!((T::SIZE as usize, T::ALIGN as usize), (sa.size, sa.align), "{name}: size/align");
}

#[test]
fn preview1_records_match_witx() {
    let doc = preview1();
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
        check(&doc, layout);
    }
    check_size::<Iovec>(&doc, "ciovec");
    check_size::<Subscription>(&doc, "subscription");
}

#[test]
fn preview0_records_match_witx() {
    let doc = preview0();
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
        check(&doc, layout);
    }
    check_size::<preview0::Filestat>(&doc, "filestat");
    check_size::<preview0::Subscription>(&doc, "subscription");
}

/// The payload of `subscription_u` and of `event.fd_readwrite` sit where our encoders put them.
#[test]
fn nested_payload_offsets_match_witx() {
    for doc in [preview1(), preview0()] {
        let u = doc.typename(&Id::new("subscription_u")).expect("subscription_u");
        let Type::Variant(variant) = &**u.type_() else { panic!("subscription_u is not a variant") };
        assert_eq!(variant.payload_offset(), 8);
        let rw = doc.typename(&Id::new("event_fd_readwrite")).expect("event_fd_readwrite");
        let Type::Record(record) = &**rw.type_() else { panic!("event_fd_readwrite is not a record") };
        let offsets: Vec<_> =
            record.member_layout().iter().map(|m| (m.member.name.as_str().to_owned(), m.offset)).collect();
        assert_eq!(offsets, vec![("nbytes".to_owned(), 0), ("flags".to_owned(), 8)]);
    }
}

/// Enumerations and flag sets have the values the specification gives them.
#[test]
fn enum_and_flag_values_match_witx() {
    use lucent_abi::{Clockid, Errno, Filetype, Rights, Signal, Whence};
    let doc = preview1();
    let variant_cases = |doc: &Document, name: &str| -> Vec<String> {
        let named = doc.typename(&Id::new(name)).unwrap_or_else(|| panic!("{name}"));
        match &**named.type_() {
            Type::Variant(v) => v.cases.iter().map(|c| c.name.as_str().to_owned()).collect(),
            Type::Record(r) => r.members.iter().map(|m| m.name.as_str().to_owned()).collect(),
            other => panic!("{name}: {other:?}"),
        }
    };
    let errnos = variant_cases(&doc, "errno");
    assert_eq!(errnos.len(), Errno::ALL.len());
    for (name, errno) in errnos.iter().zip(Errno::ALL) {
        assert_eq!(name, errno.name());
    }
    let rights = variant_cases(&doc, "rights");
    assert_eq!(rights.len(), Rights::all().iter().count());
    for (bit, name) in rights.iter().enumerate() {
        let flag = Rights::from_bits(1 << bit).unwrap();
        let ours = Rights::all().iter_names().find(|(_, f)| *f == flag).unwrap().0.to_lowercase();
        assert_eq!(&ours, name);
    }
    assert_eq!(variant_cases(&doc, "whence"), ["set", "cur", "end"]);
    assert_eq!(Whence::End.raw(), 2);
    assert_eq!(variant_cases(&preview0(), "whence"), ["cur", "end", "set"]);
    assert_eq!(variant_cases(&doc, "clockid").len(), 4);
    assert_eq!(Clockid::ThreadCputimeId.raw(), 3);
    assert_eq!(variant_cases(&doc, "filetype")[7], "symbolic_link");
    assert_eq!(Filetype::SymbolicLink.raw(), 7);
    assert_eq!(variant_cases(&doc, "signal").len(), 31);
    assert_eq!(Signal::Sys.raw(), 30);
    // wasi_unstable has every right but sock_accept.
    assert_eq!(variant_cases(&preview0(), "rights").len(), 29);
}
