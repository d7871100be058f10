// BetFileReader and scanBetFile: line endings, BOM, blank lines, quoting, every kind of invalid
// row with its line number, constant memory on a large file, and the course's dataset.
#include "lottery/agency/bet_file_reader.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using lottery::agency::BetFileReader;
using lottery::agency::BetRow;
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
    void scanCanBeCancelled();
    void largeFileReadsInConstantMemory();
    void courseDatasetIsAllValid();

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

QTEST_GUILESS_MAIN(TestBetFileReader)
#include "tst_bet_file_reader.moc"
