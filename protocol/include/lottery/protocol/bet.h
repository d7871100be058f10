// What a valid bet is: the one definition that the server and the agencies share.
#pragma once

#include "lottery/protocol/codec.h"
#include "lottery/protocol/limits.h"
#include "lottery/protocol/messages.h"
#include "lottery/protocol/utf8.h"

#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace lottery::protocol {

struct CivilDate {
    int year = 0;
    int month = 0;
    int day = 0;

    bool operator<(const CivilDate &o) const
    {
        if (year != o.year)
            return year < o.year;
        if (month != o.month)
            return month < o.month;
        return day < o.day;
    }
};

inline bool isLeapYear(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

inline int daysInMonth(int year, int month)
{
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && isLeapYear(year) ? 29 : kDays[month - 1];
}

// Parses exactly "YYYY-MM-DD" into a real calendar date (no 2023-02-29, no 2023-13-01).
inline std::optional<CivilDate> parseIsoDate(std::string_view text)
{
    if (text.size() != 10 || text[4] != '-' || text[7] != '-')
        return std::nullopt;
    auto digits = [&text](std::size_t from, std::size_t count, int &value) {
        value = 0;
        for (std::size_t i = from; i < from + count; ++i) {
            if (text[i] < '0' || text[i] > '9')
                return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    };
    CivilDate date;
    if (!digits(0, 4, date.year) || !digits(5, 2, date.month) || !digits(8, 2, date.day))
        return std::nullopt;
    if (date.month < 1 || date.month > 12 || date.day < 1
        || date.day > daysInMonth(date.year, date.month))
        return std::nullopt;
    return date;
}

enum class BetField { FirstName, LastName, Document, Birthdate, Number };

inline const char *toString(BetField field)
{
    switch (field) {
    case BetField::FirstName: return "first_name";
    case BetField::LastName: return "last_name";
    case BetField::Document: return "document";
    case BetField::Birthdate: return "birthdate";
    case BetField::Number: return "number";
    }
    return "field";
}

struct BetError {
    BetField field;
    std::string reason; // human readable, names the field and the rule

    std::string toString() const { return reason; }
};

// Whether the bet's text is still to be checked for UTF-8. A bet decoded from a frame is known
// valid (the decoder refuses a frame with bad UTF-8), so the server need not check it twice.
enum class Utf8Check { Needed, AlreadyDone };

namespace detail {

inline bool startsWith(std::string_view value, std::string_view prefix)
{
    return value.size() >= prefix.size() && value.substr(0, prefix.size()) == prefix;
}

inline bool endsWith(std::string_view value, std::string_view suffix)
{
    return value.size() >= suffix.size() && value.substr(value.size() - suffix.size()) == suffix;
}

// A name's first character that a spreadsheet opening bets.csv would run as a formula
// (CSV injection): '=', '+', '-', '@'. No real name begins with one ("Pérez-Gómez" has its
// hyphen inside), so they are refused as not being names rather than escaped.
inline bool isFormulaStart(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@';
}

inline std::optional<BetError> checkName(std::string_view value, BetField field, Utf8Check utf8)
{
    // The field's name as a string only for an error: valid names (nearly all) need no copy.
    const auto name = [field] { return std::string(protocol::toString(field)); };
    if (value.empty())
        return BetError {field, name() + " is empty"};
    if (value.size() > kMaxBetFieldBytes)
        return BetError {
            field, name() + " is longer than " + std::to_string(kMaxBetFieldBytes) + " bytes"};
    const TextScan scan = utf8 == Utf8Check::Needed ? scanText(value) : scanValidText(value);
    switch (scan) {
    case TextScan::Ok: break;
    case TextScan::InvalidUtf8: return BetError {field, name() + " is not valid UTF-8"};
    case TextScan::ControlCharacter:
        return BetError {field, name() + " contains a control character"};
    case TextScan::C1Control:
        return BetError {field, name() + " contains a C1 control character (U+0080..U+009F)"};
    case TextScan::LineSeparator:
        return BetError {field, name() + " contains a line or paragraph separator (U+2028/U+2029)"};
    }
    if (value.front() == ' ' || value.back() == ' ')
        return BetError {field, name() + " has leading or trailing spaces"};
    // Byte tests first: a valid name (nearly every one) costs two comparisons here.
    const auto first = static_cast<unsigned char>(value.front());
    if (first >= 0x80 || isFormulaStart(value.front())) {
        if (startsWith(value, "\xef\xbb\xbf")) // U+FEFF
            return BetError {field, name() + " begins with a byte order mark (U+FEFF)"};
        if (startsWith(value, "\xc2\xa0")) // U+00A0
            return BetError {field, name() + " has a leading or trailing no-break space (U+00A0)"};
        if (isFormulaStart(value.front()))
            return BetError {field,
                name() + " begins with '" + std::string(1, value.front())
                    + "': not a name (a spreadsheet would run it as a formula)"};
    }
    if (value.back() == '\xa0' && endsWith(value, "\xc2\xa0"))
        return BetError {field, name() + " has a leading or trailing no-break space (U+00A0)"};
    return std::nullopt;
}

} // namespace detail

// The bet rules. `today` is passed in so that the rule stays a pure function.
inline std::optional<BetError> validateBet(
    const BetView &bet, const CivilDate &today, Utf8Check utf8 = Utf8Check::Needed)
{
    if (auto error = detail::checkName(bet.firstName, BetField::FirstName, utf8))
        return error;
    if (auto error = detail::checkName(bet.lastName, BetField::LastName, utf8))
        return error;
    if (bet.document.empty())
        return BetError {BetField::Document, "document is empty"};
    if (bet.document.size() > kMaxDocumentDigits)
        return BetError {BetField::Document,
            "document has more than " + std::to_string(kMaxDocumentDigits) + " digits"};
    for (char c : bet.document) {
        if (c < '0' || c > '9')
            return BetError {BetField::Document, "document must contain only digits"};
    }
    const std::optional<CivilDate> birth = parseIsoDate(bet.birthdate);
    if (!birth)
        return BetError {BetField::Birthdate, "birthdate is not a real date in YYYY-MM-DD form"};
    if (birth->year < kMinBirthYear)
        return BetError {
            BetField::Birthdate, "birthdate is before " + std::to_string(kMinBirthYear)};
    if (today < *birth)
        return BetError {BetField::Birthdate, "birthdate is in the future"};
    if (bet.number > kMaxBetNumber)
        return BetError {BetField::Number, "number is above " + std::to_string(kMaxBetNumber)};
    return std::nullopt;
}

inline bool isWinner(const BetView &bet)
{
    return bet.number == kWinningNumber;
}

namespace detail {

// Whether a bet of `betSize` wire bytes may join a batch of `count` bets and `bodySize` body
// bytes: at most `maxBets` bets, one frame, a u16 count. An empty batch takes any valid bet.
inline bool batchHasRoom(
    std::size_t count, std::size_t bodySize, std::size_t betSize, std::size_t maxBets)
{
    return count == 0 || (count < maxBets && bodySize + betSize <= kMaxBodySize && count < 0xFFFF);
}

} // namespace detail

// Groups bets into BATCH messages of at most `maxBets` bets that each fit in one frame.
// Feed bets with add(); when it returns false the current batch is full: take() it and add again.
class BatchBuilder
{
public:
    explicit BatchBuilder(std::size_t maxBets) : m_maxBets(maxBets == 0 ? 1 : maxBets) { }

    // False when the bet does not fit: take() the batch, then add the bet to the next one. The bet
    // is moved from only when it was added, so `add(std::move(bet))` never loses a bet that did
    // not fit. A single valid bet always fits in an empty batch.
    bool add(Bet &&bet)
    {
        if (!fits(bet))
            return false;
        m_bodySize += encodedBetSize(bet);
        m_batch.bets.push_back(std::move(bet));
        return true;
    }

    bool add(const Bet &bet)
    {
        if (!fits(bet))
            return false;
        m_bodySize += encodedBetSize(bet);
        m_batch.bets.push_back(bet);
        return true;
    }

    bool fits(const BetView &bet) const
    {
        return detail::batchHasRoom(
            m_batch.bets.size(), m_bodySize, encodedBetSize(bet), m_maxBets);
    }

    bool empty() const { return m_batch.bets.empty(); }
    bool full() const { return m_batch.bets.size() >= m_maxBets; }
    std::size_t size() const { return m_batch.bets.size(); }

    Batch take(std::uint64_t sequence)
    {
        Batch batch = std::move(m_batch);
        batch.sequence = sequence;
        m_batch = Batch {};
        m_bodySize = kBatchHeaderSize;
        return batch;
    }

private:
    std::size_t m_maxBets;
    std::size_t m_bodySize = kBatchHeaderSize;
    Batch m_batch;
};

// BatchBuilder's streaming twin: encodes each added bet straight into the bytes of a BATCH frame,
// so a bet read from a file is copied once, into the frame, and no Bet is built. Same limits as
// BatchBuilder; finish() gives exactly what encodeFrame() gives for the same batch.
class BatchFrameEncoder
{
public:
    explicit BatchFrameEncoder(std::size_t maxBets)
        : m_maxBets(maxBets == 0 ? 1 : maxBets), m_frame(kMaxFrameSize, '\0')
    {
        reset();
    }

    // False when the bet does not fit: finish() this frame, then add the bet to the next one.
    bool add(const BetView &bet)
    {
        const std::size_t size = encodedBetSize(bet);
        if (!detail::batchHasRoom(m_count, bodySize(), size, m_maxBets))
            return false;
        // Written in place: the buffer is a whole frame long (batchHasRoom keeps us inside it).
        char *p = m_frame.data() + m_size;
        m_size += size;
        for (std::string_view field : {bet.firstName, bet.lastName, bet.document, bet.birthdate}) {
            *p++ = static_cast<char>(field.size());
            std::memcpy(p, field.data(), field.size());
            p += field.size();
        }
        storeU16(p, bet.number);
        ++m_count;
        return true;
    }

    bool empty() const { return m_count == 0; }
    bool full() const { return m_count >= m_maxBets; }
    std::size_t size() const { return m_count; }

    // The whole frame, numbered `sequence`; the encoder starts again with an empty batch.
    std::string finish(std::uint64_t sequence)
    {
        char *header = m_frame.data();
        storeU32(header, static_cast<std::uint32_t>(m_size - kLengthFieldSize));
        header[kLengthFieldSize] = static_cast<char>(MessageType::Batch);
        storeU64(header + kFrameHeaderSize, sequence);
        storeU16(header + kFrameHeaderSize + 8, static_cast<std::uint16_t>(m_count));
        std::string frame(m_frame.data(), m_size); // a copy of the bytes used: no zero-fill
        reset();
        return frame;
    }

private:
    std::size_t bodySize() const { return m_size - kFrameHeaderSize; }

    void reset()
    {
        m_size = kFrameHeaderSize + kBatchHeaderSize; // the header is patched by finish()
        m_count = 0;
    }

    std::size_t m_maxBets;
    std::size_t m_count = 0;
    std::size_t m_size = 0; // bytes of m_frame in use
    std::string m_frame;
};

} // namespace lottery::protocol
