// The bet rules (validateBet), and the two helpers that keep messages inside one frame:
// BatchBuilder for BATCH and chunkWinners for WINNERS.
#include "lottery/protocol/bet.h"

#include <QTest>

#include <optional>
#include <string>
#include <vector>

using namespace lottery::protocol;

Q_DECLARE_METATYPE(BetField)

namespace {

// The rules take "today" as an argument; this one makes "tomorrow" and leap years easy to state.
constexpr CivilDate kToday {2024, 6, 15};

Bet validBet()
{
    return Bet {"Santiago Lionel", "Lorca", "30904465", "1999-03-17", 7574};
}

Message decodeSingle(const std::string &frame)
{
    StreamDecoder decoder;
    decoder.feed(frame);
    Message message;
    const DecodeStatus status = decoder.next(message);
    return status == DecodeStatus::Ok ? message : Message(ErrorMessage {});
}

} // namespace

class TestBetRules : public QObject
{
    Q_OBJECT

private slots:
    void validBets_data();
    void validBets();
    void brokenRules_data();
    void brokenRules();
    void isoDates_data();
    void isoDates();
    void winnerNumber();

    void batchBuilderRespectsMaxBets();
    void batchBuilderRespectsFrameSizeWithLongNames();
    void batchBuilderSingleMaxSizeBetFits();
    void batchBuilderZeroMaxBetsMeansOne();
    void batchBuilderKeepsABetThatDidNotFit();

    void chunkWinnersFitFramesAndLastIsFinal_data();
    void chunkWinnersFitFramesAndLastIsFinal();
    void chunkWinnersEmptyListGivesOneFinalChunk();
};

void TestBetRules::validBets_data()
{
    QTest::addColumn<QString>("firstName");
    QTest::addColumn<QString>("lastName");
    QTest::addColumn<QString>("document");
    QTest::addColumn<QString>("birthdate");
    QTest::addColumn<int>("number");

    const QString name255(255, QLatin1Char('a'));
    // 127 two-byte characters plus one ASCII letter: 255 UTF-8 bytes, 128 characters.
    const QString accented255 = QString(127, QChar(0x00E9)) + QLatin1Char('z');
    QTest::newRow("plain") << "Ana"
                           << "Lorca"
                           << "30904465"
                           << "1999-03-17" << 7574;
    QTest::newRow("accents and ñ")
        << QString::fromUtf8("José María") << QString::fromUtf8("Núñez") << "1"
        << "1980-12-01" << 0;
    QTest::newRow("apostrophe, hyphen, comma, quote") << "D'Artagnan"
                                                      << "Pérez-Gómez, \"Jr\""
                                                      << "12"
                                                      << "2000-01-01" << 1;
    QTest::newRow("4-byte character") << QString::fromUtf8("\xf0\x9f\x8d\x80") << "X"
                                      << "3"
                                      << "2000-01-01" << 1;
    QTest::newRow("names of 255 bytes") << name255 << name255 << "7"
                                        << "2000-01-01" << 1;
    QTest::newRow("accented name of 255 bytes") << accented255 << "B"
                                                << "7"
                                                << "2000-01-01" << 1;
    QTest::newRow("document of 20 digits")
        << "A"
        << "B" << QString(20, QLatin1Char('9')) << "2000-01-01" << 1;
    QTest::newRow("document with leading zeros") << "A"
                                                 << "B"
                                                 << "000123"
                                                 << "2000-01-01" << 1;
    // What the text rules must not catch: the same characters where they are harmless.
    QTest::newRow("inner no-break space, inner and trailing signs")
        << QString::fromUtf8("Jean\u00a0Paul") << QString::fromUtf8("O'Neil-Smith+") << "5"
        << "2000-01-01" << 1;
    QTest::newRow("inner U+FEFF, e-mail-like inner @")
        << QString::fromUtf8("Ana\ufeffMar") << "Lorca@home=1"
        << "6"
        << "2000-01-01" << 1;
    QTest::newRow("U+00A1 and U+2027 (neighbours of the refused ranges)")
        << QString::fromUtf8("\u00a1Ana") << QString::fromUtf8("Lor\u2027ca") << "8"
        << "2000-01-01" << 1;
    QTest::newRow("inner spaces") << "Ana  María"
                                  << "de la Cruz"
                                  << "4"
                                  << "2000-01-01" << 1;
    QTest::newRow("2024-02-29 leap day") << "A"
                                         << "B"
                                         << "5"
                                         << "2024-02-29" << 1;
    QTest::newRow("2000-02-29 leap century") << "A"
                                             << "B"
                                             << "5"
                                             << "2000-02-29" << 1;
    QTest::newRow("1900-01-01 first allowed") << "A"
                                              << "B"
                                              << "5"
                                              << "1900-01-01" << 1;
    QTest::newRow("born today") << "A"
                                << "B"
                                << "5"
                                << "2024-06-15" << 1;
    QTest::newRow("number 9999") << "A"
                                 << "B"
                                 << "5"
                                 << "2000-01-01" << 9999;
}

