fn main() {
    eprintln!("iam-emulator: not yet implemented");
    std::process::exit(1);
}
