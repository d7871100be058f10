// BetFileReader and scanBetFile: line endings, BOM, blank lines, quoting, every kind of invalid
// row with its line number, constant memory on a large file, and the course's dataset; lines
// across the reader's chunk boundaries, through readNext() and readNextView() alike.
#include "lottery/agency/bet_file_reader.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using lottery::agency::BetFileReader;
using lottery::agency::BetRow;
using lottery::agency::BetRowView;
using lottery::agency::InvalidRow;
using lottery::agency::scanBetFile;

namespace {

const QDate kToday(2024, 6, 1);

// "line:V" for a valid row, "line:E:<reason>" for an invalid one.
QStringList describeRows(const QString &path, BetFileReader &reader)
{
    QStringList rows;
    if (!reader.open(path))
        return {QStringLiteral("open failed: ") + reader.errorString()};
    BetRow row;
    while (reader.readNext(row)) {
        rows << (row.isValid() ? QStringLiteral("%1:V").arg(row.line)
                               : QStringLiteral("%1:E:%2").arg(row.line).arg(row.error));
    }
    if (reader.hasError())
        rows << QStringLiteral("read error: ") + reader.errorString();
    return rows;
}

qint64 residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

// A row in enough detail to tell a misplaced or corrupted field: "line:V:document:number:first
// name size:last name size:first char" for a valid row, "line:E:<reason>" for an invalid one.
QString describeBet(qint64 line, const lottery::protocol::BetView &bet)
{
    return QStringLiteral("%1:V:%2:%3:%4:%5:%6")
        .arg(line)
        .arg(QString::fromUtf8(bet.document.data(), qsizetype(bet.document.size())))
        .arg(bet.number)
        .arg(bet.firstName.size())
        .arg(bet.lastName.size())
        .arg(bet.firstName.empty() ? QChar('-') : QChar(bet.firstName.front()));
}

QString describeError(qint64 line, const QString &error)
{
    return QStringLiteral("%1:E:%2").arg(line).arg(error);
}

// Every row of the file through readNext() (copies) or readNextView() (views), then the state
// the reader ends in.
struct ReadResult {
    QStringList rows;
    qint64 bytesRead = -1;
    qint64 lineNumber = -1;
    bool atEnd = false;
    bool hasError = true;
};

ReadResult readRows(const QString &path, bool views)
{
    ReadResult result;
    BetFileReader reader;
    reader.setToday(kToday);
    if (!reader.open(path)) {
        result.rows << QStringLiteral("open failed: ") + reader.errorString();
        return result;
    }
    if (views) {
        BetRowView row;
        while (reader.readNextView(row)) {
            result.rows << (row.isValid() ? describeBet(row.line, row.bet)
                                          : describeError(row.line, row.error));
        }
    } else {
        BetRow row;
        while (reader.readNext(row)) {
            result.rows << (row.isValid()
                    ? describeBet(row.line, lottery::protocol::BetView(*row.bet))
                    : describeError(row.line, row.error));
        }
    }
    result.bytesRead = reader.bytesRead();
    result.lineNumber = reader.lineNumber();
    result.atEnd = reader.atEnd();
    result.hasError = reader.hasError();
    return result;
}

// Where the reader's reads may end: the chunk it documents and the whole buffer it fills on the
// first read (a chunk plus room for a carried-over line and its CR).
const qint64 kFirstReadEnds[]
    = {BetFileReader::kChunkBytes, BetFileReader::kChunkBytes + BetFileReader::kMaxLineBytes + 2};

const QString kTooLong
    = QStringLiteral("line is longer than %1 bytes").arg(BetFileReader::kMaxLineBytes);

// Builds a bet file line by line together with what the reader must make of it.
struct FileBuilder {
    QByteArray content;
    QStringList expected;
    qint64 line = 0;

    // A valid row of exactly `size` bytes including `ending`; its document is its line number.
    void validRow(qint64 size, const QByteArray &ending = "\n")
    {
        ++line;
        const QByteArray document = QByteArray::number(line);
        const QByteArray number = QByteArray::number(line % 10000);
        const QByteArray rest = ",P\xc3\xa9rez," + document + ",1990-01-02," + number + ending;
        const qint64 nameSize = size - rest.size();
        if (nameSize < 1 || nameSize > 255)
            qFatal("validRow: a row of %lld bytes cannot be built", static_cast<long long>(size));
        content += QByteArray(nameSize, 'N') + rest;
        expected << QStringLiteral("%1:V:%2:%3:%4:6:N")
                        .arg(line)
                        .arg(QString::fromLatin1(document))
                        .arg(line % 10000)
                        .arg(nameSize);
    }

