#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenwarden_fuzz::forwarded_for(data));
