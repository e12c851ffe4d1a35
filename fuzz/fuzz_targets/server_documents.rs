#![no_main]
// Body and invariants: nhiscan::fuzzing::server_documents (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::server_documents(data));
