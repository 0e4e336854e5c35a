//! `Accept-Encoding` (RFC 9110 §12.5.3): which content codings a client takes, with their
//! q-values; shared by the compression middleware and the precompressed files of `fs`.

/// A content coding tide can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `br`.
    Brotli,
    /// `gzip` (or its old alias `x-gzip`).
    Gzip,
}

impl Coding {
    /// The token in `Content-Encoding`.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }
}

/// The q-values (in thousandths) a request's `Accept-Encoding` fields gave; `None` where a
/// coding was not named.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AcceptEncoding {
    brotli: Option<u16>,
    gzip: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
}

impl AcceptEncoding {
    /// Parses every `Accept-Encoding` field value; malformed members are skipped.
    pub(crate) fn parse<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> AcceptEncoding {
        let mut accept = AcceptEncoding::default();
        for value in values {
            let Ok(value) = std::str::from_utf8(value) else {
                continue;
            };
            for member in value.split(',') {
                let mut parts = member.split(';');
                let coding = parts.next().unwrap_or("").trim();
                let mut q = Some(1000);
                for parameter in parts {
                    if let Some((name, value)) = parameter.split_once('=')
                        && name.trim().eq_ignore_ascii_case("q")
                    {
                        q = parse_qvalue(value.trim());
                    }
                }
                let Some(q) = q else { continue };
                let slot = if coding.eq_ignore_ascii_case("br") {
                    &mut accept.brotli
                } else if coding.eq_ignore_ascii_case("gzip")
                    || coding.eq_ignore_ascii_case("x-gzip")
                {
                    &mut accept.gzip
                } else if coding.eq_ignore_ascii_case("identity") {
                    &mut accept.identity
                } else if coding == "*" {
                    &mut accept.any
                } else {
                    continue;
                };
                *slot = Some(q);
            }
        }
        accept
    }

    /// The q-value of `coding`: its own, else that of `*`, else 0.
    pub(crate) fn q(&self, coding: Coding) -> u16 {
        let own = match coding {
            Coding::Brotli => self.brotli,
            Coding::Gzip => self.gzip,
        };
        own.or(self.any).unwrap_or(0)
    }

    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    /// The q-value the client gave the body as it is (`identity`, else `*`); `None` when it
    /// named neither, and then the body as it is does not compete with a coding it accepts.
    fn identity_q(&self) -> Option<u16> {
        self.identity.or(self.any)
    }

    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    /// The coding to use among `offered` (in the server's order of preference, which breaks
    /// ties): the one with the highest q-value above 0, unless the client ranked the body as
    /// it is higher.
    pub(crate) fn choose(&self, offered: &[Coding]) -> Option<Coding> {
        let mut best: Option<(Coding, u16)> = None;
        for &coding in offered {
            let q = self.q(coding);
            if q > 0 && best.is_none_or(|(_, best_q)| q > best_q) {
                best = Some((coding, q));
            }
        }
        best.filter(|&(_, q)| self.identity_q().is_none_or(|identity| q >= identity))
            .map(|(coding, _)| coding)
    }
}

/// A qvalue: `0`, `1`, or up to three decimals (`0.5`, `1.000`); `None` if malformed.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Coding] = &[Coding::Brotli, Coding::Gzip];

    fn check(header: &str, expected: Option<Coding>) {
        let accept = AcceptEncoding::parse([header.as_bytes()]);
        assert_eq!(accept.choose(BOTH), expected, "Accept-Encoding: {header}");
    }

    #[test]
    fn picks_the_highest_q_value_with_the_servers_order_on_ties() {
        check("gzip, deflate, br", Some(Coding::Brotli));
        check("gzip", Some(Coding::Gzip));
        check("br;q=0.5, gzip;q=0.8", Some(Coding::Gzip));
        check("br;q=1.0, gzip;q=0.999", Some(Coding::Brotli));
        check("x-gzip", Some(Coding::Gzip));
        check("GZIP;Q=0.5", Some(Coding::Gzip));
        check("gzip;q=0.8", Some(Coding::Gzip));
        check("*", Some(Coding::Brotli));
        check("*;q=0.2, br;q=0", Some(Coding::Gzip));
    }

    #[test]
    fn nothing_when_refused_or_not_offered() {
        check("", None);
        check("deflate", None);
        check("identity", None);
        check("gzip;q=0, br;q=0", None);
        check("*;q=0", None);
        // The body as it is ranks above gzip here.
        check("gzip;q=0.5, identity", None);
        // ... and is refused here, so gzip it is, whatever its rank.
        check("gzip;q=0.1, identity;q=0", Some(Coding::Gzip));
    }

    #[test]
    fn malformed_q_values_skip_the_member() {
        check("br;q=2, gzip", Some(Coding::Gzip));
        check("br;q=0.12345, gzip", Some(Coding::Gzip));
        check("br;q=abc", None);
        check("br;q=1.5", None);
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("1."), Some(1000));
        assert_eq!(parse_qvalue(".5"), None);
    }

    #[test]
    fn several_fields_add_up() {
        let accept = AcceptEncoding::parse([b"gzip;q=0.4".as_slice(), b"br;q=0.9"]);
        assert_eq!(accept.choose(BOTH), Some(Coding::Brotli));
        assert_eq!(accept.q(Coding::Gzip), 400);
    }
}
