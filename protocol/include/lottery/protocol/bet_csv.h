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
// Measured, then written in place, so that a writer of many rows can size its buffer once.
class StoredBetRow
{
public:
    StoredBetRow(std::uint32_t agency, const BetView &bet)
        : m_fields {bet.firstName, bet.lastName, bet.document, bet.birthdate}
    {
        m_agencyEnd = std::to_chars(m_agency, m_agency + sizeof m_agency, agency).ptr;
        m_numberEnd = std::to_chars(m_number, m_number + sizeof m_number, bet.number).ptr;
        m_size = static_cast<std::size_t>(m_agencyEnd - m_agency)
            + static_cast<std::size_t>(m_numberEnd - m_number) + 6; // five commas and a newline
        for (int i = 0; i < 4; ++i) {
            m_quoted[i] = detail::csvFieldNeedsQuotes(m_fields[i]);
            m_size += detail::csvFieldSize(m_fields[i], m_quoted[i]);
        }
    }

    std::size_t size() const { return m_size; }

    // Writes exactly size() bytes at `out`; returns the end.
    char *writeTo(char *out) const
    {
        std::memcpy(out, m_agency, static_cast<std::size_t>(m_agencyEnd - m_agency));
        out += m_agencyEnd - m_agency;
        for (int i = 0; i < 4; ++i) {
            *out++ = ',';
            out = detail::writeCsvField(out, m_fields[i], m_quoted[i]);
        }
        *out++ = ',';
        std::memcpy(out, m_number, static_cast<std::size_t>(m_numberEnd - m_number));
        out += m_numberEnd - m_number;
        *out++ = '\n';
        return out;
    }

private:
    std::string_view m_fields[4];
    bool m_quoted[4] = {};
    char m_agency[12] = {};
    char m_number[8] = {};
    const char *m_agencyEnd = m_agency;
    const char *m_numberEnd = m_number;
    std::size_t m_size = 0;
};

inline void appendStoredBetRow(std::string &out, std::uint32_t agency, const BetView &bet)
{
    const StoredBetRow row(agency, bet);
    const std::size_t start = out.size();
    out.resize(start + row.size());
    row.writeTo(out.data() + start);
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
