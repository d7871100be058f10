// The codec: messages to bytes and bytes to messages. Pure: no sockets, no event loop, no globals.
//
// Frame layout (big-endian):  u32 length | u8 type | body   where length = 1 + body size.
// Decoding never throws and never reads past what it was given. A stream is cut into frames by
// FrameSplitter (which checks the length prefix before buffering a byte of the body), and each
// frame is turned into a Message by decodeFrame(); StreamDecoder does both.
#pragma once

#include "lottery/protocol/byte_order.h"
#include "lottery/protocol/errors.h"
#include "lottery/protocol/limits.h"
#include "lottery/protocol/messages.h"
#include "lottery/protocol/utf8.h"

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lottery::protocol {

// ---------------------------------------------------------------------------------------------
// Encoding

namespace detail {

inline void appendText8(std::string &out, std::string_view text)
{
    appendU8(out, static_cast<std::uint8_t>(text.size()));
    out.append(text.data(), text.size());
}

inline void appendText16(std::string &out, std::string_view text)
{
    appendU16(out, static_cast<std::uint16_t>(text.size()));
    out.append(text.data(), text.size());
}

// Free text is cut (at a UTF-8 boundary) rather than refused: it is only ever explanatory.
inline std::string_view clipText(std::string_view text, std::size_t limit = kMaxTextBytes)
{
    if (text.size() <= limit)
        return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end);
}

inline void appendBet(std::string &out, const BetView &bet)
{
    appendText8(out, bet.firstName);
    appendText8(out, bet.lastName);
    appendText8(out, bet.document);
    appendText8(out, bet.birthdate);
    appendU16(out, bet.number);
}

inline void appendBody(std::string &out, const Hello &m)
{
    appendU16(out, m.version);
    appendU32(out, m.agency);
    appendText16(out, clipText(m.token));
}

inline void appendDigest(std::string &out, const Digest &digest)
{
    out.append(reinterpret_cast<const char *>(digest.data()), digest.size());
}

inline void appendBody(std::string &out, const Welcome &m)
{
    appendU16(out, m.version);
    appendU64(out, m.lastSequence);
    appendU64(out, m.storedBets);
    if (m.version >= kProtocolVersion2) {
        appendDigest(out, m.digest);
        appendU8(out, m.flags);
    }
}

inline void appendBody(std::string &out, const Batch &m)
{
    appendU64(out, m.sequence);
    appendU16(out, static_cast<std::uint16_t>(m.bets.size()));
    for (const Bet &bet : m.bets)
        appendBet(out, bet);
}

inline void appendBody(std::string &out, const Ack &m)
{
    appendU64(out, m.sequence);
    appendU16(out, m.count);
    appendU8(out, m.duplicate ? 1 : 0);
}

inline void appendBody(std::string &out, const Receipt &m)
{
    appendU64(out, m.sequence);
    appendU16(out, m.count);
    appendU8(out, m.duplicate ? 1 : 0);
    appendU64(out, m.storedBets);
    appendDigest(out, m.digest);
}

inline void appendBody(std::string &out, const Sealed &m)
{
    appendU64(out, m.closedAtMs);
    appendU8(out, static_cast<std::uint8_t>(m.reason));
    appendU64(out, m.totalBets);
    appendDigest(out, m.root);
    appendU64(out, m.agencyBets);
    appendDigest(out, m.agencyDigest);
}

inline void appendBody(std::string &out, const ListStored &m)
{
    appendU64(out, m.from);
    appendU16(out, m.count);
}

inline void appendBody(std::string &out, const StoredList &m)
{
    appendU64(out, m.from);
    appendU8(out, m.final ? 1 : 0);
    appendU16(out, static_cast<std::uint16_t>(m.bets.size()));
    for (const Bet &bet : m.bets)
        appendBet(out, bet);
}

inline void appendBody(std::string &out, const Reject &m)
{
    appendU64(out, m.sequence);
    appendU16(out, static_cast<std::uint16_t>(m.code));
    appendU16(out, m.betIndex);
    appendText16(out, clipText(m.reason));
}

inline void appendBody(std::string &, const Done &) { }
inline void appendBody(std::string &, const DoneAck &) { }
inline void appendBody(std::string &, const GetWinners &) { }

inline void appendBody(std::string &out, const Winners &m)
{
    appendU8(out, m.final ? 1 : 0);
    appendU16(out, static_cast<std::uint16_t>(m.documents.size()));
    for (const std::string &document : m.documents)
        appendText8(out, document);
}

inline void appendBody(std::string &out, const ErrorMessage &m)
{
    appendU16(out, static_cast<std::uint16_t>(m.code));
    appendText16(out, clipText(m.message));
}

} // namespace detail

