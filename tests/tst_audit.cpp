// lottery-audit against stores the real server wrote, intact and tampered with the ways a person
// could (docs/AUDIT.md): a changed row, a removed row, a row added at the end, rows reordered, a
// journal edited to match, a receipt the store does not honour; and the course's sample data
// after a whole course flow, when ../shared/data is there. The real programs throughout.
#include "common/agency_receipt.h"
#include "lottery/protocol/byte_order.h"
#include "support/program_runner.h"
#include "tst_server_client.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

using namespace lottery;
using namespace lottery::protocol;
using lottery::testing::ServerProcess;

namespace {

constexpr int kRecordSize = 48;

Bet betOf(quint32 agency, int index)
{
    return makeBet(
        "Ana", "Paz", std::to_string(agency * 1000000 + index), index % 25 == 0 ? 7574 : 8);
}

struct AuditRun {
    int exitCode = -1;
    QByteArray output;
};

AuditRun audit(const QString &storage, const QStringList &receipts = {})
{
    QStringList arguments {QStringLiteral("--storage"), storage};
    for (const QString &receipt : receipts)
        arguments << QStringLiteral("--receipt") << receipt;
    QProcess process;
    process.start(lottery::testing::binaryPath(QStringLiteral("lottery-audit")), arguments);
    process.waitForFinished(60000);
    return AuditRun {process.exitCode(), process.readAllStandardOutput()};
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(bytes), bytes.size());
}

quint32 crcOf(const QByteArray &bytes)
{
    return static_cast<quint32>(::crc32(
        0L, reinterpret_cast<const Bytef *>(bytes.constData()), static_cast<uInt>(bytes.size())));
}

void storeU32(QByteArray &bytes, int at, quint32 value)
{
    for (int i = 0; i < 4; ++i)
        bytes[at + i] = static_cast<char>((value >> (24 - 8 * i)) & 0xff);
}

// Edits a batch record of the journal to vouch for its rows as they are now in bets.csv (what a
// careful forger does after changing rows): new length and CRC, the record's own CRC.
void forgeJournal(const QString &storage, quint32 agency, quint64 sequence, qint64 lengthChange)
{
    QByteArray journal = readAll(storage + ".journal");
    const QByteArray csv = readAll(storage);
    qint64 shift = 0;
    for (int at = 0; at + kRecordSize <= journal.size(); at += kRecordSize) {
        if (journal[at + 4] != 1) // batches only
            continue;
        const quint64 offset = loadU64(journal.constData() + at + 20) + quint64(shift);
        quint64 length = loadU64(journal.constData() + at + 28);
        if (loadU32(journal.constData() + at + 8) == agency
            && loadU64(journal.constData() + at + 12) == sequence) {
            length = quint64(qint64(length) + lengthChange);
            shift = lengthChange;
        }
        QByteArray patched = journal.mid(at, kRecordSize);
        std::string offsetBytes, lengthBytes;
        appendU64(offsetBytes, offset);
        appendU64(lengthBytes, length);
        patched.replace(20, 8, QByteArray::fromStdString(offsetBytes));
        patched.replace(28, 8, QByteArray::fromStdString(lengthBytes));
        storeU32(patched, 40, crcOf(csv.mid(qsizetype(offset), qsizetype(length))));
        storeU32(patched, 44, crcOf(patched.left(44)));
        journal.replace(at, kRecordSize, patched);
    }
    writeAll(storage + ".journal", journal);
}

} // namespace

class TestAudit : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void anIntactStoreAgrees();
    void tampering_data();
    void tampering();
    void usageErrors();
    void courseSampleDataAfterACourseFlow();

private:
    QTemporaryDir m_dir;
    QString m_store; // a closed store: agency 1 batches 1 and 2 (50 bets each), agency 2 (30)
    QStringList m_receipts;
};

void TestAudit::initTestCase()
{
    m_store = m_dir.filePath(QStringLiteral("store/bets.csv"));
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("store"))));
    ServerProcess server;
    QVERIFY(server.start(2, m_store));
    const std::vector<std::vector<int>> batches[] = {{{0, 50}, {50, 100}}, {{0, 30}}};
    for (quint32 agency = 1; agency <= 2; ++agency) {
        TestClient client;
        QVERIFY(client.connectTo(server.port()));
        client.send(Hello {kProtocolVersion2, agency, {}});
        QVERIFY(client.receiveAs<Welcome>());
        quint64 sequence = 0;
        std::optional<Receipt> last;
        for (const std::vector<int> &range : batches[agency - 1]) {
            Batch batch {++sequence, {}};
            for (int i = range[0]; i < range[1]; ++i)
                batch.bets.push_back(betOf(agency, i));
            client.send(batch);
            last = client.receiveAs<Receipt>();
            QVERIFY(last);
        }
        AgencyReceipt receipt {agency, last->sequence, last->storedBets, last->digest};
        const QString path = m_dir.filePath(QStringLiteral("receipt-%1.txt").arg(agency));
        QString error;
        QVERIFY2(receipt.writeFile(path, &error), qPrintable(error));
        m_receipts << path;
        client.send(Done {});
        QVERIFY(client.receiveAs<DoneAck>());
    }
    QTRY_COMPARE_WITH_TIMEOUT(
        server.countLines("action: cierre_ventas | result: success"), 1, 10000);
    QVERIFY(server.terminate());
}

