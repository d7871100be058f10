// The file store's bets.csv row format (docs/PROTOCOL.md section 8, docs/AUDIT.md): written by
// the server, read back by its recovery and draw, by lottery-audit (tools/) and by the benchmarks.
// Header-only, no Qt.
#pragma once

#include "common/csv.h"
#include "lottery/protocol/messages.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace lottery {

// A bets.csv row: agency,first_name,last_name,document,birthdate,number\n
// Measured, then written in place, so that a writer of many rows can size its buffer once.
class StoredBetRow
{
public:
    StoredBetRow(std::uint32_t agency, const protocol::BetView &bet)
        : m_fields {bet.firstName, bet.lastName, bet.document, bet.birthdate}
    {
        m_agencyEnd = std::to_chars(m_agency, m_agency + sizeof m_agency, agency).ptr;
        m_numberEnd = std::to_chars(m_number, m_number + sizeof m_number, bet.number).ptr;
        m_size = static_cast<std::size_t>(m_agencyEnd - m_agency)
            + static_cast<std::size_t>(m_numberEnd - m_number) + 6; // five commas and a newline
        for (int i = 0; i < 4; ++i) {
            m_quoted[i] = csv_detail::csvFieldNeedsQuotes(m_fields[i]);
            m_size += csv_detail::csvFieldSize(m_fields[i], m_quoted[i]);
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
            out = csv_detail::writeCsvField(out, m_fields[i], m_quoted[i]);
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

inline void appendStoredBetRow(std::string &out, std::uint32_t agency, const protocol::BetView &bet)
{
    const StoredBetRow row(agency, bet);
    const std::size_t start = out.size();
    out.resize(start + row.size());
    row.writeTo(out.data() + start);
}

struct StoredBet {
    std::uint32_t agency = 0;
    protocol::Bet bet;
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
        agency, protocol::Bet {(*fields)[1], (*fields)[2], (*fields)[3], (*fields)[4], *number}};
}

} // namespace lottery
