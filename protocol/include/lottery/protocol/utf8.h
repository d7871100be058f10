// Strict UTF-8 validation (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
// QString::fromUtf8 would silently replace bad bytes, so bytes are checked before they are trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lottery::protocol {

namespace detail {

// Length of the multi-byte sequence that starts at s[0] (>= 0x80, `n` bytes available), or 0
// when it is not a valid one.
inline std::size_t utf8SequenceLength(const unsigned char *s, std::size_t n)
{
    const unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF) // two bytes: every accented Latin letter, so checked first
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the first continuation byte
    if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        if (c == 0xE0)
            low = 0xA0; // overlong
        if (c == 0xED)
            high = 0x9F; // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        if (c == 0xF0)
            low = 0x90; // overlong
        if (c == 0xF4)
            high = 0x8F; // above U+10FFFF
    } else {
        return 0;
    }
    if (n < length) // cut short by the end of the text
        return 0;
    if (s[1] < low || s[1] > high)
        return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    }
    return length;
}

} // namespace detail

inline bool isValidUtf8(std::string_view text)
{
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        // Runs of ASCII (nearly every byte of a bet) eight bytes at a time.
        while (n - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, s + i, 8);
            if (word & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = detail::utf8SequenceLength(s + i, n - i);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

// C0 controls and DEL. Without an early exit so that the compiler can vectorise the loop.
inline bool hasControlCharacter(std::string_view text)
{
    bool control = false;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        control |= u < 0x20 || u == 0x7F;
    }
    return control;
}

enum class TextScan { Ok, InvalidUtf8, ControlCharacter };

// isValidUtf8() and a search for control characters (C0 and DEL) in one pass: the two byte
// rules of a name. Invalid UTF-8 wins when both are broken.
inline TextScan scanText(std::string_view text)
{
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    const std::size_t n = text.size();
    bool control = false;
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            control |= c < 0x20 || c == 0x7F;
            ++i;
            continue;
        }
        const std::size_t length = detail::utf8SequenceLength(s + i, n - i);
        if (length == 0)
            return TextScan::InvalidUtf8;
        i += length;
    }
    return control ? TextScan::ControlCharacter : TextScan::Ok;
}

} // namespace lottery::protocol
