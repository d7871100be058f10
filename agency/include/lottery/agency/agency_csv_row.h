// An agency's input row (docs/PROTOCOL.md section 10): first_name,last_name,document,birthdate,
// number, RFC 4180 quoting. Only the row's shape is checked here; validateBet() judges the bet.
#pragma once

#include "common/csv.h"
#include "lottery/protocol/messages.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lottery::agency {

struct CsvBetResult {
    std::optional<protocol::Bet> bet;
    std::string error; // set when bet is empty
};

// An agency row: first_name,last_name,document,birthdate,number (a line ending is ignored). The
// row is only parsed here; validateBet() decides whether the bet itself is acceptable. On success
// `bet` views `line` and `scratch`; otherwise `error` says what is wrong with the row.
inline bool parseAgencyCsvRow(
    std::string_view line, CsvRowScratch &scratch, protocol::BetView &bet, std::string &error)
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
    bet = protocol::BetView {fields[0], fields[1], fields[2], fields[3], *number};
    return true;
}

// parseAgencyCsvRow() giving a Bet of its own.
inline CsvBetResult parseAgencyCsvLine(std::string_view line)
{
    CsvRowScratch scratch;
    protocol::BetView bet;
    std::string error;
    if (!parseAgencyCsvRow(line, scratch, bet, error))
        return {std::nullopt, std::move(error)};
    return {bet.toBet(), {}};
}

} // namespace lottery::agency
