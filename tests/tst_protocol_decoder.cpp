// The stream decoder: the same messages whatever way the bytes are split, every malformed class
// with its kind and offset, and no way back after a malformed frame. BatchReader (the server's
// bet-by-bet view of a BATCH body) accepts and refuses exactly what decodeFrame() does.
#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"

#include <QByteArray>
#include <QTest>

#include <cstring>

#include <string>
#include <vector>

using namespace lottery::protocol;

Q_DECLARE_METATYPE(DecodeErrorKind)

namespace {

std::string fromHex(const char *hex)
{
    return QByteArray::fromHex(QByteArray(hex).replace('|', ' ')).toStdString();
}

// What a decoder made of a stream: the messages, then how it stopped.
struct Outcome {
    std::vector<Message> messages;
    DecodeStatus status = DecodeStatus::Incomplete;
    std::optional<DecodeError> error;
    std::size_t pending = 0;

    bool operator==(const Outcome &o) const
    {
        const bool sameError = error.has_value() == o.error.has_value()
            && (!error
                || (error->kind == o.error->kind && error->offset == o.error->offset
                    && error->detail == o.error->detail));
        return messages == o.messages && status == o.status && sameError && pending == o.pending;
    }
};

void drain(StreamDecoder &decoder, Outcome &outcome)
{
    Message message;
    while ((outcome.status = decoder.next(message)) == DecodeStatus::Ok)
        outcome.messages.push_back(message);
}

// Feeds `stream` cut at the given ascending offsets, draining the decoder after every piece.
Outcome decodeInPieces(const std::string &stream, const std::vector<std::size_t> &cuts)
{
    StreamDecoder decoder;
    Outcome outcome;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        decoder.feed(stream.data() + from, cut - from);
        drain(decoder, outcome);
        from = cut;
    }
    decoder.feed(stream.data() + from, stream.size() - from);
    drain(decoder, outcome);
    if (outcome.status == DecodeStatus::Malformed)
        outcome.error = decoder.error();
    outcome.pending = decoder.pendingBytes();
    return outcome;
}

QByteArray describe(const Outcome &outcome)
{
    QByteArray text = QByteArray::number(qsizetype(outcome.messages.size())) + " messages";
    if (outcome.error)
        text += ", error " + QByteArray::fromStdString(outcome.error->toString());
    return text + ", " + QByteArray::number(qsizetype(outcome.pending)) + " bytes pending";
}

// A whole session both ways, and every variable-size message with more than one element.
std::string sessionStream()
{
    std::string stream;
    const std::vector<Message> messages = {
        Hello {1, 1, ""},
        Welcome {1, 0, 0},
        Batch {1,
            {Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
                Bet {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42}}},
        Ack {1, 2, false},
        Batch {2, {Bet {"Zo\xc3\xab", "Li", "1", "2001-01-01", 0}}},
        Reject {2, ErrorCode::InvalidBet, 0, "first_name is empty"},
        Ack {1, 2, true},
        Done {},
        DoneAck {},
        GetWinners {},
        Winners {false, {"30904465", "1"}},
        Winners {true, {}},
        ErrorMessage {ErrorCode::ShuttingDown, "server is stopping"},
    };
    for (const Message &message : messages)
        appendFrame(stream, message);
    return stream;
}

// A BATCH body (no frame header) as the encoder writes it.
std::string batchBody(const Batch &batch)
{
    return encodeFrame(batch).substr(kFrameHeaderSize);
}

// A BATCH body with any bet count and any bytes after it.
std::string rawBatchBody(std::uint64_t sequence, std::uint16_t count, const std::string &bets)
{
    std::string body;
    appendU64(body, sequence);
    appendU16(body, count);
    return body + bets;
}

// The wire form of one bet inside a BATCH body.
std::string betBytes(const Bet &bet)
{
    return batchBody(Batch {0, {bet}}).substr(kBatchHeaderSize);
}

// What BatchReader made of a body: the bets it yielded (copied out), then how it stopped.
struct ReaderOutcome {
    std::uint64_t sequence = 0;
    std::vector<Bet> bets;
    std::optional<DecodeError> error;
    bool viewsInsideBody = true; // every field viewed the body, none a copy
    bool staysStopped = true; // next() kept returning false once it had
};

ReaderOutcome readWithBatchReader(std::string_view body)
{
    ReaderOutcome outcome;
    BatchReader reader(body);
    outcome.sequence = reader.sequence();
    const auto inside = [body](std::string_view field) {
        return field.empty()
            || (field.data() >= body.data()
                && field.data() + field.size() <= body.data() + body.size());
    };
    BetView bet;
    while (reader.next(bet)) {
        outcome.viewsInsideBody = outcome.viewsInsideBody && inside(bet.firstName)
            && inside(bet.lastName) && inside(bet.document) && inside(bet.birthdate);
        outcome.bets.push_back(bet.toBet());
    }
    outcome.error = reader.error();
    for (int i = 0; i < 3; ++i)
        outcome.staysStopped = outcome.staysStopped && !reader.next(bet);
    const auto again = reader.error();
    if (again.has_value() != outcome.error.has_value()
        || (again && again->toString() != outcome.error->toString()))
        outcome.staysStopped = false;
    return outcome;
}