    // Valid rows until the file is exactly `end` bytes long.
    void fillTo(qint64 end, const QByteArray &ending = "\n")
    {
        while (end - content.size() > 400)
            validRow(150, ending);
        const qint64 remaining = end - content.size();
        if (remaining > 200) {
            validRow(remaining / 2, ending);
            validRow(end - content.size(), ending);
        } else if (remaining > 0) {
            validRow(remaining, ending);
        }
        if (content.size() != end)
            qFatal("fillTo: overshot");
    }

    // A line with any content; `outcome` is "V..." or "E:<reason>" without the line number, or
    // empty for a line the reader skips (blank).
    void rawLine(const QByteArray &text, const QByteArray &ending, const QString &outcome)
    {
        ++line;
        content += text + ending;
        if (!outcome.isEmpty())
            expected << QStringLiteral("%1:%2").arg(line).arg(outcome);
    }

    // A line of exactly `size` bytes before its ending that parses into five fields, with a first
    // name far over 255 bytes: longer than any bet, but not longer than the line limit.
    void longFieldLine(qint64 size, const QByteArray &ending)
    {
        const QByteArray rest = ",P,1,1990-01-02,1";
        rawLine(QByteArray(size - rest.size(), 'L') + rest, ending,
            QStringLiteral("E:first_name is longer than 255 bytes"));
    }
};

} // namespace

class TestBetFileReader : public QObject
{
    Q_OBJECT

private slots:
    void init() { QVERIFY(m_dir.isValid()); }

    void rows_data();
    void rows();
    void firstValidBetIsDecodedExactly();
    void quotedFieldsAreUnquoted();
    void missingFileIsAnError();
    void overlongLineIsSkippedWithoutBuffering();
    void scanCountsAndCapsInvalidRows();
    void suspiciousFiles_data();
    void suspiciousFiles();
    void suspiciousFileDetails();
    void scanCanBeCancelled();
    void largeFileReadsInConstantMemory();
    void courseDatasetIsAllValid();
    void linesStraddlingChunkBoundaries();
    void chunkBoundaries_data();
    void chunkBoundaries();
    void reopenStartsAfresh();

private:
    QString write(const QByteArray &content)
    {
        const QString path = m_dir.filePath(QStringLiteral("bets-%1.csv").arg(++m_files));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            qFatal("cannot write test file");
        return path;
    }

    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestBetFileReader::rows_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("expected");

    const QByteArray a = "Ana,Pérez,12345678,1990-01-02,7574";
    const QByteArray b = "José María,Muñoz,87654321,2000-12-31,0";

    QTest::newRow("lf") << a + "\n" + b + "\n" << QStringList {"1:V", "2:V"};
    QTest::newRow("crlf") << a + "\r\n" + b + "\r\n" << QStringList {"1:V", "2:V"};
    QTest::newRow("no-final-newline") << a + "\r\n" + b << QStringList {"1:V", "2:V"};
    QTest::newRow("bom") << "\xEF\xBB\xBF" + a + "\r\n" + b + "\r\n" << QStringList {"1:V", "2:V"};
    QTest::newRow("blank-lines-keep-numbering") << "\r\n" + a + "\r\n\r\n  \n\n" + b + "\n\n"
                                                << QStringList {"2:V", "6:V"};
    QTest::newRow("empty-file") << QByteArray() << QStringList {};
    QTest::newRow("only-bom") << QByteArray("\xEF\xBB\xBF") << QStringList {};
    QTest::newRow("mixed-endings")
        << a + "\n" + b + "\r\n" + a << QStringList {"1:V", "2:V", "3:V"};