// Size on the wire of one bet inside a BATCH body.
inline std::size_t encodedBetSize(const BetView &bet)
{
    return 4 + bet.firstName.size() + bet.lastName.size() + bet.document.size()
        + bet.birthdate.size() + 2;
}

// Size on the wire of one document inside a WINNERS body.
inline std::size_t encodedDocumentSize(const std::string &document)
{
    return 1 + document.size();
}

// Appends one whole frame to `out`. The caller keeps within the limits (bet fields up to
// kMaxBetFieldBytes, frames up to kMaxFrameSize): BatchBuilder and chunkWinners do that for the
// two variable-size messages; validateBet() refuses bets with longer fields.
inline void appendFrame(std::string &out, const Message &message)
{
    const std::size_t start = out.size();
    appendU32(out, 0); // patched below once the body size is known
    appendU8(out, static_cast<std::uint8_t>(typeOf(message)));
    std::visit([&out](const auto &m) { detail::appendBody(out, m); }, message);
    storeU32(out.data() + start, static_cast<std::uint32_t>(out.size() - start - kLengthFieldSize));
}

inline std::string encodeFrame(const Message &message)
{
    std::string out;
    appendFrame(out, message);
    return out;
}

// Splits a winners list into WINNERS messages that each fit in one frame; the last is final.
// An empty list still gives one (final, empty) message.
inline std::vector<Winners> chunkWinners(const std::vector<std::string> &documents)
{
    std::vector<Winners> chunks(1);
    std::size_t bodySize = kWinnersHeaderSize;
    for (const std::string &document : documents) {
        const std::size_t size = encodedDocumentSize(document);
        if (bodySize + size > kMaxBodySize || chunks.back().documents.size() == 0xFFFF) {
            chunks.back().final = false;
            chunks.emplace_back();
            bodySize = kWinnersHeaderSize;
        }
        chunks.back().documents.push_back(document);
        bodySize += size;
    }
    chunks.back().final = true;
    return chunks;
}

// Splits stored bets [from, from + bets.size()) into STORED_LIST messages that each fit in one
// frame; the last is final. `bets` must not be empty (LIST_STORED asks for at least one).
inline std::vector<StoredList> chunkStoredList(std::uint64_t from, std::vector<Bet> bets)
{
    std::vector<StoredList> chunks(1);
    chunks.back().from = from;
    std::size_t bodySize = kStoredListHeaderSize;
    for (Bet &bet : bets) {
        const std::size_t size = encodedBetSize(bet);
        if (!chunks.back().bets.empty() && bodySize + size > kMaxBodySize) {
            chunks.back().final = false;
            const std::uint64_t next = chunks.back().from + chunks.back().bets.size();
            chunks.emplace_back();
            chunks.back().from = next;
            bodySize = kStoredListHeaderSize;
        }
        chunks.back().bets.push_back(std::move(bet));
        bodySize += size;
    }
    chunks.back().final = true;
    return chunks;
}

// ---------------------------------------------------------------------------------------------
// Decoding

// One frame cut out of the stream: its type byte (not yet checked) and a view of its body.
// The view points into the splitter's buffer and is valid until the next call to feed().
struct RawFrame {
    std::uint8_t type = 0;
    std::string_view body;
};

enum class DecodeStatus { Ok, Incomplete, Malformed };

namespace detail {

// Reads fields front to back and records the first failure with its offset in the frame.
class BodyReader
{
public:
    explicit BodyReader(std::string_view body) : m_body(body) { }

    bool failed() const { return m_error.has_value(); }
    const DecodeError &error() const { return *m_error; }
    bool atEnd() const { return m_pos == m_body.size(); }
    std::size_t remaining() const { return m_body.size() - m_pos; }