bool sameError(const std::optional<DecodeError> &a, const std::optional<DecodeError> &b)
{
    return a.has_value() == b.has_value()
        && (!a || (a->kind == b->kind && a->offset == b->offset && a->detail == b->detail));
}

QByteArray describe(const std::optional<DecodeError> &error)
{
    return error ? QByteArray::fromStdString(error->toString()) : QByteArray("no error");
}

// Checks BatchReader against decodeFrame() on one body; empty when they agree.
QByteArray compareWithDecodeFrame(const std::string &body, int expectedYielded)
{
    const FrameDecodeResult reference
        = decodeFrame(RawFrame {static_cast<std::uint8_t>(MessageType::Batch), body});
    const ReaderOutcome outcome = readWithBatchReader(body);
    if (!sameError(outcome.error, reference.error))
        return "error " + describe(outcome.error) + " vs decodeFrame's "
            + describe(reference.error);
    if (!outcome.viewsInsideBody)
        return "a field is not a view into the body";
    if (!outcome.staysStopped)
        return "next() or error() changed after the reader stopped";
    if (reference.message) {
        const auto &batch = std::get<Batch>(*reference.message);
        if (outcome.sequence != batch.sequence)
            return "sequence differs";
        if (outcome.bets != batch.bets)
            return QByteArray::number(qsizetype(outcome.bets.size()))
                + " bets read, decodeFrame gave " + QByteArray::number(qsizetype(batch.bets.size()))
                + " (or they differ)";
    }
    if (expectedYielded >= 0 && int(outcome.bets.size()) != expectedYielded)
        return QByteArray::number(qsizetype(outcome.bets.size())) + " bets yielded, expected "
            + QByteArray::number(expectedYielded);
    return {};
}

// Three bets of different shapes, the middle one with multi-byte UTF-8 in every text field.
const std::vector<Bet> &threeBets()
{
    static const std::vector<Bet> bets = {
        Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
        Bet {"Zo\xc3\xab \xe6\x9d\x8e", "\xf0\x9f\x98\x80 N\xc3\xba\xc3\xb1\x65z", "1\xc3\xa9",
            "\xe2\x82\xac", 0xFFFF},
        Bet {"J", "G", "1", "2000-01-01", 0},
    };
    return bets;
}

} // namespace

class TestProtocolDecoder : public QObject
{
    Q_OBJECT

private slots:
    void takeReturnedFramesKeepsBodiesAndTheStartedFrame();
    void prepareFeedTakesWhatWasWritten();
    void splits_data();
    void splits();
    void incompleteIsNotAnError();
    void largestFrameIsAccepted();
    void malformed_data();
    void malformed();
    void staysInErrorAfterMalformed_data() { malformed_data(); }
    void staysInErrorAfterMalformed();
    void messagesBeforeTheErrorAreDelivered();
    void textOverTheLimitIsRefused();
    void splitterKeepsViewsUntilNextFeed();
    void batchReaderMatchesDecodeFrame_data();
    void batchReaderMatchesDecodeFrame();
    void batchReaderMatchesDecodeFrameOnEveryCut();
    void batchReaderRefusesTrailingBytesAfterAGoodBet();
    void batchReaderStopsAtTheFirstError();
};

void TestProtocolDecoder::splits_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("expectedMessages");
    QTest::addColumn<bool>("everyPair"); // every pair of split points: quadratic, so only once
    const std::string session = sessionStream();
    QTest::newRow("whole session") << QByteArray::fromStdString(session) << 13 << true;
    // Ends in an unknown type after a valid frame: the error must not depend on the split either.
    QTest::newRow("session then malformed")
        << QByteArray::fromStdString(session + fromHex("00 00 00 01 06 | 00 00 00 01 ee")) << 14
        << false;
    QTest::newRow("session then oversized header")
        << QByteArray::fromStdString(session + fromHex("ff ff ff ff")) << 13 << false;
    QTest::newRow("session then a started frame")
        << QByteArray::fromStdString(session + fromHex("00 00 00 0c 04 00 00")) << 13 << false;
}

void TestProtocolDecoder::splits()
{
    QFETCH(QByteArray, stream);
    QFETCH(int, expectedMessages);
    QFETCH(bool, everyPair);
    const std::string bytes = stream.toStdString();
    const Outcome reference = decodeInPieces(bytes, {});
    QCOMPARE(int(reference.messages.size()), expectedMessages);

    // One split point, at every offset.
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        const Outcome outcome = decodeInPieces(bytes, {cut});
        QVERIFY2(outcome == reference,
            qPrintable("split at " + QByteArray::number(qsizetype(cut)) + ": " + describe(outcome)
                + " vs " + describe(reference)));
    }
    // Two split points, every pair.
    for (std::size_t first = 0; everyPair && first <= bytes.size(); ++first) {
        for (std::size_t second = first; second <= bytes.size(); ++second) {
            if (!(decodeInPieces(bytes, {first, second}) == reference))
                QFAIL(qPrintable(QString("split at %1 and %2 differs").arg(first).arg(second)));
        }
    }
    // One byte at a time.
    std::vector<std::size_t> everyByte;
    for (std::size_t cut = 1; cut < bytes.size(); ++cut)
        everyByte.push_back(cut);
    QVERIFY2(decodeInPieces(bytes, everyByte) == reference, "byte at a time differs");
}

