// Recovery refuses damage and repairs only what a crash leaves, through the real lottery-server
// on real damaged files: a store of 3 agencies x 10 batches of 100 bets, stored round by round
// (agency 1, 2, 3, then the next round) over the wire, damaged the way a person or a disk does
// (a changed byte mid-file, a deleted journal, bets.csv re-saved with CR LF, the journal cut
// mid-file, an older copy of the journal, another store's journal). Each must be refused (exit 2,
// one `action: recuperacion | result: fail` line naming the file, the offset, the agency and
// sequence, files byte-identical afterwards); `--repair` then moves what follows the good prefix
// into side files (their bytes are exactly the moved ones) and the server starts and WELCOMEs
// each agency with what remains. And the lottery's identity: the agency count is recorded in the
// store, a different --agencies is refused, --set-agencies changes it only while it may.
#include "support/program_runner.h"
#include "tst_server_client.h"

#include "lottery/protocol/limits.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using lottery::testing::binaryPath;
using lottery::testing::ServerProcess;
using namespace lottery::protocol;

namespace {

constexpr int kAgencies = 3;
constexpr int kRounds = 10;
constexpr int kBetsPerBatch = 100;
constexpr qint64 kRecord = 48;

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size();
}

Batch makeBatch(quint32 agency, quint64 sequence, int salt = 0)
{
    Batch batch;
    batch.sequence = sequence;
    for (int i = 0; i < kBetsPerBatch; ++i) {
        const int n = static_cast<int>(sequence - 1) * kBetsPerBatch + i;
        batch.bets.push_back(makeBet("Nombre" + std::to_string(salt), "Apellido",
            std::to_string(agency * 1000000 + static_cast<quint32>(n) + salt * 100000),
            static_cast<std::uint16_t>((n * 37 + salt) % 10000)));
    }
    return batch;
}

// One agency's connection: HELLO, WELCOME.
struct Agency {
    TestClient client;
    std::optional<Welcome> welcome;

    bool connect(quint16 port, quint32 agency)
    {
        if (!client.connectTo(port))
            return false;
        client.send(Hello {kProtocolVersion, agency, {}});
        welcome = client.receiveAs<Welcome>();
        return welcome.has_value();
    }
};

// Runs lottery-server to completion (a refusal, --repair, --set-agencies); its exit code.
int runServer(const QStringList &arguments, QByteArray *output)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(binaryPath(QStringLiteral("lottery-server")),
        QStringList {QStringLiteral("--port"), QStringLiteral("0")} + arguments);
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        *output = process.readAll() + "\n(timed out)";
        return -1;
    }
    *output = process.readAll();
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

// Where each batch's rows lie in bets.csv: its offset, by (agency, sequence).
struct Layout {
    QHash<QPair<quint32, quint64>, qint64> offsets;
    qint64 offsetOf(quint32 agency, quint64 sequence) const
    {
        return offsets.value(qMakePair(agency, sequence), -1);
    }
};

} // namespace

class TestRecovery : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void damageIsRefusedThenRepaired_data();
    void damageIsRefusedThenRepaired();
    void tornTailIsStillRepairedAndLogged();
    void moreUncoveredRowsThanWritesCanLeaveAreRefused();
    void agencyCountIsRecordedAndEnforced();
    void storeWithoutIdentityAdoptsTheConfiguredCount();
    void repairOfACleanStoreMovesNothing();
    void maintenanceFlagsAreChecked_data();
    void maintenanceFlagsAreChecked();
    void identityMismatchWithATornTailChangesNothing();

