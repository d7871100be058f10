// Byte-exact golden frames for every message type, round trips, and each golden frame cut short
// or padded. The expected bytes below were written by hand from docs/PROTOCOL.md, not produced by
// the encoder: a change to the wire format must show up here as a failing row. BatchFrameEncoder
// gives encodeFrame()'s bytes and cuts frames where BatchBuilder does.
#include "lottery/protocol/bet.h"
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

Digest digestFromHex(const char *hex)
{
    const QByteArray bytes = QByteArray::fromHex(hex);
    Digest digest {};
    std::copy(bytes.begin(), bytes.end(), digest.begin());
    return digest;
}

// Written out by hand (Python's hashlib over the bytes docs/PROTOCOL.md gives), not computed by
// the code under test; tst_bet_digest checks the code against the same values.
const Digest kDigestOfNothing
    = digestFromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
const Digest kDigestOfWorkedExample
    = digestFromHex("789a88cf70adbb5621969f29fc302ae3faab33620f26659bc49dcfe9b96bc053");

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
        {"welcome/big-endian u64", Welcome {1, 0x0102030405060708ULL, 0x1112131415161718ULL},
            "00 00 00 13 | 02 | 00 01 | 01 02 03 04 05 06 07 08 | 11 12 13 14 15 16 17 18"},
        // Version 2: the digest of no bets is SHA-256 of nothing.
        {"welcome/v2 fresh agency", Welcome {2, 0, 0, kDigestOfNothing, 0},
            "00 00 00 34 | 02 | 00 02 | 00 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00"
            "| e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b"
            "  78 52 b8 55 | 00"},
        {"welcome/v2 done agency", Welcome {2, 1, 2, kDigestOfWorkedExample, 1},
            "00 00 00 34 | 02 | 00 02 | 00 00 00 00 00 00 00 01 | 00 00 00 00 00 00 00 02"
            "| 78 9a 88 cf 70 ad bb 56 21 96 9f 29 fc 30 2a e3 fa ab 33 62 0f 26 65 9b c4 9d cf e9"
            "  b9 6b c0 53 | 01"},
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
        // The receipt of docs/PROTOCOL.md's worked example: batch 1, Ana and Juan.
        {"receipt/worked example", Receipt {1, 2, false, 2, kDigestOfWorkedExample},
            "00 00 00 34 | 0b | 00 00 00 00 00 00 00 01 | 00 02 | 00 | 00 00 00 00 00 00 00 02"
            "| 78 9a 88 cf 70 ad bb 56 21 96 9f 29 fc 30 2a e3 fa ab 33 62 0f 26 65 9b c4 9d cf e9"
            "  b9 6b c0 53"},
        {"sealed/operator close, agency 1 of the worked example",
            Sealed {0x0000019AF3C2E400ULL, CloseReason::Operator, 5, kDigestOfNothing, 2,
                kDigestOfWorkedExample},
            "00 00 00 5a | 0c | 00 00 01 9a f3 c2 e4 00 | 03 | 00 00 00 00 00 00 00 05"
            "| e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b"
            "  78 52 b8 55 | 00 00 00 00 00 00 00 02"
            "| 78 9a 88 cf 70 ad bb 56 21 96 9f 29 fc 30 2a e3 fa ab 33 62 0f 26 65 9b c4 9d cf e9"
            "  b9 6b c0 53"},
        // Version 2: LIST_STORED and the STORED_LIST answer (docs/PROTOCOL.md, section 4).
        {"list_stored/the first two stored bets", ListStored {0, 2},
            "00 00 00 0b | 0d | 00 00 00 00 00 00 00 00 | 00 02"},
        {"list_stored/1024 from 1000", ListStored {1000, 1024},
            "00 00 00 0b | 0d | 00 00 00 00 00 00 03 e8 | 04 00"},
        {"stored_list/the worked example's two bets, final",
            StoredList {0, true,
                {Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
                    Bet {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42}}},
            "00 00 00 4f | 0e | 00 00 00 00 00 00 00 00 | 01 | 00 02"
            "| 03 41 6e 61 | 06 50 c3 a9 72 65 7a | 08 33 30 39 30 34 34 36 35"
            "| 0a 31 39 39 39 2d 30 33 2d 31 37 | 1d 96"
            "| 04 4a 75 61 6e | 06 47 c3 b3 6d 65 7a | 08 31 32 33 34 35 36 37 38"
            "| 0a 31 39 38 30 2d 31 32 2d 30 31 | 00 2a"},
        {"stored_list/one bet from 5, more follow",
            StoredList {5, false, {Bet {"A", "B", "7", "2000-01-01", 9999}}},
            "00 00 00 1f | 0e | 00 00 00 00 00 00 00 05 | 00 | 00 01"
            "| 01 41 | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f"},
        {"reject/sales closed", Reject {7, ErrorCode::SalesClosed, kNoBetIndex, ""},
            "00 00 00 0f | 05 | 00 00 00 00 00 00 00 07 | 00 12 | ff ff | 00 00"},
        {"error/agency disabled", ErrorMessage {ErrorCode::AgencyDisabled, "off"},
            "00 00 00 08 | 0a | 00 13 | 00 03 6f 66 66"},
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

