// The CSV forms of a bet: RFC 4180 record splitting, the agencies' input rows and the server's
// bets.csv rows; the view-based forms (splitCsvRecordViews, parseAgencyCsvRow with a reused
// CsvRowScratch, appendStoredBetRow from a BetView) against the owning ones.
#include "common/csv.h"
#include "common/stored_bet_row.h"
#include "lottery/agency/agency_csv_row.h"

#include <QStringList>
#include <QTest>

#include <string>
#include <string_view>
#include <vector>

using namespace lottery;
using namespace lottery::protocol;
using lottery::agency::CsvBetResult;

namespace {

QStringList toStringList(const std::vector<std::string> &fields)
{
    QStringList list;
    for (const std::string &field : fields)
        list << QString::fromStdString(field);
    return list;
}

QStringList viewsToStringList(const std::vector<std::string_view> &fields)
{
    QStringList list;
    for (std::string_view field : fields)
        list << QString::fromUtf8(field.data(), qsizetype(field.size()));
    return list;
}

bool within(std::string_view field, std::string_view buffer)
{
    return field.data() >= buffer.data()
        && field.data() + field.size() <= buffer.data() + buffer.size();
}

// Every field views either the line (unquoted) or the scratch's unescaped text (quoted).
bool viewsLineOrScratch(std::string_view line, const CsvRowScratch &scratch)
{
    const std::string_view unescaped(scratch.unescaped.data(), scratch.unescaped.size());
    for (std::string_view field : scratch.fields) {
        if (!field.empty() && !within(field, line) && !within(field, unescaped))
            return false;
    }
    return true;
}

QStringList betTexts(const BetView &bet)
{
    return viewsToStringList(
        std::vector<std::string_view> {bet.firstName, bet.lastName, bet.document, bet.birthdate});
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
    void splitCsvRecordViews_data();
    void splitCsvRecordViews();
    void splitCsvRecordViewsErrors_data() { splitCsvRecordErrors_data(); }
    void splitCsvRecordViewsErrors();
    void csvRowScratchIsReusedAcrossRows();
    void parseAgencyCsvRowMatchesParseAgencyCsvLine_data();
    void parseAgencyCsvRowMatchesParseAgencyCsvLine();
    void parseAgencyCsvRowReusesScratch();
    void appendStoredBetRowFromViews_data();
    void appendStoredBetRowFromViews();
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
    const auto result = lottery::splitCsvRecord(line.toStdString());
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
    QVERIFY(!lottery::splitCsvRecord(line.toStdString()).has_value());
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
    const CsvBetResult result = lottery::agency::parseAgencyCsvLine(line.toStdString());
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
    const CsvBetResult result = lottery::agency::parseAgencyCsvLine(line.toStdString());
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

void TestBetCsv::splitCsvRecordViews_data()
{
    splitCsvRecord_data();
    QTest::newRow("several quoted fields")
        << QByteArray("\"a,b\",\"say \"\"hi\"\"\",plain,\"\",\",\",\"\"\"\"")
        << QStringList {"a,b", "say \"hi\"", "plain", "", ",", "\""};
    QTest::newRow("every field quoted")
        << QByteArray("\"Ana, \"\"la\"\" Reina\",\"P\xc3\xa9rez\",\"1\",\"2000-01-01\",\"42\"")
        << QStringList {"Ana, \"la\" Reina", QString::fromUtf8("Pérez"), "1", "2000-01-01", "42"};
    QTest::newRow("quoted, unquoted, quoted")
        << QByteArray("\"x\"\"\",y,\",z\"") << QStringList {"x\"", "y", ",z"};
    QTest::newRow("quoted last field, empty after comma")
        << QByteArray("a,\"b,c\",") << QStringList {"a", "b,c", ""};
    QTest::newRow("long quoted fields") << QByteArray("\"" + QByteArray(300, 'q') + ",\"\"" + "\","
        + QByteArray(200, 'u') + ",\"" + QByteArray(250, 'r')
        + "\"") << QStringList {QString(300, 'q') + ",\"", QString(200, 'u'), QString(250, 'r')};
}

// The views are compared only after the call: the quoted ones must not have moved while later
// fields were unescaped.
void TestBetCsv::splitCsvRecordViews()
{
    QFETCH(QByteArray, line);
    QFETCH(QStringList, fields);
    const std::string text = line.toStdString();
    CsvRowScratch scratch;
    QVERIFY(lottery::splitCsvRecordViews(text, scratch));
    QCOMPARE(viewsToStringList(scratch.fields), fields);
    QVERIFY(viewsLineOrScratch(text, scratch));
    // The same fields as the owning splitCsvRecord().
    QCOMPARE(toStringList(*lottery::splitCsvRecord(text)), fields);
}

void TestBetCsv::splitCsvRecordViewsErrors()
{
    QFETCH(QByteArray, line);
    CsvRowScratch scratch;
    // Left over from an earlier row: a failure must not be mistaken for it.
    QVERIFY(lottery::splitCsvRecordViews("a,b", scratch));
    QVERIFY(!lottery::splitCsvRecordViews(line.toStdString(), scratch));
}

// One scratch for rows of different lengths: long, short, long again. Each row's fields are
// right, none left over from the row before, and every view of a row is valid after its call.
void TestBetCsv::csvRowScratchIsReusedAcrossRows()
{
    const QByteArray longQuoted = "\"" + QByteArray(400, 'a') + ", \"\"x\"\"\"," + "\""
        + QByteArray(300, 'b') + "\"," + QByteArray(100, 'c') + ",\"d\"\"\",\"\",e";
    const QStringList longFields {
        QString(400, 'a') + ", \"x\"", QString(300, 'b'), QString(100, 'c'), "d\"", "", "e"};
    const QByteArray longerQuoted = "\"" + QByteArray(900, 'z') + "\",\"" + QByteArray(5, 'y')
        + "\"\"\"," + QByteArray(1000, 'w');
    const QStringList longerFields {QString(900, 'z'), QString(5, 'y') + "\"", QString(1000, 'w')};
    const struct {
        QByteArray line;
        QStringList fields;
    } rows[] = {
        {longQuoted, longFields},
        {"\"q\",s", {"q", "s"}},
        {"a", {"a"}},
        {longQuoted, longFields},
        {"", {""}},
        {longerQuoted, longerFields},
        {"\"1\",\"2\",\"3\"", {"1", "2", "3"}},
        {longerQuoted, longerFields},
        {"x,y,z,w", {"x", "y", "z", "w"}},
    };
    CsvRowScratch scratch;
    for (const auto &row : rows) {
        const std::string line = row.line.toStdString();
        QVERIFY(lottery::splitCsvRecordViews(line, scratch));
        QCOMPARE(viewsToStringList(scratch.fields), row.fields);
        QVERIFY(viewsLineOrScratch(line, scratch));
        // A refused row in between leaves the next one unaffected.
        QVERIFY(!lottery::splitCsvRecordViews("\"unterminated," + line, scratch));
    }
}

void TestBetCsv::parseAgencyCsvRowMatchesParseAgencyCsvLine_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("error"); // empty for a row that parses
    const QByteArray ok;
    QTest::newRow("plain LF") << QByteArray("Ana,Lorca,30904465,1999-03-17,7574\n") << ok;
    QTest::newRow("plain CRLF") << QByteArray("Ana,Lorca,30904465,1999-03-17,7574\r\n") << ok;
    QTest::newRow("no line ending") << QByteArray("Ana,Lorca,30904465,1999-03-17,0") << ok;
    QTest::newRow("quoted name with comma and doubled quotes")
        << QByteArray("\"Ana, \"\"la\"\" Reina\",\"O\"\"Neil, Jr\",1,2000-01-01,12\r\n") << ok;
    QTest::newRow("every field quoted")
        << QByteArray("\"A\",\"B\",\"1\",\"2000-01-01\",\"65535\"\n") << ok;
    QTest::newRow("utf-8") << QByteArray("Jos\xc3\xa9,N\xc3\xba\xc3\xb1\x65z,1,2000-01-01,5") << ok;
    QTest::newRow("empty fields") << QByteArray(",,,,5") << ok;
    QTest::newRow("quoted CR LF inside a field")
        << QByteArray("\"a\r\nb\",c,1,2000-01-01,5\r\n") << ok;

    const QByteArray quoting = "malformed CSV quoting";
    QTest::newRow("unterminated quote") << QByteArray("\"Ana,Lorca,1,2000-01-01,5\r\n") << quoting;
    QTest::newRow("text after closing quote")
        << QByteArray("\"Ana\"x,Lorca,1,2000-01-01,5") << quoting;
    QTest::newRow("quote inside unquoted field")
        << QByteArray("An\"a,Lorca,1,2000-01-01,5") << quoting;
    QTest::newRow("quoted number cut") << QByteArray("A,B,1,2000-01-01,\"5") << quoting;

    QTest::newRow("1 field") << QByteArray("\r\n") << QByteArray("expected 5 fields, found 1");
    QTest::newRow("4 fields") << QByteArray("Ana,Lorca,30904465,1999-03-17\r\n")
                              << QByteArray("expected 5 fields, found 4");
    QTest::newRow("4 fields, a quoted comma")
        << QByteArray("\"Ana,Lorca\",1,2000-01-01,5") << QByteArray("expected 5 fields, found 4");
    QTest::newRow("6 fields") << QByteArray("1,Ana,Lorca,30904465,1999-03-17,7574\n")
                              << QByteArray("expected 5 fields, found 6");
    QTest::newRow("12 fields") << QByteArray("a,b,c,d,e,f,g,h,i,j,k,l")
                               << QByteArray("expected 5 fields, found 12");

    const QByteArray notInteger = "number is not an integer";
    QTest::newRow("number with letters") << QByteArray("A,B,1,2000-01-01,12a") << notInteger;
    QTest::newRow("number empty") << QByteArray("A,B,1,2000-01-01,") << notInteger;
    QTest::newRow("number quoted empty") << QByteArray("A,B,1,2000-01-01,\"\"") << notInteger;
    QTest::newRow("number 65536") << QByteArray("A,B,1,2000-01-01,65536") << notInteger;
    QTest::newRow("number negative") << QByteArray("A,B,1,2000-01-01,-1") << notInteger;
    QTest::newRow("number with CR inside quotes")
        << QByteArray("A,B,1,2000-01-01,\"5\r\"") << notInteger;
}

void TestBetCsv::parseAgencyCsvRowMatchesParseAgencyCsvLine()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, error);
    const std::string text = line.toStdString();
    const CsvBetResult reference = lottery::agency::parseAgencyCsvLine(text);
    CsvRowScratch scratch;
    BetView bet;
    std::string parseError;
    const bool parsed = lottery::agency::parseAgencyCsvRow(text, scratch, bet, parseError);
    QCOMPARE(parsed, error.isEmpty());
    QCOMPARE(parsed, reference.bet.has_value());
    if (!parsed) {
        QCOMPARE(QByteArray::fromStdString(parseError), error);
        QCOMPARE(parseError, reference.error);
        return;
    }
    QVERIFY(bet.toBet() == *reference.bet);
    QVERIFY(viewsLineOrScratch(text, scratch));
    for (std::string_view field : {bet.firstName, bet.lastName, bet.document, bet.birthdate}) {
        QVERIFY(field.empty() || within(field, text)
            || within(field, std::string_view(scratch.unescaped)));
    }
}