void TestAudit::anIntactStoreAgrees()
{
    const AuditRun run = audit(m_store, m_receipts);
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.output.contains("result: everything agrees"), run.output.constData());
    QVERIFY(run.output.contains("agency 1: 100 bets, 2 batches, 4 winners"));
    QVERIFY(run.output.contains("agency 2: 30 bets, 1 batches, 2 winners"));
    QVERIFY(run.output.contains("(match)"));
    QCOMPARE(run.output.count("honoured"), 2);
    QVERIFY(!run.output.contains("DISCREPANCY"));
}

void TestAudit::tampering_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("withReceipts");
    QTest::addColumn<QStringList>("expected"); // each must be on a DISCREPANCY line
    QTest::newRow("changed row") << "changed" << false
                                 << QStringList {"agency 1 sequence 2: its rows", "(CRC)"};
    QTest::newRow("changed row, journal edited to match")
        << "changed-forged" << true
        << QStringList {"is not the seal of the stored bets",
               "receipt-1.txt: agency 1's first 100 stored bets (through sequence 2)"};
    QTest::newRow("removed row") << "removed" << false
                                 << QStringList {"agency 2 sequence 1: its rows"};
    QTest::newRow("removed row, journal edited to match")
        << "removed-forged" << true
        << QStringList {"is not the seal of the stored bets",
               "receipt-2.txt: agency 2 was told 30 bets are stored; the store holds 29"};
    QTest::newRow("added row") << "added" << false << QStringList {"rows no record vouches for"};
    QTest::newRow("reordered rows, journal edited to match")
        << "reordered-forged" << true
        << QStringList {"is not the seal of the stored bets",
               "receipt-1.txt: agency 1's first 100 stored bets"};
    QTest::newRow("receipt not honoured")
        << "receipt" << true << QStringList {"does not honour it"};
    // A forged record whose offset + length wraps around 2^64: reported, never read (a reader
    // that added them would pass the bounds check and then crash or read anywhere).
    QTest::newRow("record wrapping around, its CRC recomputed")
        << "wrapping" << false << QStringList {"agency 1 sequence 1: its rows run past the end"};
}

