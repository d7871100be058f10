// CSV records, RFC 4180: splitting a record into fields and writing a field, the pieces both CSV
// forms of a bet share (the agencies' input rows, lottery/agency/agency_csv_row.h, and the file
// store's bets.csv rows, common/stored_bet_row.h). Header-only, no Qt.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lottery {

// Reusable buffers for cutting rows into fields: after the first rows, no allocation per row.
struct CsvRowScratch {
    std::vector<std::string_view> fields;
    std::string unescaped; // the text of quoted fields, quotes undoubled
};

// Splits one CSV record (without its line ending) into fields, RFC 4180: fields may be quoted,
// quotes inside quoted fields are doubled. Unquoted fields are views into `line`, quoted ones
// into `scratch.unescaped`. False on an unterminated or misplaced quote.
inline bool splitCsvRecordViews(std::string_view line, CsvRowScratch &scratch)
{
    auto &fields = scratch.fields;
    auto &text = scratch.unescaped;
    text.clear();
    // Unescaped text is never longer than the line: with this room it never moves, so the views
    // into it stay valid.
    if (text.capacity() < line.size())
        text.reserve(line.size());
    if (line.find('"') == std::string_view::npos) {
        // No quotes at all (nearly every row): the fields are what lies between the commas.
        // Slots of earlier rows are reused (no push_back per field), the surplus cut at the end.
        std::size_t count = 0;
        const auto put = [&fields, &count](std::string_view field) {
            if (count < fields.size())
                fields[count] = field;
            else
                fields.push_back(field);
            ++count;
        };
        std::size_t from = 0;
        for (std::size_t comma; (comma = line.find(',', from)) != std::string_view::npos;) {
            put(line.substr(from, comma - from));
            from = comma + 1;
        }
        put(line.substr(from));
        fields.resize(count);
        return true;
    }
    fields.clear();
    std::size_t i = 0;
    const std::size_t n = line.size();
    while (true) {
        if (i < n && line[i] == '"') {
            ++i;
            const std::size_t from = text.size();
            while (true) {
                if (i >= n)
                    return false; // unterminated quote
                if (line[i] == '"') {
                    if (i + 1 < n && line[i + 1] == '"') {
                        text.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                text.push_back(line[i++]);
            }
            if (i < n && line[i] != ',')
                return false; // text after a closing quote
            fields.emplace_back(text.data() + from, text.size() - from);
        } else {
            const std::size_t from = i;
            while (i < n && line[i] != ',') {
                if (line[i] == '"')
                    return false; // quote inside an unquoted field
                ++i;
            }
            fields.push_back(line.substr(from, i - from));
        }
        if (i >= n)
            break;
        ++i; // the comma
    }
    return true;
}

// splitCsvRecordViews() with fields of their own. Returns nullopt on malformed quoting.
inline std::optional<std::vector<std::string>> splitCsvRecord(std::string_view line)
{
    CsvRowScratch scratch;
    if (!splitCsvRecordViews(line, scratch))
        return std::nullopt;
    return std::vector<std::string>(scratch.fields.begin(), scratch.fields.end());
}

// Removes one trailing "\n" or "\r\n".
inline std::string_view stripLineEnding(std::string_view line)
{
    if (!line.empty() && line.back() == '\n')
        line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

// The number field of either row form: decimal digits only (no sign, no blanks), at most 5 and
// within a u16; whether it is a lottery number (0..9999) is validateBet()'s call.
inline std::optional<std::uint16_t> parseBetNumber(std::string_view text)
{
    if (text.empty() || text.size() > 5)
        return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 0xFFFF)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

namespace csv_detail {

inline bool csvFieldNeedsQuotes(std::string_view field)
{
    // One pass: find_first_of with a set calls memchr once per character of the field, which
    // was the top item of the server's profile (every stored bet goes through here).
    return std::any_of(field.begin(), field.end(),
        [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
}

// Bytes a field takes in a row, quotes and doubled quotes included.
inline std::size_t csvFieldSize(std::string_view field, bool quoted)
{
    if (!quoted)
        return field.size();
    return field.size() + 2 + static_cast<std::size_t>(std::count(field.begin(), field.end(), '"'));
}

inline char *writeCsvField(char *out, std::string_view field, bool quoted)
{
    if (!quoted) {
        std::memcpy(out, field.data(), field.size());
        return out + field.size();
    }
    *out++ = '"';
    for (char c : field) {
        if (c == '"')
            *out++ = '"';
        *out++ = c;
    }
    *out++ = '"';
    return out;
}

} // namespace csv_detail

// Quotes a field only when RFC 4180 requires it.
inline void appendCsvField(std::string &out, std::string_view field)
{
    const bool quoted = csv_detail::csvFieldNeedsQuotes(field);
    const std::size_t start = out.size();
    out.resize(start + csv_detail::csvFieldSize(field, quoted));
    csv_detail::writeCsvField(out.data() + start, field, quoted);
}
} // namespace lottery
