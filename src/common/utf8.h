#pragma once
// UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) — the one
// validator of the tree: label names and values, quoted names in the exposition formats, OTLP
// strings, JSON escaping.

#include <cstddef>
#include <string_view>

namespace astrolabe {

// The length of the well-formed UTF-8 sequence at the start of `s`: 1 for ASCII, 2–4 otherwise,
// 0 when `s` does not start with one (empty, a stray continuation byte, an overlong, a surrogate,
// beyond U+10FFFF, or cut short).
size_t Utf8SequenceLength(std::string_view s);

// Whether all of `s` is well-formed UTF-8. ASCII runs are checked eight bytes at a time.
bool IsValidUtf8(std::string_view s);

}  // namespace astrolabe