    // Every class of invalid row, each between two valid ones so that its line number is proved.
    const struct {
        const char *name;
        QByteArray row;
        QString reason;
    } invalid[] = {
        {"four-fields", "Ana,Pérez,12345678,1990-01-02", "expected 5 fields, found 4"},
        {"six-fields", "Ana,Pérez,12345678,1990-01-02,1,2", "expected 5 fields, found 6"},
        {"unterminated-quote", "\"Ana,Pérez,12345678,1990-01-02,1", "malformed CSV quoting"},
        {"quote-in-field", "An\"a,Pérez,12345678,1990-01-02,1", "malformed CSV quoting"},
        {"number-not-integer", "Ana,Pérez,12345678,1990-01-02,12a", "number is not an integer"},
        {"number-negative", "Ana,Pérez,12345678,1990-01-02,-1", "number is not an integer"},
        {"number-too-big", "Ana,Pérez,12345678,1990-01-02,10000", "number is above 9999"},
        {"empty-first-name", ",Pérez,12345678,1990-01-02,1", "first_name is empty"},
        {"empty-last-name", "Ana,,12345678,1990-01-02,1", "last_name is empty"},
        {"name-spaces", " Ana,Pérez,12345678,1990-01-02,1",
            "first_name has leading or trailing spaces"},
        {"invalid-utf8", "An\xC3\x28,Pérez,12345678,1990-01-02,1", "first_name is not valid UTF-8"},
        {"document-letters", "Ana,Pérez,1234A678,1990-01-02,1",
            "document must contain only digits"},
        {"document-empty", "Ana,Pérez,,1990-01-02,1", "document is empty"},
        {"date-not-real", "Ana,Pérez,12345678,2023-02-29,1",
            "birthdate is not a real date in YYYY-MM-DD form"},
        {"date-format", "Ana,Pérez,12345678,02/01/1990,1",
            "birthdate is not a real date in YYYY-MM-DD form"},
        {"date-future", "Ana,Pérez,12345678,2024-06-02,1", "birthdate is in the future"},
        {"date-too-old", "Ana,Pérez,12345678,1899-12-31,1", "birthdate is before 1900"},
    };
    for (const auto &c : invalid) {
        QTest::newRow(c.name) << a + "\r\n" + c.row + "\r\n" + b + "\r\n"
                              << QStringList {"1:V", "2:E:" + c.reason, "3:V"};
    }
}

void TestBetFileReader::rows()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, expected);
    BetFileReader reader;
    reader.setToday(kToday);
    QCOMPARE(describeRows(write(content), reader), expected);
    QVERIFY(reader.atEnd());
    QVERIFY(!reader.hasError());
    QCOMPARE(reader.bytesRead(), qint64(content.size()));
}

void TestBetFileReader::firstValidBetIsDecodedExactly()
{
    BetFileReader reader;
    reader.setToday(kToday);
    QVERIFY(reader.open(write("\xEF\xBB\xBFJosé María,Núñez,30904465,1999-03-17,2201\r\n")));
    BetRow row;
    QVERIFY(reader.readNext(row));
    QVERIFY(row.isValid());
    QCOMPARE(row.line, 1);
    QCOMPARE(row.bet->firstName, std::string("José María"));
    QCOMPARE(row.bet->lastName, std::string("Núñez"));
    QCOMPARE(row.bet->document, std::string("30904465"));
    QCOMPARE(row.bet->birthdate, std::string("1999-03-17"));
    QCOMPARE(row.bet->number, quint16(2201));
    QVERIFY(!reader.readNext(row));
    QVERIFY(reader.atEnd());
}

void TestBetFileReader::quotedFieldsAreUnquoted()
{
    BetFileReader reader;
    reader.setToday(kToday);
    QVERIFY(reader.open(
        write("\"Ana, \"\"la\"\" Reina\",\"Pérez\",\"12345678\",1990-01-02,\"42\"\r\n")));
    BetRow row;
    QVERIFY(reader.readNext(row));
    QVERIFY2(row.isValid(), qPrintable(row.error));
    QCOMPARE(row.bet->firstName, std::string("Ana, \"la\" Reina"));
    QCOMPARE(row.bet->lastName, std::string("Pérez"));
    QCOMPARE(row.bet->number, quint16(42));
}

void TestBetFileReader::missingFileIsAnError()
{
    BetFileReader reader;
    const QString path = m_dir.filePath(QStringLiteral("nope.csv"));
    QVERIFY(!reader.open(path));
    QVERIFY(reader.hasError());
    QVERIFY2(reader.errorString().contains(path), qPrintable(reader.errorString()));

    const auto scan = scanBetFile(path);
    QVERIFY(!scan.ok);
    QVERIFY(scan.errorString.contains(path));
}

