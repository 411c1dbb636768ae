//! Prints one line and returns: the smallest whole WASI program (instantiation benchmarks).

fn main() {
    println!("hello, world");
}