void TestBetRules::validBets()
{
    QFETCH(QString, firstName);
    QFETCH(QString, lastName);
    QFETCH(QString, document);
    QFETCH(QString, birthdate);
    QFETCH(int, number);
    const Bet bet {firstName.toStdString(), lastName.toStdString(), document.toStdString(),
        birthdate.toStdString(), static_cast<std::uint16_t>(number)};
    const std::optional<BetError> error = validateBet(bet, kToday);
    QVERIFY2(!error, error ? error->toString().c_str() : "");
    const std::optional<BetError> decoded = validateBet(bet, kToday, Utf8Check::AlreadyDone);
    QVERIFY2(!decoded, decoded ? decoded->toString().c_str() : "");
}

void TestBetRules::brokenRules_data()
{
    QTest::addColumn<QByteArray>("firstName");
    QTest::addColumn<QByteArray>("lastName");
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QByteArray>("birthdate");
    QTest::addColumn<int>("number");
    QTest::addColumn<BetField>("field");
    QTest::addColumn<QByteArray>("reason");

    const QByteArray a = "Ana", b = "Lorca", doc = "30904465", date = "1999-03-17";
    const QByteArray name256(256, 'a');
    QTest::newRow("first name empty") << QByteArray() << b << doc << date << 1
                                      << BetField::FirstName << QByteArray("first_name is empty");
    QTest::newRow("last name empty") << a << QByteArray() << doc << date << 1 << BetField::LastName
                                     << QByteArray("last_name is empty");
    QTest::newRow("first name 256 bytes") << name256 << b << doc << date << 1 << BetField::FirstName
                                          << QByteArray("first_name is longer than 255 bytes");
    QTest::newRow("last name 256 bytes, accented")
        << a << QByteArray("\xc3\xa9").repeated(128) << doc << date << 1 << BetField::LastName
        << QByteArray("last_name is longer than 255 bytes");
    QTest::newRow("first name invalid UTF-8")
        << QByteArray("Jos\xe9") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name is not valid UTF-8");
    QTest::newRow("first name tab")
        << QByteArray("Ana\tMar") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name contains a control character");
    QTest::newRow("last name newline")
        << a << QByteArray("Lor\nca") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name contains a control character");
    QTest::newRow("last name DEL")
        << a << QByteArray("Lorca\x7f") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name contains a control character");
    QTest::newRow("first name NUL")
        << QByteArray("A\0b", 3) << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name contains a control character");
    QTest::newRow("first name leading space")
        << QByteArray(" Ana") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name has leading or trailing "
                      "spaces");
    QTest::newRow("last name trailing space")
        << a << QByteArray("Lorca ") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name has leading or trailing "
                      "spaces");
    QTest::newRow("name only a space")
        << QByteArray(" ") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name has leading or trailing spaces");
    // Text that breaks line-based tools or spreadsheets (docs/PROTOCOL.md, "Text rules").
    QTest::newRow("first name C1 control U+0085 (NEL)")
        << QByteArray("Ana\xc2\x85Mar") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name contains a C1 control character (U+0080..U+009F)");
    QTest::newRow("last name C1 control U+009F")
        << a << QByteArray("Lorca\xc2\x9f") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name contains a C1 control character (U+0080..U+009F)");
    QTest::newRow("first name U+2028 line separator")
        << QByteArray("Ana\xe2\x80\xa8Mar") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name contains a line or paragraph separator (U+2028/U+2029)");
    QTest::newRow("last name U+2029 paragraph separator")
        << a
        << QByteArray("Lor\xe2\x80\xa9"
                      "ca")
        << doc << date << 1 << BetField::LastName
        << QByteArray("last_name contains a line or paragraph separator (U+2028/U+2029)");
    QTest::newRow("first name leading BOM")
        << QByteArray("\xef\xbb\xbf"
                      "Ana")
        << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name begins with a byte order mark (U+FEFF)");
    QTest::newRow("last name leading BOM")
        << a << QByteArray("\xef\xbb\xbfLorca") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name begins with a byte order mark (U+FEFF)");
    QTest::newRow("first name leading no-break space")
        << QByteArray("\xc2\xa0"
                      "Ana")
        << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name has a leading or trailing no-break space (U+00A0)");
    QTest::newRow("last name trailing no-break space")
        << a << QByteArray("Lorca\xc2\xa0") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name has a leading or trailing no-break space (U+00A0)");
    QTest::newRow("first name formula =")
        << QByteArray("=HYPERLINK(\"x\")") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name begins with '=': not a name (a spreadsheet would run it as a "
                      "formula)");
    QTest::newRow("last name formula +")
        << a << QByteArray("+1+1") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name begins with '+': not a name (a spreadsheet would run it as a "
                      "formula)");
    QTest::newRow("first name formula @")
        << QByteArray("@SUM(A1)") << b << doc << date << 1 << BetField::FirstName
        << QByteArray("first_name begins with '@': not a name (a spreadsheet would run it as a "
                      "formula)");
    QTest::newRow("last name formula -")
        << a << QByteArray("-2+3") << doc << date << 1 << BetField::LastName
        << QByteArray("last_name begins with '-': not a name (a spreadsheet would run it as a "
                      "formula)");
    QTest::newRow("document with letters")
        << a << b << QByteArray("30A04465") << date << 1 << BetField::Document
        << QByteArray("document must contain only digits");
    QTest::newRow("document with dots")
        << a << b << QByteArray("30.904.465") << date << 1 << BetField::Document
        << QByteArray("document must contain only digits");
    QTest::newRow("document negative")
        << a << b << QByteArray("-1") << date << 1 << BetField::Document
        << QByteArray("document must contain only digits");
    QTest::newRow("document empty") << a << b << QByteArray() << date << 1 << BetField::Document
                                    << QByteArray("document is empty");
    QTest::newRow("document 21 digits")
        << a << b << QByteArray(21, '1') << date << 1 << BetField::Document
        << QByteArray("document has more than 20 digits");
    const QByteArray notReal = "birthdate is not a real date in YYYY-MM-DD form";
    QTest::newRow("2023-02-29") << a << b << doc << QByteArray("2023-02-29") << 1
                                << BetField::Birthdate << notReal;
    QTest::newRow("1900-02-29 (not leap)")
        << a << b << doc << QByteArray("1900-02-29") << 1 << BetField::Birthdate << notReal;
    QTest::newRow("2023-13-01") << a << b << doc << QByteArray("2023-13-01") << 1
                                << BetField::Birthdate << notReal;
    QTest::newRow("2023-00-10") << a << b << doc << QByteArray("2023-00-10") << 1
                                << BetField::Birthdate << notReal;
    QTest::newRow("2023-04-31") << a << b << doc << QByteArray("2023-04-31") << 1
                                << BetField::Birthdate << notReal;
    QTest::newRow("2023-01-00") << a << b << doc << QByteArray("2023-01-00") << 1
                                << BetField::Birthdate << notReal;
    QTest::newRow("1899-12-31") << a << b << doc << QByteArray("1899-12-31") << 1
                                << BetField::Birthdate << QByteArray("birthdate is before 1900");
    QTest::newRow("tomorrow") << a << b << doc << QByteArray("2024-06-16") << 1
                              << BetField::Birthdate << QByteArray("birthdate is in the future");
    QTest::newRow("next year") << a << b << doc << QByteArray("2025-01-01") << 1
                               << BetField::Birthdate << QByteArray("birthdate is in the future");
    QTest::newRow("format DD/MM/YYYY")
        << a << b << doc << QByteArray("17/03/1999") << 1 << BetField::Birthdate << notReal;
    QTest::newRow("format without padding")
        << a << b << doc << QByteArray("1999-3-17") << 1 << BetField::Birthdate << notReal;
    QTest::newRow("format with time")
        << a << b << doc << QByteArray("1999-03-17T00:00") << 1 << BetField::Birthdate << notReal;
    QTest::newRow("format with sign")
        << a << b << doc << QByteArray("+999-03-17") << 1 << BetField::Birthdate << notReal;
    QTest::newRow("birthdate empty")
        << a << b << doc << QByteArray() << 1 << BetField::Birthdate << notReal;
    QTest::newRow("number 10000") << a << b << doc << date << 10000 << BetField::Number
                                  << QByteArray("number is above 9999");
    QTest::newRow("number 65535") << a << b << doc << date << 65535 << BetField::Number
                                  << QByteArray("number is above 9999");
    // The first broken rule is reported, in field order.
    QTest::newRow("several broken: first name wins")
        << QByteArray() << QByteArray() << QByteArray("x") << QByteArray("bad") << 10000
        << BetField::FirstName << QByteArray("first_name is empty");
}

