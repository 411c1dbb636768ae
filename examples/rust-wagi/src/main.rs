//! A WAGI handler in Rust: greets the `name` in the query, and counts the bytes of a POSTed
//! body. `lucent serve` runs it once per request.
use std::io::Read;

fn main() {
    let query = std::env::var("QUERY_STRING").unwrap_or_default();
    let name = query.split('&').find_map(|pair| pair.strip_prefix("name=")).unwrap_or("world");
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body).expect("stdin");
    if name.is_empty() {
        print!("Status: 400 Bad Request\nContent-Type: text/plain\n\nname is empty\n");
        return;
    }
    print!("Content-Type: text/plain\n\nHello, {name}, from Rust!\n");
    if !body.is_empty() {
        println!("You sent {} bytes.", body.len());
    }
}