void TestProtocolDecoder::incompleteIsNotAnError()
{
    for (const char *hex : {"", "00", "00 00 00", "00 00 00 05", "00 00 1f fc 03",
             "00 00 00 0c 04 00 00 00 00 00 00 00 01 00 02"}) {
        StreamDecoder decoder;
        const std::string bytes = fromHex(hex);
        decoder.feed(bytes);
        Message message;
        QCOMPARE(decoder.next(message), DecodeStatus::Incomplete);
        QCOMPARE(decoder.pendingBytes(), bytes.size());
    }
}

// 8192 bytes in all: a WINNERS frame whose body is exactly kMaxBodySize.
void TestProtocolDecoder::largestFrameIsAccepted()
{
    Winners winners {true, std::vector<std::string>(31, std::string(255, '7'))};
    winners.documents.push_back(std::string(247, '8'));
    const std::string frame = encodeFrame(winners);
    QCOMPARE(frame.size(), kMaxFrameSize);
    QCOMPARE(frame.substr(0, 4), fromHex("00 00 1f fc"));
    const Outcome outcome = decodeInPieces(frame, {});
    QCOMPARE(outcome.messages.size(), std::size_t(1));
    QVERIFY(outcome.messages.front() == Message(winners));
    QCOMPARE(outcome.status, DecodeStatus::Incomplete);
}