// Where two byte strings first differ; empty when they are equal.
QByteArray firstDifference(const std::string &got, const std::string &expected)
{
    if (got == expected)
        return {};
    std::size_t i = 0;
    while (i < got.size() && i < expected.size() && got[i] == expected[i])
        ++i;
    return "sizes " + QByteArray::number(qsizetype(got.size())) + " and "
        + QByteArray::number(qsizetype(expected.size())) + ", first difference at byte "
        + QByteArray::number(qsizetype(i));
}

// A name of `size` bytes, mostly two-byte UTF-8 so that sizes and characters differ.
std::string nameOf(std::size_t size, char filler)
{
    std::string name;
    while (name.size() + 2 <= size)
        name += "\xc3\xb1";
    if (name.size() < size)
        name.push_back(filler);
    return name;
}

// A deterministic stream of bets, many with 255-byte names, of sizes that fill frames unevenly.
std::vector<Bet> longNamedBets(std::size_t count)
{
    std::vector<Bet> bets;
    std::uint32_t state = 12345;
    const auto next = [&state](std::uint32_t bound) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % bound;
    };
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t first = next(3) == 0 ? 1 + next(255) : 255;
        const std::size_t last = next(4) == 0 ? next(256) : 255;
        bets.push_back(Bet {nameOf(first, 'a'), nameOf(last, 'b'),
            std::to_string(10000000 + i).substr(0, 1 + next(8)), "1990-01-02",
            static_cast<std::uint16_t>(next(10000))});
    }
    return bets;
}

// Feeds the same bets to a BatchBuilder and a BatchFrameEncoder of the same maxBets; both must
// refuse the same bet, and each encoder frame must be encodeFrame() of the builder's batch.
// Empty when they agree; counts the frames closed by the bet limit and by the frame limit.
QByteArray compareEncoderWithBuilder(const std::vector<Bet> &bets, std::size_t maxBets,
    int *fullByCount = nullptr, int *fullBySize = nullptr)
{
    BatchBuilder builder(maxBets);
    BatchFrameEncoder encoder(maxBets);
    std::uint64_t sequence = 1;
    const auto flush = [&]() -> QByteArray {
        const std::string expected = encodeFrame(builder.take(sequence));
        const std::string frame = encoder.finish(sequence);
        ++sequence;
        if (frame.size() > kMaxFrameSize)
            return "frame of " + QByteArray::number(qsizetype(frame.size())) + " bytes";
        if (!encoder.empty() || encoder.size() != 0)
            return "encoder not empty after finish()";
        const QByteArray difference = firstDifference(frame, expected);
        if (!difference.isEmpty())
            return "frame " + QByteArray::number(qulonglong(sequence - 1)) + ": " + difference;
        return {};
    };
    for (std::size_t i = 0; i < bets.size(); ++i) {
        // The encoder gets views into a copy it does not own, as the agency gives it.
        const Bet copy = bets[i];
        const BetView view(copy);
        const bool added = builder.add(bets[i]);
        if (encoder.add(view) != added)
            return "bet " + QByteArray::number(qsizetype(i))
                + ": add() differs from BatchBuilder's";
        if (encoder.size() != builder.size() || encoder.full() != builder.full()
            || encoder.empty() != builder.empty())
            return "bet " + QByteArray::number(qsizetype(i)) + ": size/full/empty differ";
        if (!added) {
            if (builder.size() >= maxBets) {
                if (fullByCount)
                    ++*fullByCount;
            } else if (fullBySize) {
                ++*fullBySize;
            }
            const QByteArray error = flush();
            if (!error.isEmpty())
                return error;
            if (!builder.add(bets[i]) || !encoder.add(view))
                return "bet " + QByteArray::number(qsizetype(i)) + " refused by an empty batch";
        }
    }
    if (!builder.empty())
        return flush();
    return {};
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
    void batchFrameEncoderMatchesEncodeFrame_data();
    void batchFrameEncoderMatchesEncodeFrame();
    void batchFrameEncoderStopsWhereBatchBuilderDoes_data();
    void batchFrameEncoderStopsWhereBatchBuilderDoes();
    void batchFrameEncoderFillsTheFrameExactly();
    void batchFrameEncoderIsReusableAfterFinish();
    void batchFrameEncoderMaxBetsZeroIsOne();
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
    for (std::uint16_t code = 1; code <= 19; ++code) {
        QVERIFY(isKnownErrorCode(code));
        QVERIFY(std::string(toString(static_cast<ErrorCode>(code))) != "unknown_error");
    }
    QCOMPARE(std::string(toString(ErrorCode::SequenceConflict)), std::string("sequence_conflict"));
    QVERIFY(!isKnownErrorCode(0));
    QCOMPARE(std::string(toString(ErrorCode::SalesClosed)), std::string("sales_closed"));
    QCOMPARE(std::string(toString(ErrorCode::AgencyDisabled)), std::string("agency_disabled"));
    QVERIFY(!isKnownErrorCode(20));
}

