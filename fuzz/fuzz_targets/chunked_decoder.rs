//! The chunked decoder on arbitrary bytes: never a panic, and the same outcome (data, bytes
//! consumed, done, or an error) whether the input arrives whole, split in two at a point
//! the input picks, or one byte at a time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tide::__fuzz::decode_chunked;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let whole = decode_chunked([body]);
    let cut = usize::from(pick) * 13 % (body.len() + 1);
    let (a, b) = body.split_at(cut);
    let halves = decode_chunked([a, b]);
    let bytes = decode_chunked(body.chunks(1));
    match &whole {
        Ok(decoded) => {
            assert_eq!(halves.as_ref().ok(), Some(decoded));
            assert_eq!(bytes.as_ref().ok(), Some(decoded));
            assert!(decoded.consumed <= body.len());
            assert!(decoded.data.len() < decoded.consumed.max(1));
        }
        Err(_) => {
            assert!(halves.is_err(), "{halves:?}");
            assert!(bytes.is_err(), "{bytes:?}");
        }
    }
});
