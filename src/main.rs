//! The iamctl binary: everything is in the library (`src/lib.rs`), which the fuzz targets
//! link too.

fn main() {
    iamctl::main()
}