private:
    QString storage() const { return m_dir->filePath(QStringLiteral("bets.csv")); }
    QString journal() const { return storage() + QStringLiteral(".journal"); }
    QStringList storeArguments(int agencies = kAgencies) const
    {
        return {QStringLiteral("--storage"), storage(), QStringLiteral("--agencies"),
            QString::number(agencies)};
    }
    // Stores rounds [first, last] of batches (agency 1, 2, 3 per round) through a real server,
    // then stops it; the offsets of the new batches go into *layout.
    void storeRounds(const QString &storagePath, int first, int last, int salt, Layout *layout);
    // The WELCOME each agency gets from a server started on the store.
    void expectWelcomes(const QList<quint64> &lastSequences);
    QStringList sideFiles() const
    {
        return QDir(m_dir->path())
            .entryList({QStringLiteral("*.damaged-*")}, QDir::Files, QDir::Name);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestRecovery::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestRecovery::storeRounds(
    const QString &storagePath, int first, int last, int salt, Layout *layout)
{
    ServerProcess server;
    QVERIFY2(server.start(kAgencies, storagePath), server.output().constData());
    std::vector<std::unique_ptr<Agency>> agencies;
    for (quint32 agency = 1; agency <= kAgencies; ++agency) {
        agencies.push_back(std::make_unique<Agency>());
        QVERIFY(agencies.back()->connect(server.port(), agency));
        QCOMPARE(agencies.back()->welcome->lastSequence, quint64(first - 1));
    }
    for (int round = first; round <= last; ++round) {
        for (quint32 agency = 1; agency <= kAgencies; ++agency) {
            const qint64 offset = QFileInfo(storagePath).size();
            TestClient &client = agencies[agency - 1]->client;
            client.send(makeBatch(agency, quint64(round), salt));
            const auto ack = client.receiveAs<Ack>();
            QVERIFY2(ack, server.output().right(2000).constData());
            QCOMPARE(ack->sequence, quint64(round));
            QVERIFY(!ack->duplicate);
            if (layout)
                layout->offsets.insert(qMakePair(agency, quint64(round)), offset);
        }
    }
    QVERIFY(server.terminate());
    QCOMPARE(server.exitCode(), 0);
}

void TestRecovery::expectWelcomes(const QList<quint64> &lastSequences)
{
    ServerProcess server;
    QVERIFY2(server.start(kAgencies, storage()), server.output().constData());
    QVERIFY2(server.output().contains("action: recuperacion | result: success"),
        server.output().constData());
    QVERIFY2(server.output().contains("truncated_bytes: 0 |"), server.output().constData());
    for (quint32 agency = 1; agency <= kAgencies; ++agency) {
        Agency client;
        QVERIFY(client.connect(server.port(), agency));
        const quint64 last = lastSequences.at(int(agency - 1));
        QCOMPARE(client.welcome->lastSequence, last);
        QCOMPARE(client.welcome->storedBets, last * kBetsPerBatch);
        // And the agency carries on from there.
        client.client.send(makeBatch(agency, last + 1));
        const auto ack = client.client.receiveAs<Ack>();
        QVERIFY(ack);
        QCOMPARE(ack->sequence, last + 1);
        QVERIFY(!ack->duplicate);
    }
    QVERIFY(server.terminate());
}

void TestRecovery::damageIsRefusedThenRepaired_data()
{
    QTest::addColumn<QString>("damage");
    QTest::newRow("changed-byte-mid-file") << "byte";
    QTest::newRow("deleted-journal") << "deleted-journal";
    QTest::newRow("crlf-resave") << "crlf";
    QTest::newRow("journal-truncated-mid-file") << "truncated-journal";
    QTest::newRow("older-shorter-journal") << "older-journal";
    QTest::newRow("foreign-journal") << "foreign-journal";
    QTest::newRow("journal-byte-mid-file") << "journal-byte";
}

void TestRecovery::damageIsRefusedThenRepaired()
{
    QFETCH(QString, damage);
    Layout layout;
    QByteArray olderJournal;
    if (damage == u"older-journal") {
        storeRounds(storage(), 1, 5, 0, &layout);
        olderJournal = readFile(journal());
        storeRounds(storage(), 6, kRounds, 0, &layout);
    } else {
        storeRounds(storage(), 1, kRounds, 0, &layout);
    }
    if (QTest::currentTestFailed())
        return;
    const QByteArray csv = readFile(storage());
    const QByteArray journalBytes = readFile(journal());
    QCOMPARE(journalBytes.size(), (1 + kAgencies * kRounds) * kRecord);

    // The damage, and what the refusal must name: file, offset, agency, sequence; and what
    // --repair keeps: the last sequence of each agency.
    QString file;
    qint64 offset = 0;
    quint32 agency = 0;
    quint64 sequence = 0;
    QList<quint64> kept;
    qint64 keptCsv = -1; // -1: agency 1's batch 6 onwards moved, or everything when kept is 0
    QByteArray errorText;
    if (damage == u"byte") {
        // Row 1501 (1-based): round 6's first batch (agency 1), its first row; a name letter.
        int row = 0;
        qint64 at = 0;
        while (row < 1500) {
            at = csv.indexOf('\n', at) + 1;
            ++row;
        }
        QCOMPARE(at, layout.offsetOf(1, 6));
        QByteArray changed = csv;
        const qint64 letter = changed.indexOf("Nombre", at) + 1;
        changed[letter] = 'O';
        QVERIFY(writeFile(storage(), changed));
        file = storage();
        offset = at;
        agency = 1;
        sequence = 6;
        kept = {5, 5, 5};
        errorText = "do not match the checksum";
    } else if (damage == u"deleted-journal") {
        QVERIFY(QFile::remove(journal()));
        file = journal();
        offset = 0;
        agency = 1;
        sequence = 1;
        kept = {0, 0, 0};
        errorText = "the journal is missing";
    } else if (damage == u"crlf") {
        QByteArray crlf = csv;
        crlf.replace("\n", "\r\n");
        QVERIFY(writeFile(storage(), crlf));
        file = storage();
        offset = 0;
        agency = 1;
        sequence = 1;
        kept = {0, 0, 0};
        errorText = "CR LF";
    } else if (damage == u"truncated-journal") {
        // The identity record, rounds 1-5 and 20 bytes of the next record: past it, rows of
        // rounds 6-10 that no record covers, agency 1's twice (rounds 6 and 7).
        QVERIFY(writeFile(journal(), journalBytes.left((1 + 15) * kRecord + 20)));
        file = storage();
        offset = layout.offsetOf(1, 7);
        agency = 1;
        sequence = 6;
        kept = {5, 5, 5};
        errorText = "the journal is shorter than bets.csv";
    } else if (damage == u"older-journal") {
        QCOMPARE(olderJournal.size(), (1 + 15) * kRecord);
        QVERIFY(writeFile(journal(), olderJournal));
        file = storage();
        offset = layout.offsetOf(1, 7);
        agency = 1;
        sequence = 6;
        kept = {5, 5, 5};
        errorText = "the journal is shorter than bets.csv";
    } else if (damage == u"journal-byte") {
        // A bit of agency 3's batch 3 record's CRC field (record 1 is the identity).
        const qint64 at = (1 + 2 * kAgencies + 2) * kRecord;
        QByteArray changed = journalBytes;
        changed[at + 41] = static_cast<char>(changed[at + 41] ^ 0x10);
        QVERIFY(writeFile(journal(), changed));
        file = journal();
        offset = at;
        agency = 3;
        sequence = 3;
        kept = {3, 3, 2};
        keptCsv = layout.offsetOf(3, 3);
        errorText = "its checksum does not match its bytes";
    } else if (damage == u"foreign-journal") {
        // Another lottery of three agencies, with other bets: its journal beside our bets.csv.
        const QString other = m_dir->filePath(QStringLiteral("other/bets.csv"));
        QVERIFY(QDir().mkpath(QFileInfo(other).absolutePath()));
        storeRounds(other, 1, 2, 7, nullptr);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(writeFile(journal(), readFile(other + QStringLiteral(".journal"))));
        file = storage();
        offset = 0;
        agency = 1;
        sequence = 1;
        kept = {0, 0, 0};
        errorText = "do not match the checksum";
    }
    const QByteArray damagedCsv = readFile(storage());
    const bool journalExists = QFile::exists(journal());
    const QByteArray damagedJournal = readFile(journal());

    // 1. The server refuses to start, says where and what to do, and changes nothing.
    QByteArray output;
    QCOMPARE(runServer(storeArguments(), &output), 2);
    QCOMPARE(output.count("action: recuperacion | result: fail"), 1);
    const QByteArray expected = QStringLiteral("file: %1 | offset: %2 | agency: %3 | sequence: %4")
                                    .arg(file)
                                    .arg(offset)
                                    .arg(agency)
                                    .arg(sequence)
                                    .toUtf8();
    QVERIFY2(output.contains(expected), (expected + "\n" + output).constData());
    QVERIFY2(output.contains(errorText), (errorText + "\n" + output).constData());
    QVERIFY2(output.contains("lottery-server --repair"), output.constData());
    QVERIFY(!output.contains("action: listen | result: success"));
    QCOMPARE(readFile(storage()), damagedCsv);
    QCOMPARE(QFile::exists(journal()), journalExists);
    QCOMPARE(readFile(journal()), damagedJournal);
    QVERIFY(sideFiles().isEmpty());
    // A second refusal is the same: nothing was half-repaired.
    QCOMPARE(runServer(storeArguments(), &output), 2);
    QCOMPARE(readFile(storage()), damagedCsv);

    // 2. --repair keeps the longest prefix it can vouch for and moves the rest aside, intact.
    QCOMPARE(runServer(storeArguments() << QStringLiteral("--repair"), &output), 0);
    QVERIFY2(output.contains("action: reparacion | result: success"), output.constData());
    const QByteArray csvAfter = readFile(storage());
    const QByteArray journalAfter = readFile(journal());
    QStringList sides = sideFiles();
    QString csvSide;
    QString journalSide;
    for (const QString &side : sides) {
        if (side.startsWith(QStringLiteral("bets.csv.journal.damaged-")))
            journalSide = m_dir->filePath(side);
        else if (side.startsWith(QStringLiteral("bets.csv.damaged-")))
            csvSide = m_dir->filePath(side);
    }
    QVERIFY2(!csvSide.isEmpty(), qPrintable(sides.join(u' ')));
    const QByteArray movedCsv = readFile(csvSide);
    QCOMPARE(csvAfter + movedCsv, damagedCsv); // nothing lost, nothing changed: only moved
    QCOMPARE(journalAfter + (journalSide.isEmpty() ? QByteArray() : readFile(journalSide)),
        damagedJournal);
    if (keptCsv < 0)
        keptCsv = kept[0] > 0 ? layout.offsetOf(1, 6) : 0;
    QCOMPARE(csvAfter.size(), keptCsv);
    QVERIFY2(output.contains("moved_bytes: " + QByteArray::number(movedCsv.size())
                 + " | moved_to: " + csvSide.toUtf8()),
        output.constData());
    // Which agencies lose what, named in the log.
    for (quint32 a = 1; a <= kAgencies; ++a)
        QVERIFY2(output.contains("agency " + QByteArray::number(a) + ": "), output.constData());

    // 3. The server starts with what remains; each agency's WELCOME says so, and it continues.
    expectWelcomes(kept);
}

void TestRecovery::tornTailIsStillRepairedAndLogged()
{
    // A crash's tail (rows of one interrupted write, half a record) is repaired at start, as
    // before, and the log says what was dropped and why.
    Layout layout;
    storeRounds(storage(), 1, 3, 0, &layout);
    if (QTest::currentTestFailed())
        return;
    const QByteArray csv = readFile(storage());
    const QByteArray journalBytes = readFile(journal());
    // Round 3's records lost (agency 3's whole, agency 2's half written), its rows kept.
    QVERIFY(writeFile(journal(), journalBytes.left((1 + 7) * kRecord + 30)));
    QByteArray output;
    ServerProcess server;
    QVERIFY2(server.start(kAgencies, storage()), server.output().constData());
    output = server.output();
    QVERIFY2(output.contains("action: recuperacion | result: success"), output.constData());
    const qint64 dropped = (csv.size() - layout.offsetOf(2, 3)) + 30;
    QVERIFY2(
        output.contains("truncated_bytes: " + QByteArray::number(dropped)), output.constData());
    QVERIFY2(
        output.contains("dropped: agency 2: 100 rows; agency 3: 100 rows"), output.constData());
    QVERIFY2(output.contains("never acknowledged"), output.constData());
    QVERIFY2(output.contains("torn_tail: a partial journal record (30 bytes)"), output.constData());
    QCOMPARE(readFile(storage()), csv.left(layout.offsetOf(2, 3)));
    // Nothing deleted even so: the dropped bytes wait in side files beside the store.
    const QStringList torn
        = QDir(m_dir->path()).entryList({QStringLiteral("*.torn-*")}, QDir::Files, QDir::Name);
    QCOMPARE(torn.size(), 2);
    QVERIFY(torn[0].startsWith(QStringLiteral("bets.csv.journal.torn-")));
    QCOMPARE(readFile(m_dir->filePath(torn[0])), journalBytes.mid((1 + 7) * kRecord, 30));
    QCOMPARE(readFile(m_dir->filePath(torn[1])), csv.mid(layout.offsetOf(2, 3)));
    QVERIFY2(
        output.contains("kept_copy: " + m_dir->filePath(torn[1]).toUtf8()), output.constData());
    QVERIFY(server.terminate());
}

void TestRecovery::moreUncoveredRowsThanWritesCanLeaveAreRefused()
{
    // One agency's rows in one run, as a crash leaves them, but 17 MiB of them: more than the
    // unsynced writes of a server can hold (journal_replay.h), so a journal that lost records.
    storeRounds(storage(), 1, 1, 0, nullptr);
    if (QTest::currentTestFailed())
        return;
    const QByteArray csv = readFile(storage());
    QByteArray rows;
    for (int i = 0; rows.size() <= (17 << 20); ++i)
        rows += "1,Ana,Gomez," + QByteArray::number(50000000 + i) + ",1990-05-17,1234\n";
    QVERIFY(writeFile(storage(), csv + rows));
    QByteArray output;
    QCOMPARE(runServer(storeArguments(), &output), 2);
    const QByteArray expected = "file: " + storage().toUtf8()
        + " | offset: " + QByteArray::number(csv.size()) + " | agency: 1 | sequence: 2";
    QVERIFY2(output.contains(expected), (expected + "\n" + output.right(3000)).constData());
    QVERIFY2(output.contains("more than the unsynced writes of a server can leave"),
        output.right(3000).constData());
    QCOMPARE(QFileInfo(storage()).size(), csv.size() + rows.size());
}

void TestRecovery::agencyCountIsRecordedAndEnforced()
{
    {
        ServerProcess server;
        QVERIFY2(server.start(kAgencies, storage()), server.output().constData());
        QVERIFY2(server.output().contains("action: identidad | result: success"),
            server.output().constData());
        Agency three;
        QVERIFY(three.connect(server.port(), 3));
        three.client.send(makeBatch(3, 1));
        QVERIFY(three.client.receiveAs<Ack>());
        QVERIFY(server.terminate());
    }
    const QByteArray csv = readFile(storage());
    const QByteArray journalBytes = readFile(journal());

    // Another count at start: refused, both values and the way out named, nothing written.
    QByteArray output;
    QCOMPARE(runServer(storeArguments(2), &output), 2);
    QVERIFY2(output.contains("action: identidad | result: fail"), output.constData());
    QVERIFY2(output.contains("recorded for 3 agencies, but the configuration says 2"),
        output.constData());
    QVERIFY2(output.contains("--set-agencies 2"), output.constData());
    QVERIFY(!output.contains("action: listen | result: success"));
    QCOMPARE(readFile(storage()), csv);
    QCOMPARE(readFile(journal()), journalBytes);
    // The same through the environment.
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("SERVER_AGENCIES"), QStringLiteral("4"));
        process.setProcessEnvironment(environment);
        process.start(binaryPath(QStringLiteral("lottery-server")),
            {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--storage"),
                storage()});
        QVERIFY(process.waitForFinished(30000));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(
            process.readAll().contains("recorded for 3 agencies, but the configuration says 4"));
    }

    // --set-agencies: refused below an agency with bets...
    QCOMPARE(runServer(storeArguments() << QStringLiteral("--set-agencies") << QStringLiteral("2"),
                 &output),
        2);
    QVERIFY2(output.contains("agency 3 has 100 stored bets"), output.constData());
    QCOMPARE(readFile(journal()), journalBytes);
    // ...recorded otherwise, and then the new count is the one a start must give.
    QCOMPARE(runServer(storeArguments() << QStringLiteral("--set-agencies") << QStringLiteral("4"),
                 &output),
        0);
    QVERIFY2(output.contains("action: identidad | result: success | storage: " + storage().toUtf8()
                 + " | agencies: 4 | before: 3"),
        output.constData());
    QCOMPARE(readFile(journal()).size(), journalBytes.size() + kRecord);
    QCOMPARE(runServer(storeArguments(3), &output), 2);
    QVERIFY2(output.contains("recorded for 4 agencies, but the configuration says 3"),
        output.constData());
    {
        ServerProcess server;
        QVERIFY2(server.start(4, storage()), server.output().constData());
        Agency one;
        QVERIFY(one.connect(server.port(), 1));
        one.client.send(Done {});
        QVERIFY(one.client.receiveAs<DoneAck>());
        QVERIFY(server.terminate());
    }
    // Once an agency is done the count is final.
    const QByteArray journalDone = readFile(journal());
    QCOMPARE(runServer(storeArguments(4) << QStringLiteral("--set-agencies") << QStringLiteral("5"),
                 &output),
        2);
    QVERIFY2(output.contains("agency 1 is done"), output.constData());
    QCOMPARE(readFile(journal()), journalDone);
}

