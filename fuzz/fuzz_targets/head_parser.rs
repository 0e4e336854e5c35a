//! The request-head parser on arbitrary bytes: never a panic; a complete head lies within
//! the input; "need more bytes" for every proper prefix of a head it accepts (parsing is
//! resumable), and the same head again from exactly its own bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tide::__fuzz::parse_head;

fuzz_target!(|data: &[u8]| {
    let Ok(Some(head)) = parse_head(data) else {
        return;
    };
    assert!(head.len <= data.len(), "{head:?}");
    assert_eq!(parse_head(&data[..head.len]), Ok(Some(head.clone())));
    // One proper prefix, picked by the input: still only "need more bytes".
    let cut = usize::from(data[0]) * 7 % head.len;
    assert_eq!(parse_head(&data[..cut]), Ok(None), "prefix of {cut} bytes");
});