void TestBetRules::brokenRules()
{
    QFETCH(QByteArray, firstName);
    QFETCH(QByteArray, lastName);
    QFETCH(QByteArray, document);
    QFETCH(QByteArray, birthdate);
    QFETCH(int, number);
    QFETCH(BetField, field);
    QFETCH(QByteArray, reason);
    const Bet bet {firstName.toStdString(), lastName.toStdString(), document.toStdString(),
        birthdate.toStdString(), static_cast<std::uint16_t>(number)};
    const std::optional<BetError> error = validateBet(bet, kToday);
    QVERIFY(error.has_value());
    QCOMPARE(QString(toString(error->field)), QString(toString(field)));
    QCOMPARE(QByteArray::fromStdString(error->toString()), reason);
    // The server's path (UTF-8 already checked by the decoder) gives the same verdict.
    if (isValidUtf8(bet.firstName) && isValidUtf8(bet.lastName)) {
        const std::optional<BetError> decoded = validateBet(bet, kToday, Utf8Check::AlreadyDone);
        QVERIFY(decoded.has_value());
        QCOMPARE(QByteArray::fromStdString(decoded->toString()), reason);
    }
}

void TestBetRules::isoDates_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("year");
    QTest::addColumn<int>("month");
    QTest::addColumn<int>("day");
    QTest::newRow("2024-02-29") << QByteArray("2024-02-29") << true << 2024 << 2 << 29;
    QTest::newRow("1999-12-31") << QByteArray("1999-12-31") << true << 1999 << 12 << 31;
    QTest::newRow("0001-01-01") << QByteArray("0001-01-01") << true << 1 << 1 << 1;
    QTest::newRow("2100-02-29") << QByteArray("2100-02-29") << false << 0 << 0 << 0;
    QTest::newRow("2023-06-31") << QByteArray("2023-06-31") << false << 0 << 0 << 0;
    QTest::newRow("2023_06_01") << QByteArray("2023_06_01") << false << 0 << 0 << 0;
    QTest::newRow("2023-06-1x") << QByteArray("2023-06-1x") << false << 0 << 0 << 0;
    QTest::newRow("short") << QByteArray("2023-06-1") << false << 0 << 0 << 0;
}