void TestBetFileReader::overlongLineIsSkippedWithoutBuffering()
{
    const QByteArray longLine(BetFileReader::kMaxLineBytes * 3, 'x');
    BetFileReader reader;
    reader.setToday(kToday);
    const QString path
        = write("Ana,Pérez,1,1990-01-02,1\n" + longLine + "\nAna,Pérez,2,1990-01-02,2\n");
    QCOMPARE(describeRows(path, reader),
        (QStringList {"1:V",
            QStringLiteral("2:E:line is longer than %1 bytes").arg(BetFileReader::kMaxLineBytes),
            "3:V"}));
}

void TestBetFileReader::scanCountsAndCapsInvalidRows()
{
    QByteArray content;
    for (int i = 1; i <= 50; ++i) {
        if (i % 5 == 0)
            content += "bad row " + QByteArray::number(i) + "\r\n";
        else
            content += "Ana,Pérez," + QByteArray::number(i) + ",1990-01-02,"
                + (i == 7 ? "7574" : "1") + "\r\n";
    }
    const QString path = write(content);

    auto scan = scanBetFile(path, 3, {}, kToday);
    QVERIFY(scan.ok);
    QCOMPARE(scan.summary.validRows, 40);
    QCOMPARE(scan.summary.invalidRows, 10);
    QCOMPARE(scan.summary.winningRows, 1);
    QCOMPARE(scan.summary.invalid,
        (QList<InvalidRow> {{5, "expected 5 fields, found 1"}, {10, "expected 5 fields, found 1"},
            {15, "expected 5 fields, found 1"}}));
    QVERIFY(scan.summary.invalidListTruncated);

    scan = scanBetFile(path, 100, {}, kToday);
    QCOMPARE(scan.summary.invalid.size(), 10);
    QVERIFY(!scan.summary.invalidListTruncated);
}

// Each kind of suspicious file (docs/PROTOCOL.md 10.9), its look-alikes that are not, and the
// invalid-row threshold at its edges: more than 10 % of the rows and at least 3.
void TestBetFileReader::suspiciousFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("concerns");

    const auto valid = [](int count, const QByteArray &name = "Ana") {
        QByteArray rows;
        for (int i = 0; i < count; ++i)
            rows += name + ",Paz," + QByteArray::number(30000000 + i) + ",1990-01-02,12\r\n";
        return rows;
    };
    const auto invalid
        = [](int count) { return QByteArray("only,three,fields\r\n").repeated(count); };

    QTest::newRow("good") << valid(20) << "";
    QTest::newRow("good, UTF-8 names") << valid(10, "José") + valid(10, "Ñandú") << "";
    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("only blank lines and a BOM") << QByteArray("\xEF\xBB\xBF\r\n \t\n\n") << "empty";
    QTest::newRow("windows-1252") << valid(10, "Jos\xE9") + valid(10)
                                  << "not_utf8,many_invalid_rows";
    QTest::newRow("windows-1252, every row") << valid(20, "Mu\xF1oz") << "not_utf8,no_valid_rows";
    QTest::newRow("windows-1252 quotes (0x92)") << valid(3,
                                                       "D\x92"
                                                       "Angelo")
            + valid(30) << "not_utf8";
    // A damaged row in a UTF-8 file is an invalid row, not another encoding.
    QTest::newRow("one bad byte in a UTF-8 file") << valid(10, "José") + valid(1, "Jos\xE9") << "";
    QTest::newRow("semicolons") << QByteArray(
        "Ana;Paz;30000000;1990-01-02;12\r\nLuis;Diaz;30000001;1990-01-02;7574\r\n")
                                << "semicolon_separated,no_valid_rows";
    QTest::newRow("semicolons inside quoted names are not")
        << QByteArray("\"Ana;Maria\",Paz,30000000,1990-01-02,12\r\n") + valid(5) << "";
    QTest::newRow("header, Spanish")
        << "nombre,apellido,documento,nacimiento,numero\r\n" + valid(20) << "header_row";
    QTest::newRow("header, English")
        << "first_name,last_name,document,birthdate,number\n" + valid(20) << "header_row";
    QTest::newRow("header, spreadsheet words")
        << "\"Nombre\",\"Apellido\",\"DNI\",\"Fecha de nacimiento\",\"Número\"\r\n" + valid(20)
        << "header_row";
    QTest::newRow("header, semicolons")
        << QByteArray("Nombre;Apellido;Documento;Nacimiento;Numero\r\nAna;Paz;1;1990-01-02;1\r\n")
        << "semicolon_separated,header_row,no_valid_rows";
    QTest::newRow("a header later is only an invalid row")
        << valid(20) + "nombre,apellido,documento,nacimiento,numero\r\n"
        << "";
    QTest::newRow("one column name is not a header")
        << "Nombre,Paz,1,1990-01-02,x\r\n" + valid(20) << "";
    QTest::newRow("no valid rows") << invalid(2) << "no_valid_rows";
    QTest::newRow("3 invalid of 29: more than 10 %")
        << invalid(3) + valid(26) << "many_invalid_rows";
    QTest::newRow("3 invalid of 30: exactly 10 %") << invalid(3) + valid(27) << "";
    QTest::newRow("2 invalid of 5: fewer than 3") << invalid(2) + valid(3) << "";
    QTest::newRow("100 invalid of 1000") << valid(900) + invalid(100) << "";
    QTest::newRow("101 invalid of 1001") << valid(900) + invalid(101) << "many_invalid_rows";
}