    std::uint8_t u8(const char *field)
    {
        return need(1, field) ? std::uint8_t(m_body[m_pos++]) : 0;
    }

    std::uint16_t u16(const char *field)
    {
        if (!need(2, field))
            return 0;
        const std::uint16_t value = loadU16(m_body.data() + m_pos);
        m_pos += 2;
        return value;
    }

    std::uint32_t u32(const char *field)
    {
        if (!need(4, field))
            return 0;
        const std::uint32_t value = loadU32(m_body.data() + m_pos);
        m_pos += 4;
        return value;
    }

    std::uint64_t u64(const char *field)
    {
        if (!need(8, field))
            return 0;
        const std::uint64_t value = loadU64(m_body.data() + m_pos);
        m_pos += 8;
        return value;
    }

    std::string text8(const char *field) { return std::string(textView(u8(field), field)); }
    // A view into the body: valid as long as the bytes given to the reader.
    std::string_view textView8(const char *field) { return textView(u8(field), field); }

    std::string text16(const char *field)
    {
        const std::size_t lengthOffset = m_pos;
        const std::uint16_t length = u16(field);
        if (!failed() && length > kMaxTextBytes) {
            failAt(lengthOffset, DecodeErrorKind::InvalidValue,
                std::string(field) + " is " + std::to_string(length) + " bytes, over "
                    + std::to_string(kMaxTextBytes));
            return {};
        }
        return std::string(textView(length, field));
    }

    void fail(DecodeErrorKind kind, const std::string &detail)
    {
        if (!m_error)
            m_error = DecodeError {kind, kFrameHeaderSize + m_pos, detail};
    }

    void failAt(std::size_t bodyOffset, DecodeErrorKind kind, const std::string &detail)
    {
        if (!m_error)
            m_error = DecodeError {kind, kFrameHeaderSize + bodyOffset, detail};
    }

    std::size_t position() const { return m_pos; }

    // One whole bet when every field is there and valid: the hot path, without a check per
    // field. False (nothing consumed) otherwise; readBetView() then finds and reports the fault.
    bool tryBetView(BetView &bet)
    {
        if (m_error)
            return false;
        const char *p = m_body.data() + m_pos;
        const char *const end = m_body.data() + m_body.size();
        std::string_view fields[4];
        for (std::string_view &field : fields) {
            if (p == end)
                return false;
            const auto length = static_cast<std::size_t>(static_cast<unsigned char>(*p++));
            if (static_cast<std::size_t>(end - p) < length)
                return false;
            field = std::string_view(p, length);
            p += length;
        }
        if (end - p < 2)
            return false;
        // When every length byte is ASCII the four fields can be checked as one span, length
        // bytes included: an ASCII byte is a whole UTF-8 sequence and no sequence can run across
        // it, so the span is valid exactly when each field is. One call instead of four.
        const char *spanBegin = fields[0].data();
        const char *spanEnd = fields[3].data() + fields[3].size();
        const bool asciiLengths = fields[0].size() < 0x80 && fields[1].size() < 0x80
            && fields[2].size() < 0x80 && fields[3].size() < 0x80;
        if (asciiLengths) {
            if (!isValidUtf8(
                    std::string_view(spanBegin, static_cast<std::size_t>(spanEnd - spanBegin))))
                return false;
        } else {
            for (const std::string_view &field : fields) {
                if (!isValidUtf8(field))
                    return false;
            }
        }
        bet = BetView {fields[0], fields[1], fields[2], fields[3], loadU16(p)};
        m_pos = static_cast<std::size_t>(p + 2 - m_body.data());
        return true;
    }

private:
    bool need(std::size_t n, const char *field)
    {
        if (m_error)
            return false;
        if (m_body.size() - m_pos < n) {
            fail(DecodeErrorKind::Truncated,
                std::string(field) + " needs " + std::to_string(n) + " bytes, "
                    + std::to_string(m_body.size() - m_pos) + " left");
            return false;
        }
        return true;
    }

