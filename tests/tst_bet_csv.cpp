// The CSV forms of a bet: RFC 4180 record splitting, the agencies' input rows and the server's
// bets.csv rows.
#include "lottery/protocol/bet_csv.h"

#include <QStringList>
#include <QTest>

#include <string>
#include <vector>

using namespace lottery::protocol;

namespace {

QStringList toStringList(const std::vector<std::string> &fields)
{
    QStringList list;
    for (const std::string &field : fields)
        list << QString::fromStdString(field);
    return list;
}

} // namespace

class TestBetCsv : public QObject
{
    Q_OBJECT

private slots:
    void splitCsvRecord_data();
    void splitCsvRecord();
    void splitCsvRecordErrors_data();
    void splitCsvRecordErrors();
    void parseAgencyCsvLine_data();
    void parseAgencyCsvLine();
    void parseAgencyCsvLineErrors_data();
    void parseAgencyCsvLineErrors();
    void appendStoredBetRowQuotesOnlyWhenNeeded_data();
    void appendStoredBetRowQuotesOnlyWhenNeeded();
    void storedBetRowRoundTrip_data();
    void storedBetRowRoundTrip();
    void parseStoredBetRowErrors_data();
    void parseStoredBetRowErrors();
};

void TestBetCsv::splitCsvRecord_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QStringList>("fields");
    QTest::newRow("plain") << QByteArray("a,b,c") << QStringList {"a", "b", "c"};
    QTest::newRow("empty line is one empty field") << QByteArray("") << QStringList {""};
    QTest::newRow("empty fields") << QByteArray(",,") << QStringList {"", "", ""};
    QTest::newRow("trailing comma") << QByteArray("a,") << QStringList {"a", ""};
    QTest::newRow("quoted with comma") << QByteArray("\"a,b\",c") << QStringList {"a,b", "c"};
    QTest::newRow("doubled quotes")
        << QByteArray("\"say \"\"hi\"\"\",x") << QStringList {"say \"hi\"", "x"};
    QTest::newRow("only a doubled quote") << QByteArray("\"\"\"\"") << QStringList {"\""};
    QTest::newRow("quoted empty") << QByteArray("\"\",b") << QStringList {"", "b"};
    QTest::newRow("quoted newline") << QByteArray("\"a\r\nb\",c") << QStringList {"a\r\nb", "c"};
    QTest::newRow("spaces kept") << QByteArray(" a , b ") << QStringList {" a ", " b "};
    QTest::newRow("utf-8") << QByteArray("Jos\xc3\xa9,N\xc3\xba\xc3\xb1\x65z")
                           << QStringList {QString::fromUtf8("José"), QString::fromUtf8("Núñez")};
}

void TestBetCsv::splitCsvRecord()
{
    QFETCH(QByteArray, line);
    QFETCH(QStringList, fields);
    const auto result = lottery::protocol::splitCsvRecord(line.toStdString());
    QVERIFY(result.has_value());
    QCOMPARE(toStringList(*result), fields);
}

void TestBetCsv::splitCsvRecordErrors_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::newRow("unterminated quote") << QByteArray("\"abc,d");
    QTest::newRow("unterminated after doubled quote") << QByteArray("\"ab\"\"");
    QTest::newRow("text after closing quote") << QByteArray("\"ab\"c,d");
    QTest::newRow("quote inside unquoted field") << QByteArray("ab\"c\",d");
    QTest::newRow("lone quote") << QByteArray("\"");
}

void TestBetCsv::splitCsvRecordErrors()
{
    QFETCH(QByteArray, line);
    QVERIFY(!lottery::protocol::splitCsvRecord(line.toStdString()).has_value());
}

