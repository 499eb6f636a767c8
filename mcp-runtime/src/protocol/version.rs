//! Protocol revisions and the two eras they belong to.

use std::fmt;

/// A revision of the MCP specification that this runtime speaks.
///
/// The first three are the session-based (legacy) era; 2026-07-28 is the stateless (modern) era.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// 2025-03-26: streamable HTTP, sessions, tool annotations.
    V2025_03_26,
    /// 2025-06-18: structured tool output, elicitation, no JSON-RPC batching.
    V2025_06_18,
    /// 2025-11-25: icons, URL elicitation, tasks.
    V2025_11_25,
    /// 2026-07-28: stateless requests, `server/discover`, input-required results.
    V2026_07_28,
}

/// Both eras' revisions, oldest first.
pub const SUPPORTED_VERSIONS: [ProtocolVersion; 4] = [
    ProtocolVersion::V2025_03_26,
    ProtocolVersion::V2025_06_18,
    ProtocolVersion::V2025_11_25,
    ProtocolVersion::V2026_07_28,
];

/// Which era a revision belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Era {
    /// `initialize`, `Mcp-Session-Id`, a GET stream: 2025-03-26 to 2025-11-25.
    Legacy,
    /// Stateless requests that carry their own `_meta`: 2026-07-28.
    Modern,
}

impl ProtocolVersion {
    /// The newest revision of the session-based era, offered when a client asks for one we lack.
    pub const LATEST_LEGACY: Self = Self::V2025_11_25;
    /// The newest revision overall.
    pub const LATEST: Self = Self::V2026_07_28;

    /// The revision's date string, as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a revision string; `None` for revisions this runtime does not speak.
    pub fn parse(s: &str) -> Option<Self> {
        SUPPORTED_VERSIONS.into_iter().find(|v| v.as_str() == s)
    }

    /// The era this revision belongs to.
    pub const fn era(self) -> Era {
        match self {
            Self::V2026_07_28 => Era::Modern,
            _ => Era::Legacy,
        }
    }

    /// A dense index, for tables with one entry per revision.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether tool results carry `structuredContent` and tools an `outputSchema`.
    pub const fn has_structured_output(self) -> bool {
        !matches!(self, Self::V2025_03_26)
    }

    /// Whether tools, prompts, resources and implementations carry `icons` (2025-11-25 and later).
    pub const fn has_icons(self) -> bool {
        matches!(self, Self::V2025_11_25 | Self::V2026_07_28)
    }

    /// Whether tools carry `title` (2025-06-18 and later).
    pub const fn has_titles(self) -> bool {
        !matches!(self, Self::V2025_03_26)
    }
}

/// Whether a version string belongs to the legacy (session-based) era, including older
/// revisions this runtime does not speak, such as 2024-11-05.
pub fn is_legacy_version_string(s: &str) -> bool {
    matches!(s, "2024-11-05" | "2024-10-07")
        || ProtocolVersion::parse(s).is_some_and(|v| v.era() == Era::Legacy)
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ProtocolVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unsupported protocol version `{s}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_revision_and_nothing_else() {
        for v in SUPPORTED_VERSIONS {
            assert_eq!(ProtocolVersion::parse(v.as_str()), Some(v));
        }
        assert_eq!(ProtocolVersion::parse("2024-11-05"), None);
        assert_eq!(ProtocolVersion::parse("v999.0.0"), None);
    }

    #[test]
    fn eras() {
        assert_eq!(ProtocolVersion::V2025_11_25.era(), Era::Legacy);
        assert_eq!(ProtocolVersion::V2026_07_28.era(), Era::Modern);
        assert!(is_legacy_version_string("2024-11-05"));
        assert!(!is_legacy_version_string("2026-07-28"));
        assert!(!is_legacy_version_string("v999.0.0"));
    }
}