    std::string_view textView(std::size_t length, const char *field)
    {
        if (!need(length, field))
            return {};
        std::string_view bytes = m_body.substr(m_pos, length);
        if (!isValidUtf8(bytes)) {
            fail(DecodeErrorKind::InvalidUtf8, field);
            return {};
        }
        m_pos += length;
        return bytes;
    }

    std::string_view m_body;
    std::size_t m_pos = 0;
    std::optional<DecodeError> m_error;
};

inline Hello readHello(BodyReader &r)
{
    Hello m;
    m.version = r.u16("version");
    m.agency = r.u32("agency");
    m.token = r.text16("token");
    return m;
}

inline void readDigest(BodyReader &r, Digest &digest, const char *field)
{
    for (std::uint8_t &byte : digest)
        byte = r.u8(field);
}

// The body's layout follows its own version field: 18 bytes in version 1, 51 from version 2.
inline Welcome readWelcome(BodyReader &r)
{
    Welcome m;
    m.version = r.u16("version");
    m.lastSequence = r.u64("last sequence");
    m.storedBets = r.u64("stored bets");
    if (!r.failed() && m.version >= kProtocolVersion2) {
        readDigest(r, m.digest, "digest");
        const std::size_t flagsOffset = r.position();
        m.flags = r.u8("flags");
        if (!r.failed() && (m.flags & ~Welcome::kKnownFlags) != 0)
            r.failAt(flagsOffset, DecodeErrorKind::InvalidValue, "unknown WELCOME flags");
    }
    return m;
}

// A BATCH body's sequence and bet count; on failure `r` says why.
inline void readBatchHeader(BodyReader &r, std::uint64_t &sequence, std::uint16_t &count)
{
    sequence = r.u64("sequence");
    const std::size_t countOffset = r.position();
    count = r.u16("bet count");
    if (r.failed())
        return;
    if (count == 0) {
        r.failAt(countOffset, DecodeErrorKind::InvalidValue, "bet count is 0");
        return;
    }
    // Never trust (or reserve from) a count not checked against the bytes actually present.
    if (r.remaining() < std::size_t(count) * kMinEncodedBetSize) {
        r.failAt(countOffset, DecodeErrorKind::Truncated,
            "bet count " + std::to_string(count) + " does not fit in the frame");
    }
}

inline BetView readBetView(BodyReader &r)
{
    BetView bet;
    if (r.tryBetView(bet))
        return bet;
    bet.firstName = r.textView8("first name");
    bet.lastName = r.textView8("last name");
    bet.document = r.textView8("document");
    bet.birthdate = r.textView8("birthdate");
    bet.number = r.u16("number");
    return bet;
}

inline Batch readBatch(BodyReader &r)
{
    Batch m;
    std::uint16_t count = 0;
    readBatchHeader(r, m.sequence, count);
    if (r.failed())
        return m;
    m.bets.reserve(count);
    for (std::uint16_t i = 0; i < count && !r.failed(); ++i)
        m.bets.push_back(readBetView(r).toBet());
    return m;
}

inline void failOnTrailingBytes(BodyReader &r, MessageType type)
{
    if (!r.failed() && !r.atEnd()) {
        r.fail(DecodeErrorKind::TrailingBytes,
            std::to_string(r.remaining()) + " bytes after the last field of " + toString(type));
    }
}

inline Ack readAck(BodyReader &r)
{
    Ack m;
    m.sequence = r.u64("sequence");
    m.count = r.u16("count");
    const std::size_t flagOffset = r.position();
    const std::uint8_t duplicate = r.u8("duplicate flag");
    if (!r.failed() && duplicate > 1)
        r.failAt(flagOffset, DecodeErrorKind::InvalidValue, "duplicate flag is not 0 or 1");
    m.duplicate = duplicate == 1;
    return m;
}

inline Receipt readReceipt(BodyReader &r)
{
    Receipt m;
    m.sequence = r.u64("sequence");
    m.count = r.u16("count");
    const std::size_t flagOffset = r.position();
    const std::uint8_t duplicate = r.u8("duplicate flag");
    if (!r.failed() && duplicate > 1)
        r.failAt(flagOffset, DecodeErrorKind::InvalidValue, "duplicate flag is not 0 or 1");
    m.duplicate = duplicate == 1;
    m.storedBets = r.u64("stored bets");
    readDigest(r, m.digest, "digest");
    return m;
}

inline Sealed readSealed(BodyReader &r)
{
    Sealed m;
    m.closedAtMs = r.u64("closed at");
    const std::size_t reasonOffset = r.position();
    const std::uint8_t reason = r.u8("reason");
    if (!r.failed() && !isKnownCloseReason(reason))
        r.failAt(reasonOffset, DecodeErrorKind::InvalidValue,
            "unknown close reason " + std::to_string(reason));
    m.reason = static_cast<CloseReason>(reason);
    m.totalBets = r.u64("total bets");
    readDigest(r, m.root, "root");
    m.agencyBets = r.u64("agency bets");
    readDigest(r, m.agencyDigest, "agency digest");
    return m;
}

inline ListStored readListStored(BodyReader &r)
{
    ListStored m;
    m.from = r.u64("from");
    const std::size_t countOffset = r.position();
    m.count = r.u16("count");
    if (!r.failed() && (m.count == 0 || m.count > kMaxListedBets)) {
        r.failAt(countOffset, DecodeErrorKind::InvalidValue,
            "count " + std::to_string(m.count) + " is not 1.." + std::to_string(kMaxListedBets));
    }
    return m;
}

inline StoredList readStoredList(BodyReader &r)
{
    StoredList m;
    m.from = r.u64("from");
    const std::size_t flagOffset = r.position();
    const std::uint8_t final = r.u8("final flag");
    if (!r.failed() && final > 1)
        r.failAt(flagOffset, DecodeErrorKind::InvalidValue, "final flag is not 0 or 1");
    m.final = final == 1;
    const std::size_t countOffset = r.position();
    const std::uint16_t count = r.u16("bet count");
    if (r.failed())
        return m;
    if (count == 0) {
        r.failAt(countOffset, DecodeErrorKind::InvalidValue, "bet count is 0");
        return m;
    }
    if (r.remaining() < std::size_t(count) * kMinEncodedBetSize) {
        r.failAt(countOffset, DecodeErrorKind::Truncated,
            "bet count " + std::to_string(count) + " does not fit in the frame");
        return m;
    }
    m.bets.reserve(count);
    for (std::uint16_t i = 0; i < count && !r.failed(); ++i)
        m.bets.push_back(readBetView(r).toBet());
    return m;
}

inline ErrorCode readErrorCode(BodyReader &r)
{
    const std::size_t offset = r.position();
    const std::uint16_t code = r.u16("error code");
    if (!r.failed() && !isKnownErrorCode(code))
        r.failAt(
            offset, DecodeErrorKind::InvalidValue, "unknown error code " + std::to_string(code));
    return static_cast<ErrorCode>(code);
}

inline Reject readReject(BodyReader &r)
{
    Reject m;
    m.sequence = r.u64("sequence");
    m.code = readErrorCode(r);
    m.betIndex = r.u16("bet index");
    m.reason = r.text16("reason");
    return m;
}

inline Winners readWinners(BodyReader &r)
{
    Winners m;
    const std::size_t flagOffset = r.position();
    const std::uint8_t final = r.u8("final flag");
    if (!r.failed() && final > 1)
        r.failAt(flagOffset, DecodeErrorKind::InvalidValue, "final flag is not 0 or 1");
    m.final = final == 1;
    const std::size_t countOffset = r.position();
    const std::uint16_t count = r.u16("document count");
    if (!r.failed() && r.remaining() < std::size_t(count) * kMinEncodedDocumentSize) {
        r.failAt(countOffset, DecodeErrorKind::Truncated,
            "document count " + std::to_string(count) + " does not fit in the frame");
    }
    if (r.failed())
        return m;
    m.documents.reserve(count);
    for (std::uint16_t i = 0; i < count && !r.failed(); ++i)
        m.documents.push_back(r.text8("document"));
    return m;
}

inline ErrorMessage readError(BodyReader &r)
{
    ErrorMessage m;
    m.code = readErrorCode(r);
    m.message = r.text16("message");
    return m;
}

} // namespace detail

