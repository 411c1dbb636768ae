//! Panics (the guest aborts: a trap with a backtrace through these functions).

#[inline(never)]
fn deepest_function(n: u32) -> u32 {
    if n == 0 {
        panic!("the guest gave up");
    }
    std::hint::black_box(n)
}

fn main() {
    let n = std::env::args().count() as u32 - 1;
    println!("before the panic");
    deepest_function(std::hint::black_box(n));
}
