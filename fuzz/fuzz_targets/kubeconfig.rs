//! `credential kubectl --install`: a kubeconfig (YAML), the cluster's name before a NUL byte. See `iamctl::fuzz::kubeconfig`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::kubeconfig(data);
});