void TestBetRules::isoDates()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    const std::optional<CivilDate> date = parseIsoDate(text.toStdString());
    QCOMPARE(date.has_value(), valid);
    if (!valid)
        return;
    QFETCH(int, year);
    QFETCH(int, month);
    QFETCH(int, day);
    QCOMPARE(date->year, year);
    QCOMPARE(date->month, month);
    QCOMPARE(date->day, day);
}

void TestBetRules::winnerNumber()
{
    Bet bet = validBet();
    QVERIFY(isWinner(bet));
    bet.number = 7573;
    QVERIFY(!isWinner(bet));
}

void TestBetRules::batchBuilderRespectsMaxBets()
{
    BatchBuilder builder(3);
    std::vector<Batch> batches;
    std::uint64_t sequence = 0;
    for (int i = 0; i < 7; ++i) {
        const Bet bet = validBet();
        if (!builder.add(bet)) {
            QVERIFY(builder.full());
            batches.push_back(builder.take(++sequence));
            QVERIFY(builder.empty());
            QVERIFY(builder.add(bet));
        }
    }
    batches.push_back(builder.take(++sequence));
    QCOMPARE(batches.size(), std::size_t(3));
    QCOMPARE(batches[0].bets.size(), std::size_t(3));
    QCOMPARE(batches[1].bets.size(), std::size_t(3));
    QCOMPARE(batches[2].bets.size(), std::size_t(1));
    for (std::size_t i = 0; i < batches.size(); ++i)
        QCOMPARE(batches[i].sequence, std::uint64_t(i + 1));
}

