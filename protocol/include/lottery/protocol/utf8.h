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

enum class TextScan {
    Ok,
    InvalidUtf8,
    ControlCharacter, // C0 (U+0000..U+001F) or DEL
    C1Control, // U+0080..U+009F
    LineSeparator, // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
};

namespace detail {

// What a valid multi-byte sequence of `length` bytes at `s` breaks, if anything: only C1
// controls (c2 80..c2 9f) and U+2028/U+2029 (e2 80 a8, e2 80 a9) matter to a name.
inline TextScan classifySequence(const unsigned char *s, std::size_t length)
{
    if (length == 2 && s[0] == 0xC2 && s[1] < 0xA0)
        return TextScan::C1Control;
    if (length == 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
        return TextScan::LineSeparator;
    return TextScan::Ok;
}

} // namespace detail

// isValidUtf8() and a search for control characters (C0, DEL, C1) and line separators in one
// pass: the byte rules of a name. Invalid UTF-8 wins over the others, then the first found.
inline TextScan scanText(std::string_view text)
{
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    const std::size_t n = text.size();
    bool control = false;
    TextScan other = TextScan::Ok;
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
        if ((c == 0xC2 || c == 0xE2) && other == TextScan::Ok) // lead bytes of what is refused
            other = detail::classifySequence(s + i, length);
        i += length;
    }
    return control ? TextScan::ControlCharacter : other;
}

// scanText() for text already known to be valid UTF-8 (decoded from a frame): one vectorisable
// pass; the sequences are looked at only when a lead byte of a refused one (c2: U+0080..U+00BF,
// e2: U+2000..U+2FFF) appears, which accented letters (c3 xx) never are.
inline TextScan scanValidText(std::string_view text)
{
    // One accumulator: anything suspicious sends the text to the exact (slower) scan below.
    bool suspect = false;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        suspect |= (u < 0x20) | (u == 0x7F) | ((u | 0x20) == 0xE2); // c2, e2 differ in bit 0x20
    }
    if (!suspect)
        return TextScan::Ok;
    return scanText(text);
}

} // namespace lottery::protocol