void TestBetFileReader::suspiciousFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, concerns);
    const auto scan = scanBetFile(write(content), 10, {}, kToday);
    QVERIFY2(scan.ok, qPrintable(scan.errorString));
    QCOMPARE(scan.summary.check.concernNames(), concerns);
    QCOMPARE(scan.summary.check.isSuspicious(), !concerns.isEmpty());
}

// What the messages quote: the first line that is not UTF-8, read as Windows-1252 (so a clerk
// recognises the name), the header's line and text, the line cut at ';'.
void TestBetFileReader::suspiciousFileDetails()
{
    auto scan = scanBetFile(write("\r\nAna,Paz,1,1990-01-02,12\r\n"
                                  "Jos\xE9 Mar\xED"
                                  "a,Pe\xF1"
                                  "a \x80 D\x92"
                                  "Angelo,2,1990-01-02,1\r\n"),
        10, {}, kToday);
    QVERIFY(scan.ok);
    QCOMPARE(scan.summary.check.notUtf8Line, 3);
    QCOMPARE(scan.summary.check.notUtf8Text,
        QString::fromUtf8("José María,Peña € D’Angelo,2,1990-01-02,1"));

    scan = scanBetFile(
        write("\n\nnombre;apellido;dni;nacimiento;numero\n\nAna;Paz;1;1990-01-02;12\n"), 10, {},
        kToday);
    QVERIFY(scan.ok);
    QCOMPARE(scan.summary.check.headerLine, 3);
    QCOMPARE(
        scan.summary.check.headerText, QStringLiteral("nombre;apellido;dni;nacimiento;numero"));
    QCOMPARE(scan.summary.check.semicolonLine, 5);
}

void TestBetFileReader::scanCanBeCancelled()
{
    QByteArray content;
    for (int i = 0; i < 20000; ++i)
        content += "Ana,Pérez,12345678,1990-01-02,1\n";
    const QString path = write(content);
    int calls = 0;
    const auto scan = scanBetFile(
        path, 10,
        [&calls](qint64 done, qint64 total) {
            ++calls;
            return done < total / 2;
        },
        kToday);
    QVERIFY(!scan.ok);
    QVERIFY(scan.cancelled);
    QVERIFY(scan.summary.validRows < 20000);
    QVERIFY(calls >= 1);

    calls = 0;
    qint64 lastDone = 0;
    const auto full = scanBetFile(
        path, 10,
        [&](qint64 done, qint64) {
            ++calls;
            lastDone = done;
            return true;
        },
        kToday);
    QVERIFY(full.ok);
    QCOMPARE(full.summary.validRows, 20000);
    QCOMPARE(lastDone, qint64(content.size()));
}

