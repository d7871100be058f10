// Byte-exact golden frames for every message type, round trips, and each golden frame cut short
// or padded. The expected bytes below were written by hand from docs/PROTOCOL.md, not produced by
// the encoder: a change to the wire format must show up here as a failing row.
#include "lottery/protocol/codec.h"

#include <QByteArray>
#include <QTest>

#include <string>
#include <vector>

using namespace lottery::protocol;

namespace {

// Spaces and '|' in the literals are only there to show the field boundaries.
std::string fromHex(const char *hex)
{
    return QByteArray::fromHex(QByteArray(hex).replace('|', ' ')).toStdString();
}

QByteArray toHex(const std::string &bytes)
{
    return QByteArray::fromStdString(bytes).toHex(' ');
}

struct Golden {
    const char *name;
    Message message;
    const char *hex;
};

const std::vector<Golden> &goldens()
{
    static const std::vector<Golden> cases = {
        {"hello/agency 1, empty token", Hello {1, 1, ""},
            "00 00 00 09 | 01 | 00 01 | 00 00 00 01 | 00 00"},
        {"hello/agency 0x01020304, token abc", Hello {1, 0x01020304, "abc"},
            "00 00 00 0c | 01 | 00 01 | 01 02 03 04 | 00 03 61 62 63"},
        {"welcome/fresh agency", Welcome {1, 0, 0},
            "00 00 00 13 | 02 | 00 01 | 00 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00"},
        {"welcome/resume after 3 batches, 250 bets", Welcome {1, 3, 250},
            "00 00 00 13 | 02 | 00 01 | 00 00 00 00 00 00 00 03 | 00 00 00 00 00 00 00 fa"},
        {"welcome/big-endian u64", Welcome {0x0102, 0x0102030405060708ULL, 0x1112131415161718ULL},
            "00 00 00 13 | 02 | 01 02 | 01 02 03 04 05 06 07 08 | 11 12 13 14 15 16 17 18"},
        {"batch/two bets with accents",
            Batch {1,
                {Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
                    Bet {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42}}},
            "00 00 00 4e | 03 | 00 00 00 00 00 00 00 01 | 00 02"
            // Ana | Pérez | 30904465 | 1999-03-17 | 7574
            "| 03 41 6e 61 | 06 50 c3 a9 72 65 7a | 08 33 30 39 30 34 34 36 35"
            "| 0a 31 39 39 39 2d 30 33 2d 31 37 | 1d 96"
            // Juan | Gómez | 12345678 | 1980-12-01 | 42
            "| 04 4a 75 61 6e | 06 47 c3 b3 6d 65 7a | 08 31 32 33 34 35 36 37 38"
            "| 0a 31 39 38 30 2d 31 32 2d 30 31 | 00 2a"},
        {"batch/one bet, sequence 0x0a0b",
            Batch {0x0a0b, {Bet {"A", "B", "7", "2000-01-01", 9999}}},
            "00 00 00 1e | 03 | 00 00 00 00 00 00 0a 0b | 00 01"
            "| 01 41 | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f"},
        // The decoder checks structure only; the bet rules are validateBet()'s job, so that a
        // bad bet earns REJECT(InvalidBet, betIndex) rather than a malformed-frame ERROR.
        {"batch/bet with empty fields still decodes", Batch {3, {Bet {"", "", "", "", 0}}},
            "00 00 00 11 | 03 | 00 00 00 00 00 00 00 03 | 00 01 | 00 | 00 | 00 | 00 | 00 00"},
        {"batch/short birthdate then a full bet",
            Batch {4, {Bet {"A", "B", "1", "1990-1-1", 5}, Bet {"C", "D", "2", "1990-01-01", 6}}},
            "00 00 00 2f | 03 | 00 00 00 00 00 00 00 04 | 00 02"
            "| 01 41 | 01 42 | 01 31 | 08 31 39 39 30 2d 31 2d 31 | 00 05"
            "| 01 43 | 01 44 | 01 32 | 0a 31 39 39 30 2d 30 31 2d 30 31 | 00 06"},
        {"ack/stored", Ack {1, 2, false},
            "00 00 00 0c | 04 | 00 00 00 00 00 00 00 01 | 00 02 | 00"},
        {"ack/duplicate", Ack {0x0102030405060708ULL, 0x1234, true},
            "00 00 00 0c | 04 | 01 02 03 04 05 06 07 08 | 12 34 | 01"},
        {"reject/invalid bet 1", Reject {2, ErrorCode::InvalidBet, 1, "bad"},
            "00 00 00 12 | 05 | 00 00 00 00 00 00 00 02 | 00 07 | 00 01 | 00 03 62 61 64"},
        {"reject/whole batch, empty reason", Reject {9, ErrorCode::SequenceGap, kNoBetIndex, ""},
            "00 00 00 0f | 05 | 00 00 00 00 00 00 00 09 | 00 08 | ff ff | 00 00"},
        {"done", Done {}, "00 00 00 01 | 06"},
        {"done_ack", DoneAck {}, "00 00 00 01 | 07"},
        {"get_winners", GetWinners {}, "00 00 00 01 | 08"},
        {"winners/one document, final", Winners {true, {"30904465"}},
            "00 00 00 0d | 09 | 01 | 00 01 | 08 33 30 39 30 34 34 36 35"},
        {"winners/two documents, not final", Winners {false, {"1", "22"}},
            "00 00 00 09 | 09 | 00 | 00 02 | 01 31 | 02 32 32"},
        {"winners/one empty document", Winners {true, {""}}, "00 00 00 05 | 09 | 01 | 00 01 | 00"},
        {"winners/empty, final", Winners {true, {}}, "00 00 00 04 | 09 | 01 | 00 00"},
        {"error/shutting down", ErrorMessage {ErrorCode::ShuttingDown, "bye"},
            "00 00 00 08 | 0a | 00 0d | 00 03 62 79 65"},
        {"error/internal, accented message", ErrorMessage {ErrorCode::Internal, "\xc3\xb1"},
            "00 00 00 07 | 0a | 00 10 | 00 02 c3 b1"},
    };
    return cases;
}

// Decodes a whole buffer that should hold exactly one frame.
FrameDecodeResult decodeOne(const std::string &bytes)
{
    StreamDecoder decoder;
    decoder.feed(bytes);
    Message message;
    const DecodeStatus status = decoder.next(message);
    if (status == DecodeStatus::Malformed)
        return {std::nullopt, decoder.error()};
    if (status == DecodeStatus::Incomplete)
        return {std::nullopt, DecodeError {DecodeErrorKind::Truncated, bytes.size(), "incomplete"}};
    if (decoder.pendingBytes() != 0)
        return {std::nullopt, DecodeError {DecodeErrorKind::TrailingBytes, 0, "left in stream"}};
    return {std::move(message), std::nullopt};
}

// A golden frame with its body cut (or grown) to `bodySize` bytes and the length prefix to match.
std::string withBodySize(const std::string &frame, std::size_t bodySize)
{
    std::string out;
    appendU32(out, static_cast<std::uint32_t>(1 + bodySize));
    out.push_back(frame[kLengthFieldSize]);
    const std::string body = frame.substr(kFrameHeaderSize);
    out += body.substr(0, std::min(bodySize, body.size()));
    out.resize(kFrameHeaderSize + bodySize, '\x00');
    return out;
}

} // namespace

