fn main() {
    println!("iamctl {}", env!("CARGO_PKG_VERSION"));
}