void TestProtocolDecoder::malformed_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<DecodeErrorKind>("kind");
    QTest::addColumn<qulonglong>("offset");
    auto row = [](const char *name, const char *hex, DecodeErrorKind kind, qulonglong offset) {
        QTest::newRow(name) << QByteArray::fromStdString(fromHex(hex)) << kind << offset;
    };
    using K = DecodeErrorKind;

    row("unknown type 0x00", "00 00 00 01 | 00", K::UnknownType, 4);
    row("unknown type 0x0f", "00 00 00 01 | 0f", K::UnknownType, 4);
    row("unknown type 0xff with a body", "00 00 00 03 | ff | 01 02", K::UnknownType, 4);
    row("empty frame", "00 00 00 00", K::EmptyFrame, 0);
    row("empty frame then bytes", "00 00 00 00 | 06", K::EmptyFrame, 0);
    row("length 8189, one over", "00 00 1f fd", K::FrameTooLarge, 0);
    row("length 0x80000000", "80 00 00 00", K::FrameTooLarge, 0);
    row("length 0xffffffff, header only", "ff ff ff ff", K::FrameTooLarge, 0);

    // Truncated fields (each golden cut short is in tst_protocol_codec).
    row("hello: agency cut", "00 00 00 03 | 01 | 00 01", K::Truncated, 7);
    row("hello: token length cut", "00 00 00 08 | 01 | 00 01 | 00 00 00 01 | 00", K::Truncated, 11);
    row("hello: token bytes cut", "00 00 00 0a | 01 | 00 01 | 00 00 00 01 | 00 02 61", K::Truncated,
        13);
    row("welcome: stored bets cut", "00 00 00 0b | 02 | 00 01 | 00 00 00 00 00 00 00 00",
        K::Truncated, 15);
    row("batch: second bet missing",
        "00 00 00 1e | 03 | 00 00 00 00 00 00 00 01 | 00 02"
        "| 01 41 | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f",
        K::Truncated, 34);
    row("batch: number cut",
        "00 00 00 1d | 03 | 00 00 00 00 00 00 00 01 | 00 01"
        "| 01 41 | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27",
        K::Truncated, 32);
    row("reject: bet index cut", "00 00 00 0c | 05 | 00 00 00 00 00 00 00 01 | 00 07 | 00",
        K::Truncated, 15);
    row("winners: document cut", "00 00 00 06 | 09 | 01 | 00 01 | 05 31", K::Truncated, 9);
    row("error: code cut", "00 00 00 02 | 0a | 00", K::Truncated, 5);

    // LIST_STORED and STORED_LIST (version 2).
    row("list_stored: count 0", "00 00 00 0b | 0d | 00 00 00 00 00 00 00 00 | 00 00",
        K::InvalidValue, 13);
    row("list_stored: count 1025, over kMaxListedBets",
        "00 00 00 0b | 0d | 00 00 00 00 00 00 00 00 | 04 01", K::InvalidValue, 13);
    row("list_stored: count cut", "00 00 00 0a | 0d | 00 00 00 00 00 00 00 00 | 00", K::Truncated,
        13);
    row("list_stored: trailing byte", "00 00 00 0c | 0d | 00 00 00 00 00 00 00 00 | 00 01 | 00",
        K::TrailingBytes, 15);
    row("stored_list: final flag 2", "00 00 00 0c | 0e | 00 00 00 00 00 00 00 00 | 02 | 00 01",
        K::InvalidValue, 13);
    row("stored_list: count 0", "00 00 00 0c | 0e | 00 00 00 00 00 00 00 00 | 01 | 00 00",
        K::InvalidValue, 14);
    row("stored_list: count the frame cannot hold",
        "00 00 00 12 | 0e | 00 00 00 00 00 00 00 00 | 01 | 00 02 | 00 00 00 00 00 00", K::Truncated,
        14);
    row("stored_list: bet cut",
        "00 00 00 1e | 0e | 00 00 00 00 00 00 00 00 | 01 | 00 01"
        "| 01 41 | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27",
        K::Truncated, 33);

    row("done: trailing byte", "00 00 00 02 | 06 | 00", K::TrailingBytes, 5);
    row("get_winners: trailing bytes", "00 00 00 04 | 08 | 01 02 03", K::TrailingBytes, 5);
    row("ack: trailing bytes", "00 00 00 0e | 04 | 00 00 00 00 00 00 00 01 | 00 02 | 00 | aa bb",
        K::TrailingBytes, 16);

    // Invalid UTF-8 in the HELLO token; the text starts at byte 13.
    row("utf8: overlong 2-byte", "00 00 00 0b | 01 | 00 01 | 00 00 00 01 | 00 02 c0 af",
        K::InvalidUtf8, 13);
    row("utf8: overlong 2-byte c1", "00 00 00 0b | 01 | 00 01 | 00 00 00 01 | 00 02 c1 bf",
        K::InvalidUtf8, 13);
    row("utf8: overlong 3-byte", "00 00 00 0c | 01 | 00 01 | 00 00 00 01 | 00 03 e0 80 af",
        K::InvalidUtf8, 13);
    row("utf8: overlong 4-byte", "00 00 00 0d | 01 | 00 01 | 00 00 00 01 | 00 04 f0 80 80 af",
        K::InvalidUtf8, 13);
    row("utf8: surrogate d800", "00 00 00 0c | 01 | 00 01 | 00 00 00 01 | 00 03 ed a0 80",
        K::InvalidUtf8, 13);
    row("utf8: surrogate dfff", "00 00 00 0c | 01 | 00 01 | 00 00 00 01 | 00 03 ed bf bf",
        K::InvalidUtf8, 13);
    row("utf8: above U+10FFFF", "00 00 00 0d | 01 | 00 01 | 00 00 00 01 | 00 04 f4 90 80 80",
        K::InvalidUtf8, 13);
    row("utf8: truncated 2-byte", "00 00 00 0a | 01 | 00 01 | 00 00 00 01 | 00 01 c3",
        K::InvalidUtf8, 13);
    row("utf8: truncated 3-byte", "00 00 00 0b | 01 | 00 01 | 00 00 00 01 | 00 02 e2 82",
        K::InvalidUtf8, 13);
    row("utf8: sequence broken by ASCII", "00 00 00 0c | 01 | 00 01 | 00 00 00 01 | 00 03 61 c3 62",
        K::InvalidUtf8, 13);
    row("utf8: lone continuation", "00 00 00 0a | 01 | 00 01 | 00 00 00 01 | 00 01 80",
        K::InvalidUtf8, 13);
    row("utf8: 0xff", "00 00 00 0a | 01 | 00 01 | 00 00 00 01 | 00 01 ff", K::InvalidUtf8, 13);
    row("utf8: 0xfe", "00 00 00 0a | 01 | 00 01 | 00 00 00 01 | 00 01 fe", K::InvalidUtf8, 13);
    // ... and in every other text field.
    row("utf8: bet first name",
        "00 00 00 1e | 03 | 00 00 00 00 00 00 00 01 | 00 01"
        "| 01 ff | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f",
        K::InvalidUtf8, 16);
    row("utf8: bet last name, surrogate",
        "00 00 00 20 | 03 | 00 00 00 00 00 00 00 01 | 00 01"
        "| 01 41 | 03 ed b0 80 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f",
        K::InvalidUtf8, 18);
    row("utf8: bet document",
        "00 00 00 1e | 03 | 00 00 00 00 00 00 00 01 | 00 01"
        "| 01 41 | 01 42 | 01 c0 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f",
        K::InvalidUtf8, 20);
    row("utf8: bet birthdate",
        "00 00 00 17 | 03 | 00 00 00 00 00 00 00 01 | 00 01"
        "| 01 41 | 01 42 | 01 37 | 03 e0 9f bf | 00 01",
        K::InvalidUtf8, 22);
    row("utf8: reject reason",
        "00 00 00 10 | 05 | 00 00 00 00 00 00 00 01 | 00 07 | 00 00 | 00 01 ff", K::InvalidUtf8,
        19);
    row("utf8: winners document", "00 00 00 06 | 09 | 01 | 00 01 | 01 ff", K::InvalidUtf8, 9);
    row("utf8: error message", "00 00 00 06 | 0a | 00 01 | 00 01 c0", K::InvalidUtf8, 9);

    row("batch: bet count 0", "00 00 00 0b | 03 | 00 00 00 00 00 00 00 01 | 00 00", K::InvalidValue,
        13);
    // A count the bytes present cannot hold is refused before any bet is read or reserved.
    row("batch: bet count 65535, one bet present",
        "00 00 00 1e | 03 | 00 00 00 00 00 00 00 01 | ff ff"
        "| 01 41 | 01 42 | 01 37 | 0a 32 30 30 30 2d 30 31 2d 30 31 | 27 0f",
        K::Truncated, 13);
    row("batch: bet count 1, no bet", "00 00 00 0b | 03 | 00 00 00 00 00 00 00 01 | 00 01",
        K::Truncated, 13);
    row("ack: duplicate flag 2", "00 00 00 0c | 04 | 00 00 00 00 00 00 00 01 | 00 02 | 02",
        K::InvalidValue, 15);
    row("ack: duplicate flag 0xff", "00 00 00 0c | 04 | 00 00 00 00 00 00 00 01 | 00 02 | ff",
        K::InvalidValue, 15);
    row("winners: final flag 2", "00 00 00 04 | 09 | 02 | 00 00", K::InvalidValue, 5);
    row("winners: document count 5, one present", "00 00 00 06 | 09 | 01 | 00 05 | 01 31",
        K::Truncated, 6);
    row("error: code 0", "00 00 00 05 | 0a | 00 00 | 00 00", K::InvalidValue, 5);
    row("error: code 20", "00 00 00 05 | 0a | 00 14 | 00 00", K::InvalidValue, 5);
    row("error: code 0xffff", "00 00 00 05 | 0a | ff ff | 00 00", K::InvalidValue, 5);
    row("reject: code 0", "00 00 00 0f | 05 | 00 00 00 00 00 00 00 01 | 00 00 | ff ff | 00 00",
        K::InvalidValue, 13);
}