class TestProtocolCodec : public QObject
{
    Q_OBJECT

private slots:
    void everyMessageTypeHasAGolden();
    void goldenEncoding_data();
    void goldenEncoding();
    void goldenDecoding_data() { goldenEncoding_data(); }
    void goldenDecoding();
    void roundTrip_data();
    void roundTrip();
    void truncatedGolden_data() { goldenEncoding_data(); }
    void truncatedGolden();
    void trailingByteAfterGolden_data() { goldenEncoding_data(); }
    void trailingByteAfterGolden();
    void appendFrameAppends();
    void freeTextIsClippedAtACharacterBoundary();
    void decodeErrorWireCodes();
};

void TestProtocolCodec::everyMessageTypeHasAGolden()
{
    bool seen[256] = {};
    for (const Golden &golden : goldens())
        seen[static_cast<std::uint8_t>(typeOf(golden.message))] = true;
    for (int type = 0; type < 256; ++type)
        QCOMPARE(seen[type], isKnownMessageType(static_cast<std::uint8_t>(type)));
}

void TestProtocolCodec::goldenEncoding_data()
{
    QTest::addColumn<int>("index");
    for (std::size_t i = 0; i < goldens().size(); ++i)
        QTest::newRow(goldens()[i].name) << int(i);
}

void TestProtocolCodec::goldenEncoding()
{
    QFETCH(int, index);
    const Golden &golden = goldens()[index];
    QCOMPARE(toHex(encodeFrame(golden.message)), toHex(fromHex(golden.hex)));
}

void TestProtocolCodec::goldenDecoding()
{
    QFETCH(int, index);
    const Golden &golden = goldens()[index];
    const FrameDecodeResult result = decodeOne(fromHex(golden.hex));
    QVERIFY2(!result.error, result.error ? result.error->toString().c_str() : "");
    QCOMPARE(result.message->index(), golden.message.index());
    QVERIFY(*result.message == golden.message);
}

