// The one place that knows the wire is big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lottery::protocol {

inline void appendU8(std::string &out, std::uint8_t value)
{
    out.push_back(static_cast<char>(value));
}

inline void appendU16(std::string &out, std::uint16_t value)
{
    out.push_back(static_cast<char>(value >> 8));
    out.push_back(static_cast<char>(value & 0xFF));
}

inline void appendU32(std::string &out, std::uint32_t value)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

inline void appendU64(std::string &out, std::uint64_t value)
{
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

// Overwrite bytes already reserved (a length or count patched in once it is known).
inline void storeU16(char *p, std::uint16_t value)
{
    p[0] = static_cast<char>(value >> 8);
    p[1] = static_cast<char>(value & 0xFF);
}

inline void storeU32(char *p, std::uint32_t value)
{
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<char>((value >> (24 - 8 * i)) & 0xFF);
}

inline void storeU64(char *p, std::uint64_t value)
{
    storeU32(p, static_cast<std::uint32_t>(value >> 32));
    storeU32(p + 4, static_cast<std::uint32_t>(value & 0xFFFFFFFFu));
}

// Callers check the bounds first; these only assemble bytes.
inline std::uint16_t loadU16(const char *p)
{
    const auto *b = reinterpret_cast<const unsigned char *>(p);
    return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

inline std::uint32_t loadU32(const char *p)
{
    const auto *b = reinterpret_cast<const unsigned char *>(p);
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8)
        | std::uint32_t(b[3]);
}

inline std::uint64_t loadU64(const char *p)
{
    return (std::uint64_t(loadU32(p)) << 32) | loadU32(p + 4);
}

} // namespace lottery::protocol