void TestProtocolDecoder::malformed()
{
    QFETCH(QByteArray, bytes);
    QFETCH(DecodeErrorKind, kind);
    QFETCH(qulonglong, offset);
    const Outcome outcome = decodeInPieces(bytes.toStdString(), {});
    QVERIFY2(outcome.messages.empty(), describe(outcome).constData());
    QCOMPARE(outcome.status, DecodeStatus::Malformed);
    QVERIFY(outcome.error);
    QVERIFY2(outcome.error->kind == kind, outcome.error->toString().c_str());
    QCOMPARE(qulonglong(outcome.error->offset), offset);
    QVERIFY(!outcome.error->detail.empty());

    // The same frame cut into single bytes gives the same error.
    std::vector<std::size_t> everyByte;
    for (qsizetype cut = 1; cut < bytes.size(); ++cut)
        everyByte.push_back(std::size_t(cut));
    QVERIFY(decodeInPieces(bytes.toStdString(), everyByte) == outcome);
}

void TestProtocolDecoder::staysInErrorAfterMalformed()
{
    QFETCH(QByteArray, bytes);
    QFETCH(DecodeErrorKind, kind);
    QFETCH(qulonglong, offset);
    StreamDecoder decoder;
    decoder.feed(bytes.toStdString());
    Message message;
    QCOMPARE(decoder.next(message), DecodeStatus::Malformed);
    // A perfectly good frame afterwards changes nothing: the stream cannot be resynchronised.
    decoder.feed(encodeFrame(Done {}));
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(decoder.next(message), DecodeStatus::Malformed);
        QVERIFY(decoder.error().kind == kind);
        QCOMPARE(qulonglong(decoder.error().offset), offset);
    }
}

void TestProtocolDecoder::messagesBeforeTheErrorAreDelivered()
{
    StreamDecoder decoder;
    decoder.feed(encodeFrame(Done {}) + fromHex("00 00 00 01 | 42") + encodeFrame(DoneAck {}));
    Message message;
    QCOMPARE(decoder.next(message), DecodeStatus::Ok);
    QVERIFY(std::holds_alternative<Done>(message));
    QCOMPARE(decoder.next(message), DecodeStatus::Malformed);
    QVERIFY(decoder.error().kind == DecodeErrorKind::UnknownType);
    QCOMPARE(decoder.next(message), DecodeStatus::Malformed);
}

// Free text is at most kMaxTextBytes on the wire: the encoder clips to it, the decoder refuses
// more, so that every message the decoder accepts encodes back to the same bytes.
void TestProtocolDecoder::textOverTheLimitIsRefused()
{
    for (std::size_t size : {kMaxTextBytes + 1, std::size_t(4000)}) {
        std::string frame;
        appendU32(frame, static_cast<std::uint32_t>(1 + 2 + 2 + size));
        appendU8(frame, static_cast<std::uint8_t>(MessageType::Error));
        appendU16(frame, static_cast<std::uint16_t>(ErrorCode::Internal));
        appendU16(frame, static_cast<std::uint16_t>(size));
        frame.append(size, 'x');
        const Outcome outcome = decodeInPieces(frame, {});
        QVERIFY(outcome.error);
        QVERIFY2(outcome.error->kind == DecodeErrorKind::InvalidValue,
            outcome.error->toString().c_str());
        QCOMPARE(outcome.error->offset, std::size_t(7)); // the length field of the message
    }
    const std::string atLimit = encodeFrame(Hello {1, 1, std::string(kMaxTextBytes, 't')});
    QCOMPARE(decodeInPieces(atLimit, {}).messages.size(), std::size_t(1));
}