struct FrameDecodeResult {
    std::optional<Message> message;
    std::optional<DecodeError> error;
};

// Turns one cut-out frame into a message, or says exactly what is wrong with it.
inline FrameDecodeResult decodeFrame(const RawFrame &frame)
{
    using detail::BodyReader;
    if (!isKnownMessageType(frame.type)) {
        return {std::nullopt,
            DecodeError {DecodeErrorKind::UnknownType, kLengthFieldSize,
                "type byte " + std::to_string(frame.type)}};
    }
    BodyReader r(frame.body);
    Message message;
    switch (static_cast<MessageType>(frame.type)) {
    case MessageType::Hello: message = detail::readHello(r); break;
    case MessageType::Welcome: message = detail::readWelcome(r); break;
    case MessageType::Batch: message = detail::readBatch(r); break;
    case MessageType::Ack: message = detail::readAck(r); break;
    case MessageType::Reject: message = detail::readReject(r); break;
    case MessageType::Done: message = Done {}; break;
    case MessageType::DoneAck: message = DoneAck {}; break;
    case MessageType::GetWinners: message = GetWinners {}; break;
    case MessageType::Winners: message = detail::readWinners(r); break;
    case MessageType::Error: message = detail::readError(r); break;
    case MessageType::Receipt: message = detail::readReceipt(r); break;
    case MessageType::Sealed: message = detail::readSealed(r); break;
    case MessageType::ListStored: message = detail::readListStored(r); break;
    case MessageType::StoredList: message = detail::readStoredList(r); break;
    }
    detail::failOnTrailingBytes(r, static_cast<MessageType>(frame.type));
    if (r.failed())
        return {std::nullopt, r.error()};
    return {std::move(message), std::nullopt};
}

