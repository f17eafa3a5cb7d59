#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kizuna_fuzz::message_csv(data));