void TestProtocolDecoder::splitterKeepsViewsUntilNextFeed()
{
    FrameSplitter splitter;
    splitter.feed(encodeFrame(ErrorMessage {ErrorCode::Timeout, "slow"}) + encodeFrame(Done {}));
    RawFrame first;
    RawFrame second;
    QCOMPARE(splitter.next(first), DecodeStatus::Ok);
    QCOMPARE(splitter.next(second), DecodeStatus::Ok);
    QCOMPARE(first.type, std::uint8_t(MessageType::Error));
    QCOMPARE(first.body, std::string_view("\x00\x0e\x00\x04slow", 8));
    QCOMPARE(second.type, std::uint8_t(MessageType::Done));
    QVERIFY(second.body.empty());
    QCOMPARE(splitter.pendingBytes(), std::size_t(0));
    RawFrame none;
    QCOMPARE(splitter.next(none), DecodeStatus::Incomplete);
}

// The server's sessions hand a worker the splitter's buffer instead of copying each body: the
// bodies must be at bodyOffset() in it, and a frame cut by the end of the read must stay behind.
void TestProtocolDecoder::takeReturnedFramesKeepsBodiesAndTheStartedFrame()
{
    Batch a;
    a.sequence = 7;
    a.bets = {Bet {"Ana", "Pérez", "1", "1990-01-02", 7574}};
    Batch b = a;
    b.sequence = 8;
    const std::string third = encodeFrame(Done {});
    const std::string bytes = encodeFrame(a) + encodeFrame(b) + third.substr(0, 3);

    FrameSplitter splitter;
    splitter.feed(bytes);
    RawFrame first;
    RawFrame second;
    QCOMPARE(splitter.next(first), DecodeStatus::Ok);
    QCOMPARE(splitter.next(second), DecodeStatus::Ok);
    const std::string firstBody(first.body);
    const std::string secondBody(second.body);
    const std::size_t firstOffset = splitter.bodyOffset(first);
    const std::size_t secondOffset = splitter.bodyOffset(second);
    QCOMPARE(firstOffset, kFrameHeaderSize);
    QCOMPARE(secondOffset, encodeFrame(a).size() + kFrameHeaderSize);

    const std::string taken = splitter.takeReturnedFrames();
    QCOMPARE(taken.substr(firstOffset, firstBody.size()), firstBody);
    QCOMPARE(taken.substr(secondOffset, secondBody.size()), secondBody);
    QCOMPARE(std::get<Batch>(
                 *decodeFrame(RawFrame {std::uint8_t(MessageType::Batch),
                                  std::string_view(taken).substr(secondOffset, secondBody.size())})
                      .message),
        b);

    // The started DONE stayed in the splitter and completes with the next bytes.
    QCOMPARE(splitter.pendingBytes(), std::size_t(3));
    RawFrame none;
    QCOMPARE(splitter.next(none), DecodeStatus::Incomplete);
    splitter.feed(third.substr(3));
    RawFrame done;
    QCOMPARE(splitter.next(done), DecodeStatus::Ok);
    QCOMPARE(done.type, std::uint8_t(MessageType::Done));
    QCOMPARE(splitter.bodyOffset(done), kFrameHeaderSize);
    QCOMPARE(splitter.pendingBytes(), std::size_t(0));

    // The DONE returned since goes with the next hand-over; the splitter works on after it.
    QCOMPARE(splitter.takeReturnedFrames().size(), third.size());
    QCOMPARE(splitter.pendingBytes(), std::size_t(0));
    splitter.feed(encodeFrame(DoneAck {}));
    QCOMPARE(splitter.next(none), DecodeStatus::Ok);
    QCOMPARE(none.type, std::uint8_t(MessageType::DoneAck));
}

// The server reads its socket straight into the splitter: only the bytes committed count, and a
// frame may arrive across several prepared feeds.
void TestProtocolDecoder::prepareFeedTakesWhatWasWritten()
{
    const std::string bytes = encodeFrame(ErrorMessage {ErrorCode::Timeout, "slow"})
        + encodeFrame(Done {}) + encodeFrame(DoneAck {});
    FrameSplitter splitter;
    std::size_t from = 0;
    std::vector<std::uint8_t> types;
    for (std::size_t piece : {3, 7, 1, 100}) {
        // Room for more than arrives: a socket read returns at most what was asked for.
        char *into = splitter.prepareFeed(piece + 50);
        const std::size_t written = std::min(piece, bytes.size() - from);
        std::memcpy(into, bytes.data() + from, written);
        splitter.commitFeed(written);
        from += written;
        RawFrame frame;
        while (splitter.next(frame) == DecodeStatus::Ok)
            types.push_back(frame.type);
    }
    QCOMPARE(from, bytes.size());
    QCOMPARE(types,
        (std::vector<std::uint8_t> {std::uint8_t(MessageType::Error),
            std::uint8_t(MessageType::Done), std::uint8_t(MessageType::DoneAck)}));
    QCOMPARE(splitter.pendingBytes(), std::size_t(0));
    // A read that returned nothing adds nothing.
    splitter.prepareFeed(4096);
    splitter.commitFeed(0);
    QCOMPARE(splitter.pendingBytes(), std::size_t(0));
}

