// The CSV forms of a bet: the agencies' input rows and the server's bets.csv rows (RFC 4180).
#pragma once

#include "lottery/protocol/messages.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lottery::protocol {

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
    fields.clear();
    text.clear();
    // Unescaped text is never longer than the line: with this room it never moves, so the views
    // into it stay valid.
    if (text.capacity() < line.size())
        text.reserve(line.size());
    if (line.find('"') == std::string_view::npos) {
        // No quotes at all (nearly every row): the fields are what lies between the commas.
        std::size_t from = 0;
        while (true) {
            const std::size_t comma = line.find(',', from);
            if (comma == std::string_view::npos) {
                fields.push_back(line.substr(from));
                return true;
            }
            fields.push_back(line.substr(from, comma - from));
            from = comma + 1;
        }
    }
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

// An agency row: first_name,last_name,document,birthdate,number (a line ending is ignored). The
// row is only parsed here; validateBet() decides whether the bet itself is acceptable. On success
// `bet` views `line` and `scratch`; otherwise `error` says what is wrong with the row.
inline bool parseAgencyCsvRow(
    std::string_view line, CsvRowScratch &scratch, BetView &bet, std::string &error)
{
    if (!splitCsvRecordViews(stripLineEnding(line), scratch)) {
        error = "malformed CSV quoting";
        return false;
    }
    const auto &fields = scratch.fields;
    if (fields.size() != 5) {
        error = "expected 5 fields, found " + std::to_string(fields.size());
        return false;
    }
    const auto number = parseBetNumber(fields[4]);
    if (!number) {
        error = "number is not an integer";
        return false;
    }
    bet = BetView {fields[0], fields[1], fields[2], fields[3], *number};
    return true;
}

// parseAgencyCsvRow() giving a Bet of its own.
inline CsvBetResult parseAgencyCsvLine(std::string_view line)
{
    CsvRowScratch scratch;
    BetView bet;
    std::string error;
    if (!parseAgencyCsvRow(line, scratch, bet, error))
        return {std::nullopt, std::move(error)};
    return {bet.toBet(), {}};
}

namespace detail {

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

} // namespace detail

// Quotes a field only when RFC 4180 requires it.
inline void appendCsvField(std::string &out, std::string_view field)
{
    const bool quoted = detail::csvFieldNeedsQuotes(field);
    const std::size_t start = out.size();
    out.resize(start + detail::csvFieldSize(field, quoted));
    detail::writeCsvField(out.data() + start, field, quoted);
}

// A bets.csv row: agency,first_name,last_name,document,birthdate,number\n
// Sized first and written in place: one resize per row instead of a dozen appends.
inline void appendStoredBetRow(std::string &out, std::uint32_t agency, const BetView &bet)
{
    const std::string_view fields[] = {bet.firstName, bet.lastName, bet.document, bet.birthdate};
    bool quoted[4];
    char agencyDigits[12];
    char numberDigits[8];
    const char *agencyEnd
        = std::to_chars(agencyDigits, agencyDigits + sizeof agencyDigits, agency).ptr;
    const char *numberEnd
        = std::to_chars(numberDigits, numberDigits + sizeof numberDigits, bet.number).ptr;
    std::size_t size = static_cast<std::size_t>(agencyEnd - agencyDigits)
        + static_cast<std::size_t>(numberEnd - numberDigits) + 6; // five commas and the newline
    for (int i = 0; i < 4; ++i) {
        quoted[i] = detail::csvFieldNeedsQuotes(fields[i]);
        size += detail::csvFieldSize(fields[i], quoted[i]);
    }
    const std::size_t start = out.size();
    out.resize(start + size);
    char *p = out.data() + start;
    std::memcpy(p, agencyDigits, static_cast<std::size_t>(agencyEnd - agencyDigits));
    p += agencyEnd - agencyDigits;
    for (int i = 0; i < 4; ++i) {
        *p++ = ',';
        p = detail::writeCsvField(p, fields[i], quoted[i]);
    }
    *p++ = ',';
    std::memcpy(p, numberDigits, static_cast<std::size_t>(numberEnd - numberDigits));
    p += numberEnd - numberDigits;
    *p = '\n';
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