void TestBetCsv::parseAgencyCsvLine_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QStringList>("texts");
    QTest::addColumn<int>("number");
    const QStringList ana {"Ana", "Lorca", "30904465", "1999-03-17"};
    QTest::newRow("LF") << QByteArray("Ana,Lorca,30904465,1999-03-17,7574\n") << ana << 7574;
    QTest::newRow("CRLF") << QByteArray("Ana,Lorca,30904465,1999-03-17,7574\r\n") << ana << 7574;
    QTest::newRow("no line ending")
        << QByteArray("Ana,Lorca,30904465,1999-03-17,7574") << ana << 7574;
    QTest::newRow("number 0") << QByteArray("Ana,Lorca,30904465,1999-03-17,0\r\n") << ana << 0;
    QTest::newRow("quoted name with comma")
        << QByteArray("\"Ana, Mar\xc3\xad\x61\",Lorca,1,2000-01-01,12\r\n")
        << QStringList {QString::fromUtf8("Ana, María"), "Lorca", "1", "2000-01-01"} << 12;
    // Parsing is not validation: an out-of-range number still parses, validateBet refuses it.
    QTest::newRow("number 10000 parses") << QByteArray("A,B,1,2000-01-01,10000")
                                         << QStringList {"A", "B", "1", "2000-01-01"} << 10000;
    QTest::newRow("empty fields parse") << QByteArray(",,,,5") << QStringList {"", "", "", ""} << 5;
}

void TestBetCsv::parseAgencyCsvLine()
{
    QFETCH(QByteArray, line);
    QFETCH(QStringList, texts);
    QFETCH(int, number);
    const CsvBetResult result = lottery::protocol::parseAgencyCsvLine(line.toStdString());
    QVERIFY2(result.bet.has_value(), result.error.c_str());
    QVERIFY(result.error.empty());
    QCOMPARE(toStringList({result.bet->firstName, result.bet->lastName, result.bet->document,
                 result.bet->birthdate}),
        texts);
    QCOMPARE(int(result.bet->number), number);
}

void TestBetCsv::parseAgencyCsvLineErrors_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("error");
    QTest::newRow("4 fields") << QByteArray("Ana,Lorca,30904465,1999-03-17\r\n")
                              << QByteArray("expected 5 fields, found 4");
    QTest::newRow("6 fields") << QByteArray("1,Ana,Lorca,30904465,1999-03-17,7574\r\n")
                              << QByteArray("expected 5 fields, found 6");
    QTest::newRow("empty line") << QByteArray("\r\n") << QByteArray("expected 5 fields, found 1");
    QTest::newRow("bad quoting") << QByteArray("\"Ana,Lorca,1,2000-01-01,5\r\n")
                                 << QByteArray("malformed CSV quoting");
    const QByteArray notInteger = "number is not an integer";
    QTest::newRow("number with letters") << QByteArray("A,B,1,2000-01-01,12a") << notInteger;
    QTest::newRow("number negative") << QByteArray("A,B,1,2000-01-01,-1") << notInteger;
    QTest::newRow("number with plus") << QByteArray("A,B,1,2000-01-01,+1") << notInteger;
    QTest::newRow("number empty") << QByteArray("A,B,1,2000-01-01,") << notInteger;
    QTest::newRow("number with space") << QByteArray("A,B,1,2000-01-01, 7") << notInteger;
    QTest::newRow("number 65536") << QByteArray("A,B,1,2000-01-01,65536") << notInteger;
    QTest::newRow("number 6 digits") << QByteArray("A,B,1,2000-01-01,000001") << notInteger;
    QTest::newRow("number decimal") << QByteArray("A,B,1,2000-01-01,7.5") << notInteger;
}

void TestBetCsv::parseAgencyCsvLineErrors()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, error);
    const CsvBetResult result = lottery::protocol::parseAgencyCsvLine(line.toStdString());
    QVERIFY(!result.bet.has_value());
    QCOMPARE(QByteArray::fromStdString(result.error), error);
}

void TestBetCsv::appendStoredBetRowQuotesOnlyWhenNeeded_data()
{
    QTest::addColumn<QByteArray>("firstName");
    QTest::addColumn<QByteArray>("lastName");
    QTest::addColumn<QByteArray>("row");
    QTest::newRow("plain") << QByteArray("Ana") << QByteArray("Lorca")
                           << QByteArray("3,Ana,Lorca,30904465,1999-03-17,7574\n");
    QTest::newRow("comma") << QByteArray("Ana, Jr") << QByteArray("Lorca")
                           << QByteArray("3,\"Ana, Jr\",Lorca,30904465,1999-03-17,7574\n");
    QTest::newRow("quote") << QByteArray("Ana") << QByteArray("O\"Neil")
                           << QByteArray("3,Ana,\"O\"\"Neil\",30904465,1999-03-17,7574\n");
    QTest::newRow("newline") << QByteArray("A\nB") << QByteArray("L")
                             << QByteArray("3,\"A\nB\",L,30904465,1999-03-17,7574\n");
    QTest::newRow("spaces and accents unquoted")
        << QByteArray("Ana Mar\xc3\xad\x61") << QByteArray("N\xc3\xba\xc3\xb1\x65z")
        << QByteArray("3,Ana Mar\xc3\xad\x61,N\xc3\xba\xc3\xb1\x65z,30904465,1999-03-17,7574\n");
}