// 546-byte bets (two 255-byte names, 20-digit document): only 14 fit in 8192 bytes, far fewer
// than maxBets, so the frame size is what cuts the batches.
void TestBetRules::batchBuilderRespectsFrameSizeWithLongNames()
{
    const Bet big {
        std::string(255, 'N'), std::string(255, 'L'), std::string(20, '9'), "1970-01-01", 1234};
    QCOMPARE(encodedBetSize(big), std::size_t(546));
    QVERIFY(!validateBet(big, kToday));

    BatchBuilder builder(100);
    std::vector<Batch> batches;
    const int total = 100;
    for (int i = 0; i < total; ++i) {
        if (!builder.add(big)) {
            QVERIFY(!builder.full());
            batches.push_back(builder.take(batches.size() + 1));
            QVERIFY(builder.add(big));
        }
    }
    batches.push_back(builder.take(batches.size() + 1));

    std::size_t seen = 0;
    for (const Batch &batch : batches) {
        const std::string frame = encodeFrame(batch);
        QVERIFY2(frame.size() <= kMaxFrameSize, qPrintable(QString::number(frame.size())));
        QVERIFY(batch.bets.size() <= 100);
        // Full batches leave no room for one more bet.
        if (&batch != &batches.back())
            QVERIFY(frame.size() + encodedBetSize(big) > kMaxFrameSize);
        QVERIFY(decodeSingle(frame) == Message(batch));
        seen += batch.bets.size();
    }
    QCOMPARE(batches.front().bets.size(), std::size_t(14));
    QCOMPARE(seen, std::size_t(total));
}

void TestBetRules::batchBuilderSingleMaxSizeBetFits()
{
    // Every field at the one-byte length limit: larger than any valid bet, still one frame.
    const std::string field(kMaxBetFieldBytes, '5');
    const Bet biggest {field, field, field, field, 0xFFFF};
    BatchBuilder builder(10);
    QVERIFY(builder.add(biggest));
    const Batch batch = builder.take(1);
    const std::string frame = encodeFrame(batch);
    QCOMPARE(frame.size(), kFrameHeaderSize + kBatchHeaderSize + 4 * (1 + 255) + 2);
    QVERIFY(frame.size() <= kMaxFrameSize);
    QVERIFY(decodeSingle(frame) == Message(batch));
    // A valid bet with two 255-byte names is the largest the rules allow.
    Bet valid = validBet();
    valid.firstName = std::string(255, 'a');
    valid.lastName = std::string(255, 'b');
    valid.document = std::string(20, '1');
    QVERIFY(!validateBet(valid, kToday));
    QVERIFY(BatchBuilder(1).add(valid));
}