// Decodes a BATCH body one bet at a time, each a view into the body: the server's hot path, with
// no copy of any field. Accepts and refuses exactly what decodeFrame() does for the same body,
// with the same errors:
//     BatchReader reader(body);
//     BetView bet;
//     while (reader.next(bet)) { ... }
//     if (const auto error = reader.error()) { ... malformed ... }
class BatchReader
{
public:
    explicit BatchReader(std::string_view body) : m_reader(body)
    {
        detail::readBatchHeader(m_reader, m_sequence, m_count);
        if (m_reader.failed())
            m_count = 0;
    }

    std::uint64_t sequence() const { return m_sequence; }
    std::uint16_t count() const { return m_count; }

    // The next bet; false once every bet was read or the body turned out malformed.
    bool next(BetView &bet)
    {
        if (m_read == m_count || m_reader.failed())
            return false;
        bet = detail::readBetView(m_reader);
        ++m_read;
        if (m_read == m_count)
            detail::failOnTrailingBytes(m_reader, MessageType::Batch);
        return !m_reader.failed();
    }

    // Set when the body is malformed (known once next() has returned false).
    std::optional<DecodeError> error() const
    {
        if (m_reader.failed())
            return m_reader.error();
        return std::nullopt;
    }

private:
    detail::BodyReader m_reader;
    std::uint64_t m_sequence = 0;
    std::uint16_t m_count = 0;
    std::uint16_t m_read = 0;
};

// Cuts a byte stream into frames. Bytes can arrive in any split; the result is the same.
// A bad length prefix poisons the splitter: a byte stream cannot be resynchronised after it.
class FrameSplitter
{
public:
    void feed(const char *data, std::size_t size)
    {
        compact();
        m_buffer.append(data, size);
    }
    void feed(std::string_view bytes) { feed(bytes.data(), bytes.size()); }

    // feed() for a reader that can write into the buffer itself (no intermediate copy): room for
    // `size` more bytes at the end, then commitFeed() with the number actually written. Like
    // feed(), it invalidates the views handed out before.
    char *prepareFeed(std::size_t size)
    {
        compact();
        m_feedStart = m_buffer.size();
        m_buffer.resize(m_feedStart + size);
        return m_buffer.data() + m_feedStart;
    }
    void commitFeed(std::size_t written) { m_buffer.resize(m_feedStart + written); }