// One scratch (as the agency's reader keeps one) across rows of different lengths and failures:
// each row gives exactly what parseAgencyCsvLine() gives for it alone.
void TestBetCsv::parseAgencyCsvRowReusesScratch()
{
    const std::string longName(250, 'n');
    const std::vector<std::string> lines = {
        "\"" + longName + ", \"\"x\"\"\",\"" + longName + "\",\"12345678\",1990-01-02,\"7574\"\r\n",
        "A,B,1,2000-01-01,5\n",
        "\"" + longName + "\",x\n", // 2 fields after a long row of 5
        "\"Q\"\"\",\"R\",2,2001-02-03,6",
        "bad row\r\n",
        std::string(2000, 'x') + ",\"" + std::string(900, 'y') + "\",3,2002-03-04,7\r\n",
        "\"a,b\",c,4,2003-04-05,8\r\n",
        "A,B,1,2000-01-01,notanumber\n",
        "\"unterminated,B,1,2000-01-01,5\n",
        "\"" + longName + "\",\"" + longName + "\",\"99\",1990-01-02,1\n",
    };
    CsvRowScratch scratch;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string &line = lines[i];
        const CsvBetResult reference = lottery::agency::parseAgencyCsvLine(line);
        BetView bet;
        std::string error = "left over";
        const bool parsed = lottery::agency::parseAgencyCsvRow(line, scratch, bet, error);
        QVERIFY2(parsed == reference.bet.has_value(), qPrintable(QString::number(i)));
        if (parsed) {
            QVERIFY2(bet.toBet() == *reference.bet, qPrintable(QString::number(i)));
        } else {
            QCOMPARE(error, reference.error);
        }
    }
    // A quoted row after a longer one: its quoted text fits in the room already there.
    BetView bet;
    std::string error;
    QVERIFY(lottery::agency::parseAgencyCsvRow(
        "\"Ana, \"\"la\"\" Reina\",\"P\xc3\xa9rez\",1,2000-01-01,3", scratch, bet, error));
    QCOMPARE(betTexts(bet),
        (QStringList {"Ana, \"la\" Reina", QString::fromUtf8("Pérez"), "1", "2000-01-01"}));
    QCOMPARE(int(bet.number), 3);
}

