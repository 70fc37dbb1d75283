//! Which address a request came from, behind reverse proxies we trust.
//!
//! Behind a proxy every request arrives from the proxy's address, so
//! throttling, the audit log and "last used" would see one client. The
//! proxy reports the real one in `X-Forwarded-For`, but any client can send
//! that header too, so it is read only when the request comes from a trusted
//! proxy, and then from the right: each trusted proxy appends the address it
//! received from, so the right-most address that is not a trusted proxy is
//! the client; everything left of it is whatever that client claimed.
//!
//! The trusted list is empty unless an admin sets it (CIDR ranges): by
//! default the header is ignored.

use std::{fmt, net::IpAddr, str::FromStr};

/// An address range: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let bad = || format!("'{s}' is not an IP address or CIDR range (such as 10.0.0.0/8 or 2001:db8::/32)");
        let (address, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network = canonical(address.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// A comma- or space-separated list of CIDR ranges; empty means none.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split([',', ' ', '\t', '\n'])
            .filter(|s| !s.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client's address: `peer` (the socket's) unless `peer` is a trusted
    /// proxy, else the right-most `X-Forwarded-For` address (over every such
    /// header, in order) that is not a trusted proxy. An entry that is not an
    /// address stops the walk at the last good hop: only a trusted proxy's
    /// own entries are believed, and a proxy that sends garbage is not
    /// reporting a client.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&[u8]]) -> IpAddr {
        let mut current = canonical(peer);
        if !self.trusts(current) {
            return current;
        }
        let entries: Vec<&[u8]> = forwarded_for
            .iter()
            .flat_map(|value| value.split(|b| *b == b','))
            .collect();
        for entry in entries.into_iter().rev() {
            let Some(ip) = entry_address(entry) else {
                return current;
            };
            current = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        current
    }
}

/// One `X-Forwarded-For` entry (between commas): an address, `v4:port`,
/// `[v6]` or `[v6]:port`, as its canonical address.
pub fn entry_address(entry: &[u8]) -> Option<IpAddr> {
    let entry = std::str::from_utf8(entry).ok()?.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = entry.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return port_ok.then(|| v6.parse::<IpAddr>().ok().map(canonical)).flatten();
    }
    let (v4, port) = entry.rsplit_once(':')?;
    let ip: std::net::Ipv4Addr = v4.parse().ok()?;
    is_port(port).then_some(IpAddr::V4(ip))
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as dual-stack sockets
/// report IPv4 peers) as the IPv4 address they are.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_contain() {
        let ten: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.200.3.4")) && !ten.contains(ip("11.0.0.1")));
        assert!(ten.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped peers count as IPv4");
        let one: Cidr = "192.168.1.7".parse().unwrap();
        assert!(one.contains(ip("192.168.1.7")) && !one.contains(ip("192.168.1.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "::/129",
            "10.0.0.0/+8",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        let list = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1 ::1").unwrap();
        assert!(list.trusts(ip("127.0.0.1")) && list.trusts(ip("::1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/8,bogus")
            .unwrap_err()
            .contains("'bogus' is not an IP address"));
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.2"), &[b"1.2.3.4"]), ip("10.0.0.2"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // A client talking to us directly cannot claim another address.
        assert_eq!(proxies.client(ip("203.0.113.9"), &[b"1.2.3.4"]), ip("203.0.113.9"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client forged "6.6.6.6"; our proxy appended what it saw.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &[b"6.6.6.6, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Two proxies of ours in a row, and headers split over two lines.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &[b"6.6.6.6", b"203.0.113.9, 10.1.1.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &[b"[2001:db8::7]:443"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &[b"198.51.100.1:5555"]),
            ip("198.51.100.1")
        );
        // No header, or only our own proxies: the left-most hop we know.
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        assert_eq!(proxies.client(ip("10.0.0.2"), &[b"10.9.9.9"]), ip("10.9.9.9"));
        // Garbage stops the walk at the last proxy that reported it.
        assert_eq!(proxies.client(ip("10.0.0.2"), &[b"1.2.3.4, junk"]), ip("10.0.0.2"));
        assert_eq!(proxies.client(ip("10.0.0.2"), &[b"junk, 10.3.3.3"]), ip("10.3.3.3"));
    }

    proptest! {
        // Whatever a client sends, the answer is the peer or an address a
        // trusted proxy reported, never one the client put left of it.
        #[test]
        fn a_client_cannot_pick_its_address(forged in proptest::collection::vec(any::<[u8; 4]>(), 0..5), real in any::<[u8; 4]>()) {
            let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
            let real = IpAddr::from(real);
            prop_assume!(!proxies.trusts(real));
            let mut header: Vec<String> = forged.iter().map(|b| IpAddr::from(*b).to_string()).collect();
            header.push(real.to_string());
            let header = header.join(", ");
            prop_assert_eq!(proxies.client(ip("10.0.0.1"), &[header.as_bytes()]), real);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let proxies = TrustedProxies::parse("0.0.0.0/0 ::/0").unwrap();
            let _ = proxies.client(ip("10.0.0.1"), &[&bytes]);
            let _ = String::from_utf8_lossy(&bytes).parse::<Cidr>();
        }
    }
}