void TestBetCsv::appendStoredBetRowQuotesOnlyWhenNeeded()
{
    QFETCH(QByteArray, firstName);
    QFETCH(QByteArray, lastName);
    QFETCH(QByteArray, row);
    std::string out = "prefix\n";
    appendStoredBetRow(out, 3,
        Bet {firstName.toStdString(), lastName.toStdString(), "30904465", "1999-03-17", 7574});
    QCOMPARE(QByteArray::fromStdString(out), "prefix\n" + row);
}

void TestBetCsv::storedBetRowRoundTrip_data()
{
    QTest::addColumn<QByteArray>("firstName");
    QTest::addColumn<QByteArray>("lastName");
    QTest::addColumn<uint>("agency");
    QTest::addColumn<int>("number");
    QTest::newRow("plain") << QByteArray("Ana") << QByteArray("Lorca") << 1u << 7574;
    QTest::newRow("comma and quotes")
        << QByteArray("\"Tito\", Jr") << QByteArray("a\"\"b") << 5u << 0;
    QTest::newRow("accents") << QByteArray("Jos\xc3\xa9") << QByteArray("\xc3\x91u\xc3\xb1\x65z")
                             << 4294967295u << 9999;
    QTest::newRow("CR and LF inside") << QByteArray("a\r\nb") << QByteArray("c\rd") << 2u << 1;
    QTest::newRow("leading comma") << QByteArray(",x") << QByteArray("y,") << 3u << 65535;
}

void TestBetCsv::storedBetRowRoundTrip()
{
    QFETCH(QByteArray, firstName);
    QFETCH(QByteArray, lastName);
    QFETCH(uint, agency);
    QFETCH(int, number);
    const Bet bet {firstName.toStdString(), lastName.toStdString(), "12345678901234567890",
        "2000-02-29", static_cast<std::uint16_t>(number)};
    std::string row;
    appendStoredBetRow(row, agency, bet);
    QVERIFY(row.back() == '\n');
    const std::optional<StoredBet> parsed = parseStoredBetRow(row);
    QVERIFY(parsed.has_value());
    QCOMPARE(parsed->agency, std::uint32_t(agency));
    QVERIFY(parsed->bet == bet);
    // The same row with a CRLF ending reads the same.
    row.insert(row.size() - 1, "\r");
    QVERIFY(parseStoredBetRow(row)->bet == bet);
}

void TestBetCsv::parseStoredBetRowErrors_data()
{
    QTest::addColumn<QByteArray>("row");
    QTest::newRow("5 fields") << QByteArray("Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("7 fields") << QByteArray("1,Ana,Lorca,1,2000-01-01,5,6\n");
    QTest::newRow("agency not a number") << QByteArray("x,Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("agency empty") << QByteArray(",Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("agency negative") << QByteArray("-1,Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("agency with suffix") << QByteArray("1a,Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("agency above u32") << QByteArray("4294967296,Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("number not a number") << QByteArray("1,Ana,Lorca,1,2000-01-01,five\n");
    QTest::newRow("unterminated quote") << QByteArray("1,\"Ana,Lorca,1,2000-01-01,5\n");
    QTest::newRow("empty") << QByteArray("\n");
}

void TestBetCsv::parseStoredBetRowErrors()
{
    QFETCH(QByteArray, row);
    QVERIFY(!parseStoredBetRow(row.toStdString()).has_value());
}

// Spelled out: QTEST_APPLESS_MAIN trips clang's -Wpedantic (empty variadic macro argument).
int main(int argc, char **argv)
{
    TestBetCsv test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_bet_csv.moc"