void TestProtocolCodec::batchFrameEncoderMatchesEncodeFrame_data()
{
    QTest::addColumn<int>("index");
    for (std::size_t i = 0; i < goldens().size(); ++i) {
        if (std::holds_alternative<Batch>(goldens()[i].message))
            QTest::newRow(goldens()[i].name) << int(i);
    }
}

// Every golden BATCH, built bet by bet: the same bytes as encodeFrame() and as the golden.
void TestProtocolCodec::batchFrameEncoderMatchesEncodeFrame()
{
    QFETCH(int, index);
    const Golden &golden = goldens()[index];
    const auto *batch = std::get_if<Batch>(&golden.message);
    QVERIFY(batch);
    BatchFrameEncoder encoder(batch->bets.size());
    QVERIFY(encoder.empty());
    for (const Bet &bet : batch->bets)
        QVERIFY(encoder.add(bet));
    QCOMPARE(encoder.size(), batch->bets.size());
    QVERIFY(encoder.full());
    const std::string frame = encoder.finish(batch->sequence);
    QCOMPARE(toHex(frame), toHex(encodeFrame(*batch)));
    QCOMPARE(toHex(frame), toHex(fromHex(golden.hex)));
}

void TestProtocolCodec::batchFrameEncoderStopsWhereBatchBuilderDoes_data()
{
    QTest::addColumn<int>("maxBets");
    QTest::addColumn<bool>("byCount"); // some frames must close on the bet limit
    QTest::addColumn<bool>("bySize"); // some frames must close on the 8 KiB limit
    QTest::newRow("maxBets 1") << 1 << true << false;
    QTest::newRow("maxBets 2") << 2 << true << false;
    QTest::newRow("maxBets 7") << 7 << true << false;
    // Around 17 bets of this stream fill a frame: both limits are hit.
    QTest::newRow("maxBets 17") << 17 << true << true;
    QTest::newRow("maxBets 18") << 18 << true << true;
    QTest::newRow("maxBets 20") << 20 << false << true;
    QTest::newRow("maxBets 100") << 100 << false << true;
    QTest::newRow("maxBets 65535") << 65535 << false << true;
}

void TestProtocolCodec::batchFrameEncoderStopsWhereBatchBuilderDoes()
{
    QFETCH(int, maxBets);
    QFETCH(bool, byCount);
    QFETCH(bool, bySize);
    const std::vector<Bet> bets = longNamedBets(600);
    int fullByCount = 0;
    int fullBySize = 0;
    const QByteArray mismatch
        = compareEncoderWithBuilder(bets, std::size_t(maxBets), &fullByCount, &fullBySize);
    QVERIFY2(mismatch.isEmpty(), mismatch.constData());
    QCOMPARE(fullByCount > 0, byCount);
    QCOMPARE(fullBySize > 0, bySize);

    // Small bets too: many to a frame, so the frame limit falls between small bets.
    std::vector<Bet> small;
    for (int i = 0; i < 3000; ++i)
        small.push_back(Bet {
            "Ana", "P\xc3\xa9rez", std::to_string(i), "1999-03-17", static_cast<std::uint16_t>(i)});
    const QByteArray smallMismatch = compareEncoderWithBuilder(small, std::size_t(maxBets));
    QVERIFY2(smallMismatch.isEmpty(), smallMismatch.constData());
}