void TestRecovery::storeWithoutIdentityAdoptsTheConfiguredCount()
{
    storeRounds(storage(), 1, 1, 0, nullptr);
    if (QTest::currentTestFailed())
        return;
    // A store written before identity records: its journal without the first record.
    const QByteArray journalBytes = readFile(journal());
    QVERIFY(writeFile(journal(), journalBytes.mid(kRecord)));
    {
        ServerProcess server;
        QVERIFY2(server.start(kAgencies, storage()), server.output().constData());
        QVERIFY2(server.output().contains("action: identidad | result: success | storage: "
                     + storage().toUtf8() + " | agencies: 3 | origin: adopted"),
            server.output().constData());
        QVERIFY(server.terminate());
    }
    QCOMPARE(readFile(journal()).size(), journalBytes.size());
    QByteArray output;
    QCOMPARE(runServer(storeArguments(5), &output), 2);
    QVERIFY2(output.contains("recorded for 3 agencies, but the configuration says 5"),
        output.constData());
}

void TestRecovery::repairOfACleanStoreMovesNothing()
{
    storeRounds(storage(), 1, 1, 0, nullptr);
    if (QTest::currentTestFailed())
        return;
    const QByteArray csv = readFile(storage());
    QByteArray output;
    QCOMPARE(runServer(storeArguments() << QStringLiteral("--repair"), &output), 0);
    QVERIFY2(output.contains("action: reparacion | result: success"), output.constData());
    QVERIFY2(output.contains("moved_bytes: 0"), output.constData());
    QVERIFY(sideFiles().isEmpty());
    QCOMPARE(readFile(storage()), csv);
}