void TestBetCsv::appendStoredBetRowFromViews_data()
{
    QTest::addColumn<QByteArray>("firstName");
    QTest::addColumn<QByteArray>("lastName");
    QTest::addColumn<uint>("agency");
    QTest::addColumn<int>("number");
    QTest::addColumn<QByteArray>("row");
    QTest::newRow("plain") << QByteArray("Ana") << QByteArray("Lorca") << 3u << 7574
                           << QByteArray("3,Ana,Lorca,30904465,1999-03-17,7574\n");
    QTest::newRow("agency 0, number 0") << QByteArray("Ana") << QByteArray("Lorca") << 0u << 0
                                        << QByteArray("0,Ana,Lorca,30904465,1999-03-17,0\n");
    QTest::newRow("largest agency and number")
        << QByteArray("Ana") << QByteArray("Lorca") << 4294967295u << 65535
        << QByteArray("4294967295,Ana,Lorca,30904465,1999-03-17,65535\n");
    QTest::newRow("comma and quotes")
        << QByteArray("Ana, \"la\" Reina") << QByteArray("O\"Neil") << 10u << 10
        << QByteArray("10,\"Ana, \"\"la\"\" Reina\",\"O\"\"Neil\",30904465,1999-03-17,10\n");
    QTest::newRow("CR and LF") << QByteArray("a\r\nb") << QByteArray("c\rd") << 7u << 99
                               << QByteArray("7,\"a\r\nb\",\"c\rd\",30904465,1999-03-17,99\n");
    QTest::newRow("empty names") << QByteArray() << QByteArray() << 1u << 1
                                 << QByteArray("1,,,30904465,1999-03-17,1\n");
    QTest::newRow("accents") << QByteArray("Jos\xc3\xa9") << QByteArray("N\xc3\xba\xc3\xb1\x65z")
                             << 12345u << 1000
                             << QByteArray("12345,Jos\xc3\xa9,N\xc3\xba\xc3\xb1\x65z,30904465,"
                                           "1999-03-17,1000\n");
}