void TestProtocolDecoder::batchReaderMatchesDecodeFrame_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("yielded"); // bets next() gives before it returns false
    QTest::addColumn<bool>("valid");
    auto row = [](const char *name, const std::string &body, int yielded, bool valid) {
        QTest::newRow(name) << QByteArray::fromStdString(body) << yielded << valid;
    };
    const std::vector<Bet> &bets = threeBets();
    const std::string bet0 = betBytes(bets[0]);
    const std::string bet1 = betBytes(bets[1]);
    const std::string bet2 = betBytes(bets[2]);

    // Valid bodies.
    row("one bet", batchBody(Batch {1, {Bet {"A", "B", "7", "2000-01-01", 9999}}}), 1, true);
    row("three bets, utf-8 names", batchBody(Batch {2, bets}), 3, true);
    row("two bets with accents",
        batchBody(Batch {7,
            {Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
                Bet {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42}}}),
        2, true);
    row("empty fields", batchBody(Batch {3, {Bet {"", "", "", "", 0}, Bet {"", "", "", "", 1}}}), 2,
        true);
    row("255-byte fields",
        batchBody(Batch {4,
            {Bet {std::string(255, 'n'), std::string(255, 'l'), std::string(255, '9'),
                std::string(255, '-'), 1}}}),
        1, true);
    {
        std::string accents;
        for (int i = 0; i < 127; ++i)
            accents += "\xc3\xa9"; // 254 bytes
        row("254-byte utf-8 names",
            batchBody(Batch {5, {Bet {accents, accents + "x", "1", "2000-01-01", 2}, bets[0]}}), 2,
            true);
    }
    row("largest sequence", batchBody(Batch {0xFFFFFFFFFFFFFFFFULL, {bets[2]}}), 1, true);
    {
        // As many bets as one frame holds.
        BatchBuilder builder(0xFFFF);
        int count = 0;
        for (; builder.add(Bet {"Nombre", "Apellido", std::to_string(count), "1990-01-01", 1});
             ++count) { }
        row("a full frame of bets", batchBody(builder.take(9)), count, true);
    }

    // Truncated header.
    row("empty body", "", 0, false);
    row("sequence cut", rawBatchBody(1, 1, "").substr(0, 7), 0, false);
    row("count cut", rawBatchBody(1, 1, "").substr(0, 9), 0, false);
    // Count 0, with and without bytes after it.
    row("count 0", rawBatchBody(1, 0, ""), 0, false);
    row("count 0, a bet after it", rawBatchBody(1, 0, bet0), 0, false);
    // A count the bytes cannot hold.
    row("count 65535, one bet", rawBatchBody(1, 0xFFFF, bet0), 0, false);
    row("count 1, no bet", rawBatchBody(1, 1, ""), 0, false);
    row("count 2, five bytes", rawBatchBody(1, 2, "\x01\x41\x00\x00\x00"), 0, false);
    // The count passes the size check, the bytes run out in a later bet.
    row("count 4, three bets", rawBatchBody(1, 4, bet0 + bet1 + bet2), 3, false);
    row("count 3, middle bet cut after its first name",
        rawBatchBody(1, 3, bet0 + bet1.substr(0, 1 + 8)), 1, false);
    row("count 3, middle bet's number cut",
        rawBatchBody(1, 3, bet0 + bet1.substr(0, bet1.size() - 1)), 1, false);
    row("count 3, text length past the end",
        rawBatchBody(1, 3, bet0 + "\xff" + std::string(30, 'a')), 1, false);
    // Invalid UTF-8 in each text field of the middle bet.
    const auto withBet1
        = [&](const Bet &middle) { return rawBatchBody(1, 3, bet0 + betBytes(middle) + bet2); };
    Bet bad = bets[1];
    bad.firstName = "Zo\xc3";
    row("utf8: middle bet first name, truncated sequence", withBet1(bad), 1, false);
    bad = bets[1];
    bad.lastName = "\xed\xa0\x80";
    row("utf8: middle bet last name, surrogate", withBet1(bad), 1, false);
    bad = bets[1];
    bad.document = "12\xff";
    row("utf8: middle bet document, 0xff", withBet1(bad), 1, false);
    bad = bets[1];
    bad.birthdate = "\xc0\xaf";
    row("utf8: middle bet birthdate, overlong", withBet1(bad), 1, false);
    bad = bets[2];
    bad.birthdate = "2000-01-0\x80";
    row("utf8: last bet birthdate, lone continuation",
        rawBatchBody(1, 3, bet0 + bet1 + betBytes(bad)), 2, false);
    // Trailing bytes after the last bet.
    row("one trailing byte", batchBody(Batch {1, bets}) + std::string(1, '\0'), 2, false);
    row("trailing bytes", batchBody(Batch {1, bets}) + "abc", 2, false);
    row("count 1, bet 0 fine, trailing byte", rawBatchBody(1, 1, bet0 + "x"), 0, false);
    row("count 1, two bets present", rawBatchBody(1, 1, bet0 + bet1), 0, false);
    row("count 2, three bets present", rawBatchBody(1, 2, bet0 + bet1 + bet2), 1, false);
}

