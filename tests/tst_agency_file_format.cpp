// docs/PROTOCOL.md section 10 ("The agency file") against BetFileReader: the example tables are
// read out of the document itself, and every row of them is checked against the reader (10.7:
// one line each, valid with its five fields, invalid with its reason, or blank) and against
// BetFileInspector (10.9: a whole file, its concerns). A row added to the document is tested; a
// reader that drifts from the document fails here.
#include "lottery/agency/bet_file_reader.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using lottery::agency::BetFileCheck;
using lottery::agency::BetFileReader;
using lottery::agency::BetRow;
using lottery::agency::scanBetFile;

namespace {

const QDate kToday(2024, 6, 1); // "today" of the examples, as the document says

struct DocumentRow {
    QString text; // the first column as written (the test row's name)
    QByteArray bytes; // the first column, unescaped
    QString outcome; // the second column as written
};

// The document's notation: \xNN a byte, \r CR, \n LF, \t TAB; everything else UTF-8 as written.
QByteArray unescape(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    QByteArray bytes;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        if (utf8[i] == '\\' && i + 1 < utf8.size()) {
            const char next = utf8[i + 1];
            if (next == 'x' && i + 3 < utf8.size()) {
                bytes.append(static_cast<char>(utf8.mid(i + 2, 2).toInt(nullptr, 16)));
                i += 3;
                continue;
            }
            if (next == 'r' || next == 'n' || next == 't') {
                bytes.append(next == 'r' ? '\r' : next == 'n' ? '\n' : '\t');
                ++i;
                continue;
            }
        }
        bytes.append(utf8[i]);
    }
    return bytes;
}

// The text of section 10, or empty.
QString sectionTen()
{
    QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/docs/PROTOCOL.md"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromUtf8(file.readAll());
    const qsizetype start = text.indexOf(QStringLiteral("\n## 10. The agency file\n"));
    if (start < 0)
        return {};
    const qsizetype end = text.indexOf(QStringLiteral("\n## "), start + 1);
    return text.mid(start, end < 0 ? -1 : end - start);
}

// The rows of the table whose header row begins with `header`: "| `first` | second |".
QList<DocumentRow> tableRows(const QString &section, const QString &header)
{
    QList<DocumentRow> rows;
    const QStringList lines = section.split(QLatin1Char('\n'));
    qsizetype i = lines.indexOf(header);
    if (i < 0)
        return rows;
    static const QRegularExpression row(QStringLiteral("^\\| `(.*)` \\| (.*) \\|$"));
    for (i += 2; i < lines.size() && lines.at(i).startsWith(QLatin1Char('|')); ++i) {
        const QRegularExpressionMatch match = row.match(lines.at(i));
        if (!match.hasMatch())
            rows.append({lines.at(i), "unparsed table row", lines.at(i)});
        else
            rows.append({match.captured(1), unescape(match.captured(1)), match.captured(2)});
    }
    return rows;
}

// The `quoted` spans of a cell.
QStringList spans(const QString &cell)
{
    QStringList result;
    static const QRegularExpression span(QStringLiteral("`([^`]*)`"));
    for (const QRegularExpressionMatch &match : span.globalMatch(cell))
        result << match.captured(1);
    return result;
}

const QString kLineTable = QStringLiteral("| Line | Read as |");
const QString kFileTable = QStringLiteral("| File (`\\n` is LF) | Concerns |");

} // namespace

class TestAgencyFileFormat : public QObject
{
    Q_OBJECT

private slots:
    void init() { QVERIFY(m_dir.isValid()); }
    void documentHasTheTables();
    void lineExamples_data();
    void lineExamples();
    void fileExamples_data();
    void fileExamples();

private:
    QString write(const QByteArray &content)
    {
        const QString path = m_dir.filePath(QStringLiteral("example-%1.csv").arg(++m_files));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            qFatal("cannot write test file");
        return path;
    }

    QTemporaryDir m_dir;
    int m_files = 0;
};

// The tables are there and parse: a test whose data silently came out empty would prove nothing.
// The threshold the document states is the reader's.
void TestAgencyFileFormat::documentHasTheTables()
{
    const QString section = sectionTen();
    QVERIFY2(!section.isEmpty(), "docs/PROTOCOL.md has no section \"## 10. The agency file\"");
    const QList<DocumentRow> lines = tableRows(section, kLineTable);
    const QList<DocumentRow> files = tableRows(section, kFileTable);
    QVERIFY2(lines.size() >= 30, qPrintable(QString::number(lines.size())));
    QVERIFY2(files.size() >= 10, qPrintable(QString::number(files.size())));
    for (const DocumentRow &row : lines + files)
        QVERIFY2(row.bytes != "unparsed table row", qPrintable(row.outcome));
    const QString threshold
        = QStringLiteral("more than %1 % of the rows invalid and at least %2 of them")
              .arg(BetFileCheck::kInvalidPercent)
              .arg(BetFileCheck::kInvalidMin);
    QVERIFY2(section.contains(threshold), qPrintable(threshold));
}

void TestAgencyFileFormat::lineExamples_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("outcome");
    for (const DocumentRow &row : tableRows(sectionTen(), kLineTable))
        QTest::newRow(qPrintable(row.text)) << row.bytes << row.outcome;
}

// One line, the first of its file, followed by an LF: what the reader makes of it is what the
// document says.
void TestAgencyFileFormat::lineExamples()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, outcome);
    BetFileReader reader;
    reader.setToday(kToday);
    QVERIFY(reader.open(write(line + "\n")));
    BetRow row;
    const bool gotRow = reader.readNext(row);
    QVERIFY(!reader.hasError());
    if (outcome == QLatin1String("blank")) {
        QVERIFY2(!gotRow, "a blank line gave a row");
        return;
    }
    QVERIFY(gotRow);
    QCOMPARE(row.line, 1);
    const QStringList expected = spans(outcome);
    if (outcome.startsWith(QLatin1String("valid "))) {
        QVERIFY2(row.isValid(), qPrintable(row.error));
        QCOMPARE(expected.size(), 5);
        const QStringList got {QString::fromStdString(row.bet->firstName),
            QString::fromStdString(row.bet->lastName), QString::fromStdString(row.bet->document),
            QString::fromStdString(row.bet->birthdate), QString::number(row.bet->number)};
        QCOMPARE(got, expected);
    } else {
        QVERIFY2(outcome.startsWith(QLatin1String("invalid ")), qPrintable(outcome));
        QCOMPARE(expected.size(), 1);
        QVERIFY2(!row.isValid(), "the document says invalid, the reader sends it");
        QCOMPARE(row.error, expected.constFirst());
    }
    QVERIFY(!reader.readNext(row));
}

void TestAgencyFileFormat::fileExamples_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("concerns");
    for (const DocumentRow &row : tableRows(sectionTen(), kFileTable)) {
        const QStringList concerns
            = row.outcome == QLatin1String("none") ? QStringList {} : spans(row.outcome);
        QTest::newRow(qPrintable(row.text)) << row.bytes << concerns;
    }
}

// A whole file: the concerns BetFileInspector finds, in the document's order.
void TestAgencyFileFormat::fileExamples()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, concerns);
    const auto scan = scanBetFile(write(content), 10, {}, kToday);
    QVERIFY2(scan.ok, qPrintable(scan.errorString));
    const QString got = scan.summary.check.concernNames();
    QCOMPARE(got.isEmpty() ? QStringList {} : got.split(QLatin1Char(',')), concerns);
}

QTEST_GUILESS_MAIN(TestAgencyFileFormat)
#include "tst_agency_file_format.moc"