    // Ok: `frame` is set. Incomplete: feed more bytes. Malformed: `error()` says why; stop reading.
    DecodeStatus next(RawFrame &frame)
    {
        if (m_error)
            return DecodeStatus::Malformed;
        const std::size_t available = m_buffer.size() - m_consumed;
        if (available < kLengthFieldSize)
            return DecodeStatus::Incomplete;
        const std::uint32_t length = loadU32(m_buffer.data() + m_consumed);
        if (length == 0) {
            m_error = DecodeError {DecodeErrorKind::EmptyFrame, 0, "length prefix is 0"};
            return DecodeStatus::Malformed;
        }
        if (length > kMaxFrameSize - kLengthFieldSize) {
            m_error = DecodeError {DecodeErrorKind::FrameTooLarge, 0,
                "length prefix " + std::to_string(length) + " exceeds "
                    + std::to_string(kMaxFrameSize - kLengthFieldSize)};
            return DecodeStatus::Malformed;
        }
        if (available < kLengthFieldSize + length)
            return DecodeStatus::Incomplete;
        const char *start = m_buffer.data() + m_consumed;
        frame.type = static_cast<std::uint8_t>(start[kLengthFieldSize]);
        frame.body = std::string_view(start + kFrameHeaderSize, length - 1);
        m_consumed += kLengthFieldSize + length;
        return DecodeStatus::Ok;
    }

    const DecodeError &error() const { return *m_error; }

    // Bytes received but not yet returned as frames: a started frame, when non-zero.
    std::size_t pendingBytes() const { return m_buffer.size() - m_consumed; }

    // The type byte of the next frame, once its header has arrived (the frame may still be
    // incomplete); -1 before. Lets a reader decide whether to take the rest of the frame.
    int nextFrameType() const
    {
        if (m_error || pendingBytes() < kFrameHeaderSize)
            return -1;
        return static_cast<std::uint8_t>(m_buffer[m_consumed + kLengthFieldSize]);
    }

    // Where the body of `frame` (returned by next() since the last feed()) lies in the buffer:
    // the offset of those bytes in the string takeReturnedFrames() gives.
    std::size_t bodyOffset(const RawFrame &frame) const
    {
        return static_cast<std::size_t>(frame.body.data() - m_buffer.data());
    }

    // Hands over the buffer, so that a caller can keep the frames next() returned without
    // copying them: their bodies are at bodyOffset() in the returned string. The splitter keeps
    // only the bytes not yet returned (a started frame); views it gave out are invalid after.
    std::string takeReturnedFrames()
    {
        std::string returned;
        returned.swap(m_buffer);
        m_buffer.assign(returned, m_consumed, std::string::npos);
        m_consumed = 0;
        return returned;
    }

private:
    // Drops consumed bytes before appending, so views handed out by next() stay valid until feed().
    void compact()
    {
        if (m_consumed == 0)
            return;
        m_buffer.erase(0, m_consumed);
        m_consumed = 0;
    }

    std::string m_buffer;
    std::size_t m_consumed = 0;
    std::size_t m_feedStart = 0; // where prepareFeed()'s room begins
    std::optional<DecodeError> m_error;
};

// A FrameSplitter and decodeFrame() together: bytes in, messages out.
class StreamDecoder
{
public:
    void feed(const char *data, std::size_t size) { m_splitter.feed(data, size); }
    void feed(std::string_view bytes) { m_splitter.feed(bytes); }

    DecodeStatus next(Message &message)
    {
        if (m_error)
            return DecodeStatus::Malformed;
        RawFrame frame;
        const DecodeStatus status = m_splitter.next(frame);
        if (status == DecodeStatus::Malformed) {
            m_error = m_splitter.error();
            return status;
        }
        if (status == DecodeStatus::Incomplete)
            return status;
        FrameDecodeResult result = decodeFrame(frame);
        if (result.error) {
            m_error = std::move(result.error);
            return DecodeStatus::Malformed;
        }
        message = std::move(*result.message);
        return DecodeStatus::Ok;
    }

    const DecodeError &error() const { return *m_error; }
    std::size_t pendingBytes() const { return m_splitter.pendingBytes(); }

private:
    FrameSplitter m_splitter;
    std::optional<DecodeError> m_error;
};

} // namespace lottery::protocol