void TestBetFileReader::largeFileReadsInConstantMemory()
{
    // ~40 MB: if the reader kept the file (or its rows) the resident size would grow by as much.
    const QString path = m_dir.filePath(QStringLiteral("large.csv"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QByteArray chunk;
        for (int i = 0; i < 900000; ++i) {
            chunk += "José María,Muñoz Núñez,";
            chunk += QByteArray::number(10000000 + i);
            chunk += ",1980-05-17,";
            chunk += QByteArray::number(i % 10000);
            chunk += "\r\n";
            if (chunk.size() > (1 << 20)) {
                QCOMPARE(file.write(chunk), chunk.size());
                chunk.clear();
            }
        }
        QCOMPARE(file.write(chunk), chunk.size());
    }
    const qint64 before = residentKiB();
    QVERIFY(before > 0);
    BetFileReader reader;
    reader.setToday(kToday);
    QVERIFY(reader.open(path));
    BetRow row;
    qint64 valid = 0;
    qint64 peak = before;
    while (reader.readNext(row)) {
        valid += row.isValid() ? 1 : 0;
        if (row.line % 100000 == 0)
            peak = std::max(peak, residentKiB());
    }
    QVERIFY(!reader.hasError());
    QCOMPARE(valid, 900000);
    QCOMPARE(reader.lineNumber(), 900000);
    const qint64 fileKiB = reader.fileSize() / 1024;
#if defined(__SANITIZE_ADDRESS__)
    // ASan's quarantine keeps freed blocks resident by design: the count above still ran.
    QSKIP("resident size is meaningless under AddressSanitizer");
#endif
    QVERIFY2(peak - before < 8 * 1024,
        qPrintable(QStringLiteral("resident grew by %1 KiB reading a %2 KiB file")
                       .arg(peak - before)
                       .arg(fileKiB)));
}

void TestBetFileReader::courseDatasetIsAllValid()
{
    const QString path = QStringLiteral(LOTTERY_SHARED_DATA_DIR "/agency-1.csv");
    if (!QFile::exists(path))
        QSKIP("course dataset not present");
    const auto scan = scanBetFile(path, 10);
    QVERIFY2(scan.ok, qPrintable(scan.errorString));
    QCOMPARE(scan.summary.invalidRows, 0);
    QCOMPARE(scan.summary.validRows, 26936);
}

// Over three chunks of rows of varied length, LF and CRLF mixed, blank, invalid and overlong
// lines among them, the last line without a newline: readNext() and readNextView() give every row
// with its line number, and the reader ends having read the whole file.
void TestBetFileReader::linesStraddlingChunkBoundaries()
{
    FileBuilder file;
    quint32 state = 2024;
    const auto next = [&state](quint32 bound) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % bound;
    };
    while (file.content.size() < 3 * BetFileReader::kChunkBytes + 100000) {
        const QByteArray ending = next(2) == 0 ? "\n" : "\r\n";
        const quint32 kind = next(100);
        if (kind < 70) {
            file.validRow(40 + qint64(next(240)), ending);
        } else if (kind < 78) {
            // Quoted first name with a comma and doubled quotes.
            const qint64 line = file.line + 1;
            const QByteArray name = QByteArray(qsizetype(1 + next(120)), 'Q');
            file.rawLine("\"" + name + ", \"\"x\"\"\",Lorca," + QByteArray::number(line)
                    + ",2000-02-29," + QByteArray::number(line % 10000),
                ending,
                QStringLiteral("V:%1:%2:%3:5:Q").arg(line).arg(line % 10000).arg(name.size() + 5));
        } else if (kind < 84) {
            file.rawLine("bad row " + QByteArray::number(file.line + 1), ending,
                QStringLiteral("E:expected 5 fields, found 1"));
        } else if (kind < 89) {
            file.rawLine(next(2) == 0 ? QByteArray() : QByteArray(" \t "), ending, QString());
        } else if (kind < 94) {
            file.longFieldLine(300 + qint64(next(BetFileReader::kMaxLineBytes - 300)), ending);
        } else if (kind < 98) {
            file.rawLine(QByteArray(BetFileReader::kMaxLineBytes + 1 + qint64(next(30000)), 'x'),
                ending, QStringLiteral("E:") + kTooLong);
        } else {
            file.rawLine("Ana,P\xc3\xa9rez,1,1990-01-02," + QByteArray::number(10000 + next(50000)),
                ending, QStringLiteral("E:number is above 9999"));
        }
    }
    // Longer than the whole read buffer, then the last row without a newline.
    file.rawLine(QByteArray(BetFileReader::kChunkBytes + 70000, 'h'), "\r\n",
        QStringLiteral("E:") + kTooLong);
    file.validRow(90, "");
    const QString path = write(file.content);

    for (const bool views : {false, true}) {
        const ReadResult result = readRows(path, views);
        QCOMPARE(result.rows.size(), file.expected.size());
        for (qsizetype i = 0; i < result.rows.size(); ++i) {
            QVERIFY2(result.rows[i] == file.expected[i],
                qPrintable(QStringLiteral("%1: row %2 is \"%3\", expected \"%4\"")
                               .arg(views ? "readNextView" : "readNext")
                               .arg(i)
                               .arg(result.rows[i].left(200), file.expected[i].left(200))));
        }
        QCOMPARE(result.bytesRead, qint64(file.content.size()));
        QCOMPARE(result.lineNumber, file.line);
        QVERIFY(result.atEnd);
        QVERIFY(!result.hasError);
    }
}

