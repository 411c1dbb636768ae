//! Prints its arguments and environment; checks the raw calls' sizes and error cases.

use test_programs::{check_eq, errno, raw};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("argc={}", args.len());
    for (i, arg) in args.iter().enumerate() {
        println!("arg{i}={arg}");
    }
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    for (name, value) in &vars {
        println!("env {name}={value}");
    }

    // The sizes agree with what std decoded.
    let (mut argc, mut argv_size) = (0u32, 0u32);
    // SAFETY: pointers to live locals.
    check_eq!(unsafe { raw::args_sizes_get(&mut argc, &mut argv_size) }, errno::SUCCESS);
    check_eq!(argc as usize, args.len());
    check_eq!(argv_size as usize, args.iter().map(|a| a.len() + 1).sum::<usize>());
    let (mut envc, mut env_size) = (0u32, 0u32);
    // SAFETY: pointers to live locals.
    check_eq!(unsafe { raw::environ_sizes_get(&mut envc, &mut env_size) }, errno::SUCCESS);
    check_eq!(envc as usize, vars.len());
    check_eq!(env_size as usize, vars.iter().map(|(n, v)| n.len() + v.len() + 2).sum::<usize>());

    // Raw args_get: pointers into the buffer, each string NUL-terminated.
    let mut ptrs = vec![std::ptr::null_mut::<u8>(); argc as usize];
    let mut buf = vec![0xffu8; argv_size as usize];
    // SAFETY: buffers of the sizes the runtime asked for.
    check_eq!(unsafe { raw::args_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()) }, errno::SUCCESS);
    check_eq!(ptrs[0], buf.as_mut_ptr());
    check_eq!(buf[argv_size as usize - 1], 0);

    // Pointers outside memory are Fault, not a crash.
    let bad = 0xffff_fff0usize as *mut u32;
    // SAFETY: the runtime checks the pointer; nothing is dereferenced here.
    check_eq!(unsafe { raw::args_sizes_get(bad, &mut argv_size) }, errno::FAULT);
    check_eq!(unsafe { raw::environ_sizes_get(&mut envc, bad) }, errno::FAULT);
    check_eq!(unsafe { raw::args_get(ptrs.as_mut_ptr(), 0xffff_fff0usize as *mut u8) }, errno::FAULT);
    check_eq!(
        unsafe { raw::environ_get(0xffff_fff0usize as *mut *mut u8, buf.as_mut_ptr()) },
        if envc == 0 { errno::SUCCESS } else { errno::FAULT }
    );
}
