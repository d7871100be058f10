// The CSV forms of a bet: the agencies' input rows and the server's bets.csv rows (RFC 4180).
#pragma once

#include "lottery/protocol/messages.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lottery::protocol {

// Splits one CSV record (without its line ending) into fields, RFC 4180: fields may be quoted,
// quotes inside quoted fields are doubled. Returns nullopt on an unterminated or misplaced quote.
inline std::optional<std::vector<std::string>> splitCsvRecord(std::string_view line)
{
    std::vector<std::string> fields;
    fields.reserve(6); // an agency row has 5 fields, a stored row 6: no regrowth per row
    std::string field;
    std::size_t i = 0;
    const std::size_t n = line.size();
    while (true) {
        field.clear();
        if (i < n && line[i] == '"') {
            ++i;
            while (true) {
                if (i >= n)
                    return std::nullopt; // unterminated quote
                if (line[i] == '"') {
                    if (i + 1 < n && line[i + 1] == '"') {
                        field.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field.push_back(line[i++]);
            }
            if (i < n && line[i] != ',')
                return std::nullopt; // text after a closing quote
        } else {
            while (i < n && line[i] != ',') {
                if (line[i] == '"')
                    return std::nullopt; // quote inside an unquoted field
                field.push_back(line[i++]);
            }
        }
        fields.push_back(field);
        if (i >= n)
            break;
        ++i; // the comma
    }
    return fields;
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

inline std::optional<std::uint16_t> parseBetNumber(std::string_view text)
{
    unsigned value = 0;
    if (text.empty() || text.size() > 5)
        return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > 0xFFFF)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

struct CsvBetResult {
    std::optional<Bet> bet;
    std::string error; // set when bet is empty
};

// An agency row: first_name,last_name,document,birthdate,number. The row is only parsed here;
// validateBet() decides whether the bet itself is acceptable.
inline CsvBetResult parseAgencyCsvLine(std::string_view line)
{
    const auto fields = splitCsvRecord(stripLineEnding(line));
    if (!fields)
        return {std::nullopt, "malformed CSV quoting"};
    if (fields->size() != 5)
        return {std::nullopt, "expected 5 fields, found " + std::to_string(fields->size())};
    const auto number = parseBetNumber((*fields)[4]);
    if (!number)
        return {std::nullopt, "number is not an integer"};
    Bet bet {(*fields)[0], (*fields)[1], (*fields)[2], (*fields)[3], *number};
    return {std::move(bet), {}};
}

// Quotes a field only when RFC 4180 requires it.
inline void appendCsvField(std::string &out, std::string_view field)
{
    // One pass: find_first_of with a set calls memchr once per character of the field, which
    // was the top item of the server's profile (every stored bet goes through here).
    const bool needsQuotes = std::any_of(field.begin(), field.end(),
        [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
    if (!needsQuotes) {
        out.append(field.data(), field.size());
        return;
    }
    out.push_back('"');
    for (char c : field) {
        if (c == '"')
            out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

// A bets.csv row: agency,first_name,last_name,document,birthdate,number\n
inline void appendStoredBetRow(std::string &out, std::uint32_t agency, const Bet &bet)
{
    out.append(std::to_string(agency));
    out.push_back(',');
    appendCsvField(out, bet.firstName);
    out.push_back(',');
    appendCsvField(out, bet.lastName);
    out.push_back(',');
    appendCsvField(out, bet.document);
    out.push_back(',');
    appendCsvField(out, bet.birthdate);
    out.push_back(',');
    out.append(std::to_string(bet.number));
    out.push_back('\n');
}

struct StoredBet {
    std::uint32_t agency = 0;
    Bet bet;
};

inline std::optional<StoredBet> parseStoredBetRow(std::string_view line)
{
    const auto fields = splitCsvRecord(stripLineEnding(line));
    if (!fields || fields->size() != 6)
        return std::nullopt;
    unsigned agency = 0;
    const std::string &agencyText = (*fields)[0];
    const auto [end, ec]
        = std::from_chars(agencyText.data(), agencyText.data() + agencyText.size(), agency);
    if (ec != std::errc() || end != agencyText.data() + agencyText.size())
        return std::nullopt;
    const auto number = parseBetNumber((*fields)[5]);
    if (!number)
        return std::nullopt;
    return StoredBet {
        agency, Bet {(*fields)[1], (*fields)[2], (*fields)[3], (*fields)[4], *number}};
}

} // namespace lottery::protocol