void TestBetFileReader::chunkBoundaries_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("expected");
    const qint64 maxLine = BetFileReader::kMaxLineBytes;

    for (const qint64 end : kFirstReadEnds) {
        const QString at = QString::number(end);
        const auto add = [&](const QString &name, const FileBuilder &file) {
            QTest::newRow(qPrintable(name + " at " + at)) << file.content << file.expected;
        };
        {
            // CR the last byte of the read, LF the first of the next.
            FileBuilder file;
            file.fillTo(end + 1, "\r\n");
            file.validRow(60, "\r\n");
            add("CR | LF", file);
        }
        {
            FileBuilder file;
            file.fillTo(end);
            file.validRow(60);
            add("LF last byte of the read", file);
        }
        {
            FileBuilder file;
            file.fillTo(end + 1);
            file.validRow(60);
            add("LF first byte of the next read", file);
        }
        for (const qint64 before : {1, 2, 100}) {
            // An overlong line starting `before` bytes before the read ends, then rows.
            FileBuilder file;
            file.fillTo(end - before);
            file.rawLine(QByteArray(maxLine + 1, 'x'), "\r\n", "E:" + kTooLong);
            file.validRow(70, "\r\n");
            file.rawLine(QByteArray(3 * maxLine, 'y'), "\n", "E:" + kTooLong);
            file.validRow(80);
            add(QStringLiteral("overlong line starting %1 bytes before the end").arg(before), file);
        }
        {
            // Longer than the whole buffer, starting just before the read ends.
            FileBuilder file;
            file.fillTo(end - 5);
            file.rawLine(
                QByteArray(2 * BetFileReader::kChunkBytes + 3, 'z'), "\n", "E:" + kTooLong);
            file.validRow(70);
            file.validRow(71, "");
            add("huge line starting 5 bytes before the end", file);
        }
        {
            // Exactly the limit: a line (an invalid bet), not an overlong one, wherever it falls.
            FileBuilder file;
            file.fillTo(end - 10);
            file.longFieldLine(maxLine, "\r\n");
            file.longFieldLine(maxLine, "\n");
            file.fillTo(2 * end - 3);
            file.longFieldLine(maxLine, "\r\n");
            file.rawLine(QByteArray(maxLine + 1, 'x'), "\r\n", "E:" + kTooLong);
            file.longFieldLine(maxLine, "");
            add("lines of exactly kMaxLineBytes", file);
        }
        for (const qint64 lineSize : {maxLine, maxLine + 1, maxLine + 2}) {
            // The read ends right after the line's text, after its CR, or one byte earlier: what
            // is buffered of it is then at or just around the most the reader keeps of a line.
            for (const qint64 inRead : {lineSize - 1, lineSize, lineSize + 1}) {
                FileBuilder file;
                file.fillTo(end - inRead);
                if (lineSize == maxLine)
                    file.longFieldLine(lineSize, "\r\n");
                else
                    file.rawLine(QByteArray(lineSize, 'x'), "\r\n", "E:" + kTooLong);
                file.validRow(70, "\r\n");
                add(QStringLiteral("line of %1 bytes, %2 of them in the read")
                        .arg(lineSize)
                        .arg(inRead),
                    file);
            }
        }
    }

    // Overlong lines that end the file without a newline.
    {
        FileBuilder file;
        file.validRow(60);
        file.rawLine(QByteArray(maxLine + 1, 'x'), "", "E:" + kTooLong);
        QTest::newRow("overlong last line, one byte over") << file.content << file.expected;
    }
    {
        FileBuilder file;
        file.validRow(60, "\r\n");
        file.rawLine(QByteArray(maxLine + 1, 'x'), "\r", "E:" + kTooLong);
        QTest::newRow("overlong last line ending in a lone CR") << file.content << file.expected;
    }
    {
        FileBuilder file;
        file.validRow(60);
        file.rawLine(QByteArray(3 * maxLine + 7, 'x'), "", "E:" + kTooLong);
        QTest::newRow("overlong last line, 3 limits") << file.content << file.expected;
    }
    for (const qint64 size : {BetFileReader::kChunkBytes, BetFileReader::kChunkBytes + maxLine + 2,
             BetFileReader::kChunkBytes + maxLine + 3, 2 * BetFileReader::kChunkBytes + 11}) {
        FileBuilder file;
        file.validRow(60);
        file.rawLine(QByteArray(size, 'x'), "", "E:" + kTooLong);
        QTest::newRow(qPrintable(QStringLiteral("huge last line of %1 bytes").arg(size)))
            << file.content << file.expected;
    }
    {
        FileBuilder file;
        file.rawLine(QByteArray(3 * BetFileReader::kChunkBytes, 'x'), "", "E:" + kTooLong);
        QTest::newRow("the file is one huge line") << file.content << file.expected;
    }
    {
        FileBuilder file;
        file.validRow(60);
        file.longFieldLine(maxLine, "");
        QTest::newRow("last line of exactly kMaxLineBytes") << file.content << file.expected;
    }
    {
        FileBuilder file;
        file.validRow(60);
        file.longFieldLine(maxLine, "\r");
        QTest::newRow("last line of exactly kMaxLineBytes and a CR")
            << file.content << file.expected;
    }
}