void TestProtocolDecoder::batchReaderMatchesDecodeFrame()
{
    QFETCH(QByteArray, body);
    QFETCH(int, yielded);
    QFETCH(bool, valid);
    const std::string bytes = body.toStdString();
    const FrameDecodeResult reference
        = decodeFrame(RawFrame {static_cast<std::uint8_t>(MessageType::Batch), bytes});
    QCOMPARE(reference.message.has_value(), valid);
    const QByteArray mismatch = compareWithDecodeFrame(bytes, yielded);
    QVERIFY2(mismatch.isEmpty(), mismatch.constData());
    QCOMPARE(!readWithBatchReader(bytes).error, valid);
}

// Every prefix of a three-bet body (a bet truncated anywhere), and every prefix of it followed by
// a byte that is not there in the original (trailing or misread bytes).
void TestProtocolDecoder::batchReaderMatchesDecodeFrameOnEveryCut()
{
    const std::string body = batchBody(Batch {42, threeBets()});
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
        const std::string prefix = body.substr(0, cut);
        QByteArray mismatch = compareWithDecodeFrame(prefix, -1);
        QVERIFY2(mismatch.isEmpty(),
            qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(QString::fromUtf8(mismatch))));
        for (const char extra : {'\0', '\x05', '\xff'}) {
            mismatch = compareWithDecodeFrame(prefix + extra + body.substr(cut), -1);
            QVERIFY2(mismatch.isEmpty(),
                qPrintable(QStringLiteral("byte %1 inserted at %2: %3")
                               .arg(int(static_cast<unsigned char>(extra)))
                               .arg(cut)
                               .arg(QString::fromUtf8(mismatch))));
        }
        // The whole body with the cut byte changed to garbage.
        if (cut < body.size()) {
            std::string changed = body;
            changed[cut] = static_cast<char>(changed[cut] ^ 0x80);
            mismatch = compareWithDecodeFrame(changed, -1);
            QVERIFY2(mismatch.isEmpty(),
                qPrintable(QStringLiteral("byte %1 flipped: %2")
                               .arg(cut)
                               .arg(QString::fromUtf8(mismatch))));
        }
    }
}

// A body whose only bet decodes fine but is followed by more bytes is malformed: next() gives
// nothing, and the error is decodeFrame()'s, at the first byte after the bet.
void TestProtocolDecoder::batchReaderRefusesTrailingBytesAfterAGoodBet()
{
    const std::string good = batchBody(Batch {3, {threeBets()[0]}});
    for (const std::string &extra :
        {std::string(1, '\0'), std::string("trailing"), betBytes(threeBets()[1])}) {
        const std::string body = good + extra;
        BatchReader reader(body);
        QCOMPARE(reader.sequence(), std::uint64_t(3));
        QCOMPARE(reader.count(), std::uint16_t(1));
        BetView bet;
        QVERIFY(!reader.next(bet));
        const auto error = reader.error();
        QVERIFY(error);
        QCOMPARE(error->kind, DecodeErrorKind::TrailingBytes);
        QCOMPARE(error->offset, kFrameHeaderSize + good.size());
        QVERIFY2(error->detail.find(std::to_string(extra.size()) + " bytes") == 0,
            error->detail.c_str());
        const FrameDecodeResult reference
            = decodeFrame(RawFrame {static_cast<std::uint8_t>(MessageType::Batch), body});
        QVERIFY(sameError(error, reference.error));
    }
    // Without the extra bytes the same bet is read, and there is no error.
    BatchReader reader(good);
    BetView bet;
    QVERIFY(!reader.error());
    QVERIFY(reader.next(bet));
    QVERIFY(bet.toBet() == threeBets()[0]);
    QVERIFY(!reader.next(bet));
    QVERIFY(!reader.error());
}

// The reader never reads past a failure: the error is the first one, whatever follows it.
void TestProtocolDecoder::batchReaderStopsAtTheFirstError()
{
    const std::vector<Bet> &bets = threeBets();
    Bet bad = bets[1];
    bad.firstName = "\xff";
    // Bet 1 is invalid UTF-8 and bet 2 is cut short: only the first problem is reported.
    const std::string body
        = rawBatchBody(5, 3, betBytes(bets[0]) + betBytes(bad) + betBytes(bets[2]).substr(0, 3));
    BatchReader reader(body);
    BetView bet;
    QVERIFY(reader.next(bet));
    QVERIFY(bet.toBet() == bets[0]);
    QVERIFY(!reader.next(bet));
    const auto error = reader.error();
    QVERIFY(error);
    QCOMPARE(error->kind, DecodeErrorKind::InvalidUtf8);
    QCOMPARE(error->offset, kFrameHeaderSize + kBatchHeaderSize + betBytes(bets[0]).size() + 1);
    QCOMPARE(error->detail, std::string("first name"));
    QVERIFY(!reader.next(bet));
}

// Spelled out: QTEST_APPLESS_MAIN trips clang's -Wpedantic (empty variadic macro argument).
int main(int argc, char **argv)
{
    TestProtocolDecoder test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_protocol_decoder.moc"