void TestBetRules::batchBuilderZeroMaxBetsMeansOne()
{
    BatchBuilder builder(0);
    QVERIFY(builder.add(validBet()));
    QVERIFY(builder.full());
    QVERIFY(!builder.add(validBet()));
    QCOMPARE(builder.size(), std::size_t(1));
}

void TestBetRules::batchBuilderKeepsABetThatDidNotFit()
{
    BatchBuilder builder(1);
    QVERIFY(builder.add(validBet()));
    Bet next = validBet();
    next.document = "987654";
    QVERIFY(!builder.add(std::move(next)));
    // Refused, so not moved from: the caller still has it for the next batch.
    QCOMPARE(next.document, std::string("987654"));
    QCOMPARE(builder.take(1).bets.size(), std::size_t(1));
    QVERIFY(builder.add(std::move(next)));
    QCOMPARE(builder.take(2).bets.front().document, std::string("987654"));
}

void TestBetRules::chunkWinnersFitFramesAndLastIsFinal_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("documentBytes");
    QTest::addColumn<int>("expectedChunks");
    QTest::newRow("one") << 1 << 8 << 1;
    QTest::newRow("1000 x 20 digits") << 1000 << 20 << 3; // 389 per frame
    QTest::newRow("exactly one frame of 20 digits") << 389 << 20 << 1;
    QTest::newRow("one more than a frame") << 390 << 20 << 2;
    QTest::newRow("100 x 255 bytes") << 100 << 255 << 4; // 31 per frame
    QTest::newRow("10000 x 1 digit") << 10000 << 1 << 3; // 4092 per frame
}

void TestBetRules::chunkWinnersFitFramesAndLastIsFinal()
{
    QFETCH(int, count);
    QFETCH(int, documentBytes);
    QFETCH(int, expectedChunks);
    std::vector<std::string> documents;
    for (int i = 0; i < count; ++i) {
        std::string document = std::to_string(i);
        document.resize(std::size_t(documentBytes), '0');
        documents.push_back(document);
    }
    const std::vector<Winners> chunks = chunkWinners(documents);
    QCOMPARE(int(chunks.size()), expectedChunks);
    std::vector<std::string> joined;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        QCOMPARE(chunks[i].final, i + 1 == chunks.size());
        QVERIFY(!chunks[i].documents.empty());
        const std::string frame = encodeFrame(chunks[i]);
        QVERIFY2(frame.size() <= kMaxFrameSize, qPrintable(QString::number(frame.size())));
        if (i + 1 < chunks.size())
            QVERIFY(frame.size() + encodedDocumentSize(chunks[i + 1].documents.front())
                > kMaxFrameSize);
        QVERIFY(decodeSingle(frame) == Message(chunks[i]));
        joined.insert(joined.end(), chunks[i].documents.begin(), chunks[i].documents.end());
    }
    QVERIFY(joined == documents);
}

void TestBetRules::chunkWinnersEmptyListGivesOneFinalChunk()
{
    const std::vector<Winners> chunks = chunkWinners({});
    QCOMPARE(chunks.size(), std::size_t(1));
    QVERIFY(chunks.front().final);
    QVERIFY(chunks.front().documents.empty());
    QCOMPARE(encodeFrame(chunks.front()), std::string("\x00\x00\x00\x04\x09\x01\x00\x00", 8));
}

// Spelled out: QTEST_APPLESS_MAIN trips clang's -Wpedantic (empty variadic macro argument).
int main(int argc, char **argv)
{
    TestBetRules test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_bet_rules.moc"
