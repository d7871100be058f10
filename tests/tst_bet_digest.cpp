// The running digest and the receipt file (common/): SHA-256 vectors written out by hand (Python's
// hashlib over the bytes docs/PROTOCOL.md gives), a digest that goes on after being read, copies
// that do not share state, and receipt files a person may have edited.
#include "common/agency_receipt.h"
#include "common/bet_digest.h"
#include "lottery/protocol/codec.h"

#include <QTest>

using namespace lottery;
using namespace lottery::protocol;

namespace {

const Bet kAna {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574};
const Bet kJuan {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42};

QString hexOf(const Digest &digest)
{
    return digestHex(digest);
}

} // namespace

class TestBetDigest : public QObject
{
    Q_OBJECT

private slots:
    void knownVectors();
    void readingDoesNotStopIt();
    void encodedBytesAndBetsAgree();
    void copiesAreIndependent();
    void savedStateGoesOnElsewhere();
    void receiptRoundTrip();
    void receiptRefusals_data();
    void receiptRefusals();
};

void TestBetDigest::knownVectors()
{
    RunningDigest digest;
    QCOMPARE(hexOf(digest.current()),
        QStringLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    digest.addBet(kAna);
    QCOMPARE(hexOf(digest.current()),
        QStringLiteral("5041942bb369edfb1d0eb3d0edfb026f1c069f77b8a7268eb8dadb163b724093"));
    digest.addBet(kJuan);
    QCOMPARE(hexOf(digest.current()),
        QStringLiteral("789a88cf70adbb5621969f29fc302ae3faab33620f26659bc49dcfe9b96bc053"));
    QCOMPARE(digest.bets(), quint64(2));
}

void TestBetDigest::readingDoesNotStopIt()
{
    RunningDigest digest;
    for (int i = 0; i < 5; ++i)
        digest.current(); // reading in between changes nothing
    digest.addBet(kAna);
    digest.current();
    digest.addBet(kJuan);
    QCOMPARE(hexOf(digest.current()),
        QStringLiteral("789a88cf70adbb5621969f29fc302ae3faab33620f26659bc49dcfe9b96bc053"));
}

void TestBetDigest::encodedBytesAndBetsAgree()
{
    // A BATCH body's bets, hashed as bytes (the server), equal the bets hashed one by one (the
    // agency reading its file).
    const std::string frame = encodeFrame(Batch {1, {kAna, kJuan}});
    RunningDigest fromBytes;
    fromBytes.addEncodedBets(std::string_view(frame).substr(kFrameHeaderSize + kBatchHeaderSize));
    RunningDigest fromBets;
    fromBets.addBet(kAna);
    fromBets.addBet(kJuan);
    QVERIFY(fromBytes.current() == fromBets.current());
}

void TestBetDigest::copiesAreIndependent()
{
    RunningDigest first;
    first.addBet(kAna);
    RunningDigest second = first;
    second.addBet(kJuan);
    QCOMPARE(hexOf(first.current()),
        QStringLiteral("5041942bb369edfb1d0eb3d0edfb026f1c069f77b8a7268eb8dadb163b724093"));
    QCOMPARE(second.bets(), quint64(2));
    first = second;
    QVERIFY(first.current() == second.current());
}

// What the PostgreSQL store keeps in an agency's row: saved after any number of bytes (every
// offset within a 64-byte block, and across blocks), restored in another object, the digest goes
// on exactly as if it had never stopped; a damaged state is refused.
void TestBetDigest::savedStateGoesOnElsewhere()
{
    std::string bytes;
    for (int i = 0; i < 300; ++i)
        bytes += char('a' + i % 26);
    const Digest whole = sha256Of(bytes);
    for (std::size_t split = 0; split <= bytes.size(); ++split) {
        RunningDigest first;
        first.addEncodedBets(std::string_view(bytes).substr(0, split));
        const std::string state = first.saveState();
        QCOMPARE(state.size(), 40 + split % 64);
        RunningDigest second;
        QVERIFY(second.restoreState(state, 7));
        QCOMPARE(second.bets(), quint64(7));
        QCOMPARE(hexOf(second.current()), hexOf(first.current()));
        second.addEncodedBets(std::string_view(bytes).substr(split));
        QCOMPARE(hexOf(second.current()), hexOf(whole));
    }
    RunningDigest empty;
    QVERIFY(empty.restoreState({}, 0));
    QCOMPARE(hexOf(empty.current()), hexOf(sha256Of({})));
    RunningDigest some;
    some.addEncodedBets("abc");
    std::string state = some.saveState();
    RunningDigest refused;
    QVERIFY(!refused.restoreState(std::string_view(state).substr(0, 39), 1)); // too short
    QVERIFY(!refused.restoreState(state + "x", 1)); // pending bytes disagree with the count
    QCOMPARE(hexOf(refused.current()), hexOf(sha256Of({}))); // unchanged
}

void TestBetDigest::receiptRoundTrip()
{
    AgencyReceipt receipt;
    receipt.agency = 3;
    receipt.sequence = 15;
    receipt.storedBets = 1000;
    RunningDigest digest;
    digest.addBet(kAna);
    receipt.digest = digest.current();
    QString error;
    const auto parsed = AgencyReceipt::parse(receipt.toText(), &error);
    QVERIFY2(parsed, qPrintable(error));
    QVERIFY(*parsed == receipt);
    // CRLF (a receipt opened and saved on Windows), comments, another order, upper-case hex.
    const QByteArray edited = "# comprobante\r\nlottery-receipt 1\r\nsha256 "
        + digestHex(receipt.digest).toUpper().toLatin1()
        + "\r\nstored_bets 1000\r\nsequence 15\r\nagency 3\r\n";
    const auto again = AgencyReceipt::parse(edited, &error);
    QVERIFY2(again, qPrintable(error));
    QVERIFY(*again == receipt);
}

void TestBetDigest::receiptRefusals_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("error");
    const QByteArray digest(64, 'a');
    QTest::newRow("empty") << QByteArray() << "empty: not a receipt";
    QTest::newRow("not a receipt") << QByteArray("hello\n")
                                   << "line 1: not a receipt (the first line must be "
                                      "'lottery-receipt 1')";
    QTest::newRow("missing sha256")
        << QByteArray("lottery-receipt 1\nagency 1\nsequence 1\nstored_bets 1\n")
        << "'sha256' is missing";
    QTest::newRow("short digest") << QByteArray(
        "lottery-receipt 1\nagency 1\nsequence 1\nstored_bets 1\nsha256 abc\n")
                                  << "line 5: sha256 must be 64 hex digits";
    QTest::newRow("agency 0") << QByteArray(
        "lottery-receipt 1\nagency 0\nsequence 1\nstored_bets 1\nsha256 " + digest)
                              << "line 2: agency must be a number from 1";
    QTest::newRow("negative count")
        << QByteArray("lottery-receipt 1\nagency 1\nsequence 1\nstored_bets -1\nsha256 " + digest)
        << "line 4: stored_bets must be a number";
    QTest::newRow("unknown key") << QByteArray("lottery-receipt 1\nagencia 1\n")
                                 << "line 2: unknown key 'agencia'";
}

void TestBetDigest::receiptRefusals()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, error);
    QString why;
    QVERIFY(!AgencyReceipt::parse(text, &why));
    QCOMPARE(why, error);
}

QTEST_GUILESS_MAIN(TestBetDigest)
#include "tst_bet_digest.moc"