void TestAudit::tampering()
{
    QFETCH(QString, kind);
    QFETCH(bool, withReceipts);
    QFETCH(QStringList, expected);
    QTemporaryDir dir;
    const QString store = dir.filePath(QStringLiteral("bets.csv"));
    QVERIFY(QFile::copy(m_store, store));
    QVERIFY(QFile::copy(m_store + ".journal", store + ".journal"));
    QStringList receipts = m_receipts;
    QByteArray csv = readAll(store);
    QList<QByteArray> rows = csv.split('\n');
    rows.removeLast(); // after the last LF
    // Rows: agency 1's 100 (batch 1: 0..49, batch 2: 50..99), then agency 2's 30.
    if (kind.startsWith(QLatin1String("changed"))) {
        rows[60].replace("Ana", "Ama");
    } else if (kind.startsWith(QLatin1String("removed"))) {
        rows.removeAt(110);
    } else if (kind == QLatin1String("added")) {
        rows.append("2,Ana,Paz,2000999,1990-05-17,7574");
    } else if (kind.startsWith(QLatin1String("reordered"))) {
        rows.swapItemsAt(3, 4);
    } else if (kind == QLatin1String("receipt")) {
        AgencyReceipt receipt;
        QString error;
        receipt = *AgencyReceipt::readFile(m_receipts[0], &error);
        receipt.digest[0] ^= 1;
        receipts[0] = dir.filePath(QStringLiteral("receipt-1.txt"));
        QVERIFY(receipt.writeFile(receipts[0], &error));
    }
    if (kind == QLatin1String("wrapping")) {
        QByteArray journal = readAll(store + ".journal");
        for (int at = 0; at + kRecordSize <= journal.size(); at += kRecordSize) {
            if (journal[at + 4] != 1) // the first batch record
                continue;
            QByteArray patched = journal.mid(at, kRecordSize);
            std::string offsetBytes, lengthBytes;
            appendU64(offsetBytes, quint64(1) << 63);
            appendU64(lengthBytes, quint64(1) << 63);
            patched.replace(20, 8, QByteArray::fromStdString(offsetBytes));
            patched.replace(28, 8, QByteArray::fromStdString(lengthBytes));
            storeU32(patched, 44, crcOf(patched.left(44)));
            journal.replace(at, kRecordSize, patched);
            break;
        }
        writeAll(store + ".journal", journal);
    }
    QByteArray edited;
    for (const QByteArray &row : rows)
        edited += row + '\n';
    writeAll(store, edited);
    if (kind.endsWith(QLatin1String("-forged"))) {
        const quint32 agency = kind.startsWith(QLatin1String("removed")) ? 2 : 1;
        const quint64 sequence = kind.startsWith(QLatin1String("changed")) ? 2 : 1;
        forgeJournal(store, agency, sequence, edited.size() - csv.size());
        // The forged store reads as intact to the journal's own checks: only the seal and the
        // receipts show it.
        QVERIFY(!audit(store).output.contains("(CRC)"));
    }
    const AuditRun run = audit(store, withReceipts ? receipts : QStringList {});
    QCOMPARE(run.exitCode, 1);
    const QList<QByteArray> lines = run.output.split('\n');
    for (const QString &needle : expected) {
        bool found = false;
        for (const QByteArray &line : lines)
            found = found || (line.startsWith("DISCREPANCY: ") && line.contains(needle.toUtf8()));
        QVERIFY2(found,
            qPrintable(QStringLiteral("no DISCREPANCY line with '%1' in:\n%2")
                           .arg(needle, QString::fromUtf8(run.output))));
    }
}

void TestAudit::usageErrors()
{
    QCOMPARE(audit(QString()).exitCode, 2);
    QCOMPARE(audit(m_dir.filePath(QStringLiteral("missing.csv"))).exitCode, 2);
    QCOMPARE(audit(m_store, {m_dir.filePath(QStringLiteral("no-receipt.txt"))}).exitCode, 2);
    QProcess process;
    process.start(lottery::testing::binaryPath(QStringLiteral("lottery-audit")),
        {QStringLiteral("--database"), QStringLiteral("host=/tmp")});
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitCode(), 2);
}

void TestAudit::courseSampleDataAfterACourseFlow()
{
    // The course's files when this checkout has them beside it; else (a fresh clone) the same
    // flow over generated files, so that nothing is skipped.
    QTemporaryDir dir;
    QString data = QStringLiteral(LOTTERY_SHARED_DATA_DIR);
    qint64 expectedBets = 78697;
    if (!QFile::exists(data + QStringLiteral("/agency-1.csv"))) {
        data = dir.filePath(QStringLiteral("data"));
        QProcess datagen;
        datagen.start(lottery::testing::binaryPath(QStringLiteral("lottery-datagen")),
            {QStringLiteral("--out"), data, QStringLiteral("--agencies"), QStringLiteral("5"),
                QStringLiteral("--bets"), QStringLiteral("15000")});
        QVERIFY(datagen.waitForFinished(60000));
        QCOMPARE(datagen.exitCode(), 0);
        expectedBets = 75000;
    }
    const QString store = dir.filePath(QStringLiteral("bets.csv"));
    ServerProcess server;
    QVERIFY(server.start(5, store));
    std::vector<std::unique_ptr<lottery::testing::AgencyProcess>> agencies;
    QStringList receipts;
    for (int agency = 1; agency <= 5; ++agency) {
        receipts << dir.filePath(QStringLiteral("receipt-%1.txt").arg(agency));
        agencies.push_back(std::make_unique<lottery::testing::AgencyProcess>());
        agencies.back()->start(agency, server.address(),
            data + QStringLiteral("/agency-%1.csv").arg(agency),
            {QStringLiteral("--receipt"), receipts.last()});
    }
    for (const auto &agency : agencies) {
        QVERIFY(agency->waitForFinished(120000));
        QCOMPARE(agency->exitCode(), 0);
    }
    QVERIFY(server.terminate());
    const AuditRun run = audit(store, receipts);
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(
        run.output.contains("bets: " + QByteArray::number(expectedBets)), run.output.constData());
    QCOMPARE(run.output.count("honoured"), 5);
}

QTEST_GUILESS_MAIN(TestAudit)
#include "tst_audit.moc"