void TestRecovery::maintenanceFlagsAreChecked_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("set-agencies 0") << QStringList {"--set-agencies", "0"} << 2 << "--set-agencies";
    QTest::newRow("set-agencies word")
        << QStringList {"--set-agencies", "tres"} << 2 << "--set-agencies";
    QTest::newRow("repair and set-agencies")
        << QStringList {"--repair", "--set-agencies", "3"} << 2 << "exclude each other";
    QTest::newRow("repair on postgres")
        << QStringList {"--repair", "--database", "host=127.0.0.1 port=1 dbname=x"} << 1
        << "--repair is for the file store";
}

void TestRecovery::maintenanceFlagsAreChecked()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, expected);
    QByteArray output;
    QCOMPARE(runServer(storeArguments() + arguments, &output), exitCode);
    QVERIFY2(output.contains(expected.toUtf8()), output.constData());
    QVERIFY2(output.contains("result: fail"), output.constData());
    QVERIFY(!QFile::exists(storage())); // nothing created
}

void TestRecovery::identityMismatchWithATornTailChangesNothing()
{
    storeRounds(storage(), 1, 1, 0, nullptr);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(writeFile(storage(), readFile(storage()) + "1,Ana,Gomez,1"));
    const QByteArray csv = readFile(storage());
    const QByteArray journalBytes = readFile(journal());
    QByteArray output;
    QCOMPARE(runServer(storeArguments(4), &output), 2);
    QVERIFY2(output.contains("recorded for 3 agencies"), output.constData());
    QCOMPARE(readFile(storage()), csv);
    QCOMPARE(readFile(journal()), journalBytes);
    QVERIFY(QDir(m_dir->path()).entryList({QStringLiteral("*.torn-*")}).isEmpty());
}

QTEST_GUILESS_MAIN(TestRecovery)
#include "tst_recovery.moc"