void TestProtocolCodec::roundTrip_data()
{
    QTest::addColumn<int>("index");
    for (std::size_t i = 0; i < goldens().size(); ++i)
        QTest::newRow(goldens()[i].name) << int(i);
}

void TestProtocolCodec::roundTrip()
{
    QFETCH(int, index);
    const Message &original = goldens()[index].message;
    const std::string bytes = encodeFrame(original);
    const FrameDecodeResult result = decodeOne(bytes);
    QVERIFY2(!result.error, result.error ? result.error->toString().c_str() : "");
    QVERIFY(*result.message == original);
    QCOMPARE(toHex(encodeFrame(*result.message)), toHex(bytes));
}

// Every strict prefix of a body is refused as truncated, at an offset inside what is present.
void TestProtocolCodec::truncatedGolden()
{
    QFETCH(int, index);
    const std::string frame = fromHex(goldens()[index].hex);
    const std::size_t bodySize = frame.size() - kFrameHeaderSize;
    for (std::size_t cut = 0; cut < bodySize; ++cut) {
        const FrameDecodeResult result = decodeOne(withBodySize(frame, cut));
        QVERIFY2(result.error, qPrintable(QString("body cut to %1 bytes decoded").arg(cut)));
        QCOMPARE(result.error->kind, DecodeErrorKind::Truncated);
        QVERIFY2(result.error->offset >= kFrameHeaderSize
                && result.error->offset <= kFrameHeaderSize + cut,
            result.error->toString().c_str());
    }
}

void TestProtocolCodec::trailingByteAfterGolden()
{
    QFETCH(int, index);
    const std::string frame = fromHex(goldens()[index].hex);
    const std::size_t bodySize = frame.size() - kFrameHeaderSize;
    const FrameDecodeResult result = decodeOne(withBodySize(frame, bodySize + 1));
    QVERIFY(result.error);
    QCOMPARE(result.error->kind, DecodeErrorKind::TrailingBytes);
    QCOMPARE(result.error->offset, frame.size());
}

void TestProtocolCodec::appendFrameAppends()
{
    std::string out = "xy";
    appendFrame(out, Done {});
    appendFrame(out, Ack {1, 2, false});
    QCOMPARE(toHex(out),
        toHex("xy" + fromHex("00 00 00 01 06")
            + fromHex("00 00 00 0c 04 00 00 00 00 00 00 00 01 00 02 00")));
}

// Free text longer than kMaxTextBytes is cut, never in the middle of a UTF-8 sequence, so the
// frame still decodes.
void TestProtocolCodec::freeTextIsClippedAtACharacterBoundary()
{
    std::string reason(kMaxTextBytes - 1, 'a');
    reason += "\xc3\xa9\xc3\xa9"; // U+00E9 straddles the limit
    const std::string bytes = encodeFrame(ErrorMessage {ErrorCode::Internal, reason});
    const FrameDecodeResult result = decodeOne(bytes);
    QVERIFY2(!result.error, result.error ? result.error->toString().c_str() : "");
    const auto &decoded = std::get<ErrorMessage>(*result.message);
    QCOMPARE(decoded.message, std::string(kMaxTextBytes - 1, 'a'));

    const std::string exact(kMaxTextBytes, 'b');
    const FrameDecodeResult kept = decodeOne(encodeFrame(Hello {1, 2, exact}));
    QVERIFY(kept.message);
    QVERIFY(std::get<Hello>(*kept.message).token == exact);
}

void TestProtocolCodec::decodeErrorWireCodes()
{
    QCOMPARE(
        DecodeError({DecodeErrorKind::FrameTooLarge, 0, ""}).wireCode(), ErrorCode::FrameTooLarge);
    QCOMPARE(DecodeError({DecodeErrorKind::UnknownType, 4, ""}).wireCode(),
        ErrorCode::UnknownMessageType);
    QCOMPARE(
        DecodeError({DecodeErrorKind::InvalidUtf8, 9, ""}).wireCode(), ErrorCode::MalformedFrame);
    QCOMPARE(DecodeError({DecodeErrorKind::Truncated, 7, "agency"}).toString(),
        std::string("truncated field at byte 7: agency"));
    for (std::uint16_t code = 1; code <= 16; ++code)
        QVERIFY(std::string(toString(static_cast<ErrorCode>(code))) != "unknown_error");
    QVERIFY(!isKnownErrorCode(0));
    QVERIFY(!isKnownErrorCode(17));
}

// Spelled out: QTEST_APPLESS_MAIN trips clang's -Wpedantic (empty variadic macro argument).
int main(int argc, char **argv)
{
    TestProtocolCodec test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_protocol_codec.moc"