// A BetView whose fields are slices of a bigger buffer (not NUL-terminated, followed by other
// text) gives the same row as the Bet with the same values.
void TestBetCsv::appendStoredBetRowFromViews()
{
    QFETCH(QByteArray, firstName);
    QFETCH(QByteArray, lastName);
    QFETCH(uint, agency);
    QFETCH(int, number);
    QFETCH(QByteArray, row);
    const Bet bet {firstName.toStdString(), lastName.toStdString(), "30904465", "1999-03-17",
        static_cast<std::uint16_t>(number)};
    const std::string buffer
        = bet.firstName + "|" + bet.lastName + "|" + bet.document + "|" + bet.birthdate + "|tail";
    const std::string_view all(buffer);
    std::size_t at = 0;
    const auto slice = [&](std::size_t size) {
        const std::string_view field = all.substr(at, size);
        at += size + 1;
        return field;
    };
    BetView view;
    view.firstName = slice(bet.firstName.size());
    view.lastName = slice(bet.lastName.size());
    view.document = slice(bet.document.size());
    view.birthdate = slice(bet.birthdate.size());
    view.number = bet.number;

    std::string fromView = "prefix,";
    appendStoredBetRow(fromView, agency, view);
    std::string fromBet = "prefix,";
    appendStoredBetRow(fromBet, agency, bet);
    QCOMPARE(QByteArray::fromStdString(fromView), "prefix," + row);
    QCOMPARE(fromView, fromBet);
    // And it reads back as the same bet.
    const auto stored = parseStoredBetRow(std::string_view(fromView).substr(7));
    QVERIFY(stored.has_value());
    QCOMPARE(stored->agency, std::uint32_t(agency));
    QVERIFY(stored->bet == bet);
}

// Spelled out: QTEST_APPLESS_MAIN trips clang's -Wpedantic (empty variadic macro argument).
int main(int argc, char **argv)
{
    TestBetCsv test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_bet_csv.moc"