// 14 bets of 546 wire bytes and one of 533 make a body of exactly kMaxBodySize: the last one is
// taken, the frame is exactly kMaxFrameSize bytes, and nothing more fits; one byte more and the
// last one is refused, by both BatchBuilder and the encoder.
void TestProtocolCodec::batchFrameEncoderFillsTheFrameExactly()
{
    const Bet big {
        std::string(255, 'f'), std::string(255, 'l'), std::string(20, '1'), "1990-01-02", 7};
    QCOMPARE(encodedBetSize(big), std::size_t(546));
    for (const std::size_t lastNameSize : {std::size_t(242), std::size_t(243)}) {
        const bool fits = lastNameSize == 242;
        const Bet last {std::string(255, 'F'), std::string(lastNameSize, 'L'), std::string(20, '2'),
            "1990-01-02", 8};
        BatchFrameEncoder encoder(1000);
        BatchBuilder builder(1000);
        for (int i = 0; i < 14; ++i) {
            QVERIFY(encoder.add(big));
            QVERIFY(builder.add(big));
        }
        QCOMPARE(encoder.add(last), fits);
        QCOMPARE(builder.add(last), fits);
        if (fits) {
            // Full to the byte: not even the smallest bet fits any more.
            const Bet tiny {"", "", "", "", 0};
            QVERIFY(!encoder.add(tiny));
            QVERIFY(!builder.add(tiny));
        }
        QCOMPARE(encoder.size(), std::size_t(fits ? 15 : 14));
        const std::string frame = encoder.finish(77);
        QCOMPARE(frame.size(), fits ? kMaxFrameSize : kMaxFrameSize - 533);
        const QByteArray difference = firstDifference(frame, encodeFrame(builder.take(77)));
        QVERIFY2(difference.isEmpty(), difference.constData());
        // And it decodes back to the same batch.
        StreamDecoder decoder;
        decoder.feed(frame);
        Message message;
        QCOMPARE(decoder.next(message), DecodeStatus::Ok);
        QCOMPARE(std::get<Batch>(message).bets.size(), std::size_t(fits ? 15 : 14));
    }
}

// finish() leaves an empty encoder that builds the next frame from nothing: no bet, count or
// sequence of the previous frame leaks into it.
void TestProtocolCodec::batchFrameEncoderIsReusableAfterFinish()
{
    const std::vector<Bet> bets = longNamedBets(40);
    BatchFrameEncoder encoder(5);
    for (int i = 0; i < 5; ++i)
        QVERIFY(encoder.add(bets[std::size_t(i)]));
    QVERIFY(encoder.full());
    QVERIFY(!encoder.add(bets[5]));
    QCOMPARE(toHex(encoder.finish(1)),
        toHex(encodeFrame(Batch {1, {bets[0], bets[1], bets[2], bets[3], bets[4]}})));
    QVERIFY(encoder.empty());
    QVERIFY(!encoder.full());
    QCOMPARE(encoder.size(), std::size_t(0));

    // A shorter frame after a longer one.
    QVERIFY(encoder.add(bets[5]));
    QCOMPARE(encoder.size(), std::size_t(1));
    QCOMPARE(toHex(encoder.finish(0x0102030405060708ULL)),
        toHex(encodeFrame(Batch {0x0102030405060708ULL, {bets[5]}})));

    // Many rounds, each of a different length.
    std::size_t next = 6;
    for (std::uint64_t sequence = 2; sequence < 10; ++sequence) {
        Batch expected {sequence, {}};
        const std::size_t count = 1 + sequence % 5;
        for (std::size_t i = 0; i < count; ++i, ++next) {
            QVERIFY(encoder.add(bets[next]));
            expected.bets.push_back(bets[next]);
        }
        QCOMPARE(toHex(encoder.finish(sequence)), toHex(encodeFrame(expected)));
        QVERIFY(encoder.empty());
    }
}

void TestProtocolCodec::batchFrameEncoderMaxBetsZeroIsOne()
{
    const Bet a {"A", "B", "1", "2000-01-01", 1};
    const Bet b {"C", "D", "2", "2000-01-01", 2};
    BatchFrameEncoder encoder(0);
    BatchBuilder builder(0);
    QVERIFY(!encoder.full());
    QVERIFY(encoder.add(a));
    QVERIFY(builder.add(a));
    QVERIFY(encoder.full());
    QVERIFY(builder.full());
    QVERIFY(!encoder.add(b));
    QVERIFY(!builder.add(b));
    QCOMPARE(toHex(encoder.finish(4)), toHex(encodeFrame(builder.take(4))));
    QVERIFY(encoder.add(b));
    QCOMPARE(toHex(encoder.finish(5)), toHex(encodeFrame(Batch {5, {b}})));
    const QByteArray mismatch = compareEncoderWithBuilder(longNamedBets(50), 0);
    QVERIFY2(mismatch.isEmpty(), mismatch.constData());
}

// Spelled out: QTEST_APPLESS_MAIN trips clang's -Wpedantic (empty variadic macro argument).
int main(int argc, char **argv)
{
    TestProtocolCodec test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_protocol_codec.moc"