void TestBetFileReader::chunkBoundaries()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, expected);
    const QString path = write(content);
    for (const bool views : {false, true}) {
        const ReadResult result = readRows(path, views);
        QCOMPARE(result.rows, expected);
        QCOMPARE(result.bytesRead, qint64(content.size()));
        QVERIFY(result.atEnd);
        QVERIFY(!result.hasError);
    }
}

// open() on a reader that stopped half-way through another file (inside a chunk, right after an
// overlong line) starts the new file from its first byte and line.
void TestBetFileReader::reopenStartsAfresh()
{
    FileBuilder first;
    first.fillTo(BetFileReader::kChunkBytes - 3);
    first.rawLine(QByteArray(BetFileReader::kMaxLineBytes * 2, 'x'), "\n", "E:" + kTooLong);
    first.fillTo(BetFileReader::kChunkBytes * 2);
    FileBuilder second;
    second.validRow(100, "\r\n");
    second.rawLine("bad", "\r\n", "E:expected 5 fields, found 1");
    second.fillTo(BetFileReader::kChunkBytes + 123, "\r\n");
    const QString firstPath = write(first.content);
    const QString secondPath = write(second.content);

    BetFileReader reader;
    reader.setToday(kToday);
    QVERIFY(reader.open(firstPath));
    BetRowView row;
    // Up to and including the overlong line, then one row more.
    qint64 overlongLine = 0;
    while (reader.readNextView(row)) {
        if (!row.isValid() && row.error == kTooLong) {
            overlongLine = row.line;
            break;
        }
    }
    QVERIFY(overlongLine > 0);
    QVERIFY(reader.readNextView(row));
    QVERIFY(row.isValid());

    QVERIFY(reader.open(secondPath));
    QCOMPARE(reader.bytesRead(), 0);
    QCOMPARE(reader.lineNumber(), 0);
    QStringList rows;
    while (reader.readNextView(row))
        rows << (row.isValid() ? describeBet(row.line, row.bet)
                               : describeError(row.line, row.error));
    QCOMPARE(rows, second.expected);
    QCOMPARE(reader.bytesRead(), qint64(second.content.size()));
    QVERIFY(!reader.hasError());
}

QTEST_GUILESS_MAIN(TestBetFileReader)
#include "tst_bet_file_reader.moc"
