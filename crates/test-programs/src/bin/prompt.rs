//! Writes a prompt without a newline, then waits for a line on stdin: the prompt must reach
//! the terminal (here, the test's pipe) before the input is read.

use std::io::{BufRead, Write};

fn main() {
    print!("name? ");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    println!("hello {}", line.trim());
}
