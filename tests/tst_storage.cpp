// FileBetStore as the server drives it: BATCH bodies through runStoreJob() (decode, validate,
// encode, CRC, then BetStore::apply(), the workers' production path) into bets.csv and its journal.
// The file-specific parts: the exact bytes of bets.csv, journal replay and torn-tail truncation,
// the group commit under concurrent writers, the wire answers of the batch rules, and a failed
// fdatasync (injected through the store's sync function) never acknowledged. The store's general
// semantics are in tst_store_contract.
#include "server/pipeline/worker_tasks.h"
#include "server/storage/file_bet_store.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cerrno>
#include <unistd.h>

using namespace lottery;
using namespace lottery::server;
using protocol::ErrorCode;

Q_DECLARE_METATYPE(lottery::protocol::ErrorCode)

namespace {

protocol::Bet bet(const std::string &first, const std::string &document, std::uint16_t number)
{
    return protocol::Bet {first, "Gomez", document, "1990-05-17", number};
}

QByteArray fileContent(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

// These return false when the file cannot be changed: the caller QVERIFYs it.
[[nodiscard]] bool resizeFile(const QString &path, qint64 size)
{
    QFile file(path);
    return file.resize(size);
}

[[nodiscard]] bool appendToFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::Append) && file.write(bytes) == bytes.size() && file.flush();
}

// A BATCH frame's body, as the session cuts it out.
std::string body(quint64 sequence, std::vector<protocol::Bet> bets)
{
    const std::string frame = protocol::encodeFrame(protocol::Batch {sequence, std::move(bets)});
    return frame.substr(protocol::kFrameHeaderSize);
}

// What the server does with a session's batches: one store job of one request.
std::vector<BatchOutcome> store(
    BetStore &store, quint32 agency, const std::vector<std::string> &bodies)
{
    std::vector<WriteRequest> requests(1);
    requests[0].agency = agency;
    for (const std::string &body : bodies) {
        requests[0].batches.bodies.emplace_back(requests[0].batches.bytes.size(), body.size());
        requests[0].batches.bytes += body;
    }
    return std::move(runStoreJob(requests, currentCivilDate(), store).front().outcomes);
}

BatchOutcome storeOne(BetStore &target, quint32 agency, const std::string &batchBody)
{
    return store(target, agency, {batchBody}).front();
}

AgencyProgress progressOf(BetStore &store, quint32 agency)
{
    QString error;
    return store.welcome(agency, QDeadlineTimer(10000), &error)
        .value_or(AgencyProgress {quint64(-1), quint64(-1), false});
}

} // namespace

class TestStorage : public QObject
{
    Q_OBJECT

private slots:
    void rowsAsStoredInBetsCsv();
    void agencySwitchIsOneDurableRecord();
    void agencySwitchInATornTailIsNoAgencysRun();
    void damagedAgencySwitchIsRefused();
    void tornTailIsTruncated_data();
    void tornTailIsTruncated();
    void concurrentWritersGroupCommit();
    void batchRulesOnTheWire_data();
    void batchRulesOnTheWire();
    void malformedBodyEndsTheTask();
    void failedSyncIsNeverAcknowledged_data();
    void failedSyncIsNeverAcknowledged();

private:
    QTemporaryDir m_dir;
};

void TestStorage::rowsAsStoredInBetsCsv()
{
    const QString path = m_dir.filePath(QStringLiteral("rows.csv"));
    FileBetStore files(path, 3);
    QVERIFY2(files.open(), qPrintable(files.errorString()));
    // Two batches in one task: one write, one commit, one journal record each.
    const auto outcomes = store(files, 3,
        {body(1, {bet("Juan, Jr", "123", 7574), bet("Ana", "456", 1)}),
            body(2, {bet("O\"Neil", "789", 2)})});
    QCOMPARE(outcomes.size(), std::size_t(2));
    QCOMPARE(outcomes[0].kind, BatchOutcome::Kind::Acked);
    QCOMPARE(outcomes[0].ack, (protocol::Ack {1, 2, false}));
    QCOMPARE(outcomes[1].ack, (protocol::Ack {2, 1, false}));
    QCOMPARE(fileContent(path),
        QByteArray("3,\"Juan, Jr\",Gomez,123,1990-05-17,7574\n3,Ana,Gomez,456,1990-05-17,1\n"
                   "3,\"O\"\"Neil\",Gomez,789,1990-05-17,2\n"));
    // The lottery's identity record, then one record per batch.
    QCOMPARE(QFileInfo(path + QStringLiteral(".journal")).size(),
        qint64(3 * FileBetStore::kJournalRecordSize));
    QCOMPARE(files.stats().commits, quint64(1));
    QCOMPARE(files.stats().batches, quint64(2));
    QCOMPARE(files.stats().bets, quint64(3));
}

// The operator's switch (docs/RELIABILITY.md, "Agencies disabled by the operator"): one journal
// record of kind 6, byte for byte as documented, read back at open, refused after the close.
void TestStorage::agencySwitchIsOneDurableRecord()
{
    using Kind = AgencySwitchDecision::Kind;
    const QString path = m_dir.filePath(QStringLiteral("switch.csv"));
    constexpr qint64 kAtMs = 1796655600000; // 2026-12-07T15:00:00Z
    {
        FileBetStore files(path, 3);
        QVERIFY2(files.open(), qPrintable(files.errorString()));
        QCOMPARE(
            storeOne(files, 1, body(1, {bet("Ana", "456", 1)})).kind, BatchOutcome::Kind::Acked);
        const quint64 commits = files.stats().commits;
        QCOMPARE(files.setAgencyEnabled(2, false, kAtMs).kind, Kind::Switched);
        QCOMPARE(files.stats().commits, commits + 1); // synced before it answers
        QCOMPARE(fileContent(path + QStringLiteral(".journal")).right(48).toHex(),
            QByteArray("4c544a310600000000000002000001a25104d180000000000000001d0000000000000000"
                       "0000000000000000c4b157dc"));
        QCOMPARE(files.setAgencyEnabled(2, false, kAtMs + 1).kind, Kind::Unchanged);
        QCOMPARE(files.setAgencyEnabled(4, false, kAtMs).kind, Kind::UnknownAgency);
        QCOMPARE(files.setAgencyEnabled(0, false, kAtMs).kind, Kind::UnknownAgency);
        QVERIFY(progressOf(files, 2).disabled);
        QVERIFY(!progressOf(files, 1).disabled);
        QCOMPARE(files.setAgencyEnabled(3, false, kAtMs + 2).kind, Kind::Switched);
        QCOMPARE(files.setAgencyEnabled(3, true, kAtMs + 3).kind, Kind::Switched);
        files.close();
    }
    {
        FileBetStore files(path, 3);
        QVERIFY2(files.open(), qPrintable(files.errorString()));
        QCOMPARE(files.disabledAgencies(), QSet<quint32>({2}));
        QVERIFY(progressOf(files, 2).disabled);
        QVERIFY(!progressOf(files, 3).disabled);
        QVERIFY(files.closeSales(protocol::CloseReason::Operator, kAtMs + 10).ok);
        const AgencySwitchDecision after = files.setAgencyEnabled(2, true, kAtMs + 11);
        QCOMPARE(after.kind, Kind::AfterClose);
        QVERIFY(after.error.startsWith(QLatin1String("sales are closed")));
        files.close();
    }
    FileBetStore files(path, 3);
    QVERIFY2(files.open(), qPrintable(files.errorString()));
    QCOMPARE(files.disabledAgencies(), QSet<quint32>({2}));
}

// A power loss can leave the journal's last records without their rows: agency 1's batch, then
// agency 2's, then the operator's switch of agency 1. The switch is no run of agency 1's records
// (the operator's write lands between any agencies'), so this is a torn tail, not damage; the
// switch in it was never answered, so it is dropped with the rest.
void TestStorage::agencySwitchInATornTailIsNoAgencysRun()
{
    const QString path = m_dir.filePath(QStringLiteral("switch-tail.csv"));
    qint64 csvBefore = 0;
    {
        FileBetStore files(path, 3);
        QVERIFY2(files.open(), qPrintable(files.errorString()));
        QCOMPARE(storeOne(files, 1, body(1, {bet("Ana", "1", 1)})).kind, BatchOutcome::Kind::Acked);
        csvBefore = QFileInfo(path).size();
        QCOMPARE(storeOne(files, 1, body(2, {bet("Eva", "2", 2)})).kind, BatchOutcome::Kind::Acked);
        QCOMPARE(storeOne(files, 2, body(1, {bet("Luz", "3", 3)})).kind, BatchOutcome::Kind::Acked);
        QCOMPARE(files.setAgencyEnabled(1, false, 1796655600000).kind,
            AgencySwitchDecision::Kind::Switched);
        files.close();
    }
    QVERIFY(resizeFile(path, csvBefore)); // the rows of the last two batches never reached it
    FileBetStore files(path, 3);
    QVERIFY2(files.open(), qPrintable(files.errorString()));
    QCOMPARE(progressOf(files, 1).lastSequence, quint64(1));
    QCOMPARE(progressOf(files, 2).lastSequence, quint64(0));
    QVERIFY(files.disabledAgencies().isEmpty());
}

// A switch record that says something no server writes (state 2, its checksum fixed to match)
// is damage: the start is refused and nothing changes.
void TestStorage::damagedAgencySwitchIsRefused()
{
    const QString path = m_dir.filePath(QStringLiteral("switch-damaged.csv"));
    {
        FileBetStore files(path, 3);
        QVERIFY2(files.open(), qPrintable(files.errorString()));
        QCOMPARE(files.setAgencyEnabled(2, false, 1796655600000).kind,
            AgencySwitchDecision::Kind::Switched);
        files.close();
    }
    const QString journalPath = path + QStringLiteral(".journal");
    QByteArray journal = fileContent(journalPath);
    const int at = int(journal.size()) - 48;
    QCOMPARE(int(journal[at + 4]), 6);
    journal[at + 39] = 2;
    const quint32 crc = journal::crc32Of(journal.constData() + at, 44);
    for (int i = 0; i < 4; ++i)
        journal[at + 44 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
    QFile out(journalPath);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(journal);
    out.close();
    FileBetStore files(path, 3);
    QVERIFY(!files.open());
    QVERIFY2(files.errorString().contains(QLatin1String("is an agency switch that does not fit the "
                                                        "store (agency 2, state 2")),
        qPrintable(files.errorString()));
    QCOMPARE(fileContent(journalPath), journal);
}

void TestStorage::tornTailIsTruncated_data()
{
    // How to damage the files after three batches; which batch survives; whether the damage
    // was a tail that must be cut (false: it replays clean); whether it is not what a crash
    // leaves, so that open() refuses and changes nothing.
    QTest::addColumn<QString>("damage");
    QTest::addColumn<quint64>("expectedSequence");
    QTest::addColumn<bool>("truncates");
    QTest::addColumn<bool>("refused");

    QTest::newRow("intact") << "none" << quint64(3) << false << false;
    QTest::newRow("journal cut by one byte") << "journal-1" << quint64(2) << true << false;
    QTest::newRow("journal cut mid record") << "journal-24" << quint64(2) << true << false;
    QTest::newRow("journal record missing, csv written")
        << "journal-48" << quint64(2) << true << false;
    QTest::newRow("csv cut by one byte") << "csv-1" << quint64(2) << true << false;
    QTest::newRow("garbage after csv") << "csv+garbage" << quint64(3) << true << false;
    QTest::newRow("zeros after journal") << "journal+zeros" << quint64(3) << true << false;
    // Not a crash: a crash never leaves a whole damaged record, changes covered rows or
    // empties the journal.
    QTest::newRow("journal emptied") << "journal-all" << quint64(0) << false << true;
    QTest::newRow("csv last batch corrupted") << "csv-flip" << quint64(0) << false << true;
    QTest::newRow("garbage after journal") << "journal+garbage" << quint64(0) << false << true;
    QTest::newRow("journal record corrupted") << "journal-flip" << quint64(0) << false << true;
    QTest::newRow("csv deleted") << "csv-deleted" << quint64(0) << false << true;
}

void TestStorage::tornTailIsTruncated()
{
    QFETCH(QString, damage);
    QFETCH(quint64, expectedSequence);
    QFETCH(bool, truncates);
    QFETCH(bool, refused);

    const QString path = m_dir.filePath(QStringLiteral("torn_%1.csv").arg(QTest::currentDataTag()));
    const QString journal = path + QStringLiteral(".journal");
    QList<qint64> csvSizes {0};
    QList<qint64> journalSizes {0};
    {
        FileBetStore files(path, 7);
        QVERIFY(files.open());
        for (quint64 sequence = 1; sequence <= 3; ++sequence) {
            const std::string document = std::to_string(sequence * 11);
            QCOMPARE(
                storeOne(files, 7, body(sequence, {bet("N", document, 10), bet("M", "9", 9)})).kind,
                BatchOutcome::Kind::Acked);
            csvSizes << QFileInfo(path).size();
            journalSizes << QFileInfo(journal).size();
        }
    }

    const qint64 csvFull = csvSizes.last();
    const qint64 journalFull = journalSizes.last();
    if (damage == u"journal-1")
        QVERIFY(resizeFile(journal, journalFull - 1));
    else if (damage == u"journal-24")
        QVERIFY(resizeFile(journal, journalFull - 24));
    else if (damage == u"journal-48")
        QVERIFY(resizeFile(journal, journalFull - 48));
    else if (damage == u"journal-all")
        QVERIFY(resizeFile(journal, 0));
    else if (damage == u"csv-1")
        QVERIFY(resizeFile(path, csvFull - 1));
    else if (damage == u"journal+garbage")
        QVERIFY(appendToFile(journal, QByteArray(48, '\x5A')));
    else if (damage == u"journal+zeros")
        QVERIFY(appendToFile(journal, QByteArray(100, '\0')));
    else if (damage == u"csv-deleted")
        QVERIFY(QFile::remove(path));
    else if (damage == u"csv+garbage")
        QVERIFY(appendToFile(path, QByteArray("8,half a ro")));
    else if (damage == u"csv-flip" || damage == u"journal-flip") {
        const QString target = damage == u"csv-flip" ? path : journal;
        QByteArray bytes = fileContent(target);
        bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x01);
        QFile file(target);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(bytes);
    }
    const qint64 damagedSize = QFileInfo(path).size() + QFileInfo(journal).size();
    if (refused) {
        const QByteArray csvBefore = fileContent(path);
        const QByteArray journalBefore = fileContent(journal);
        FileBetStore files(path, 7);
        QVERIFY(!files.open());
        QVERIFY2(files.errorString().contains(QStringLiteral("nothing was changed")),
            qPrintable(files.errorString()));
        files.close();
        QCOMPARE(fileContent(path), csvBefore);
        QCOMPARE(QFile::exists(path), damage != u"csv-deleted");
        QCOMPARE(fileContent(journal), journalBefore);
        return;
    }

    {
        FileBetStore files(path, 7);
        QVERIFY2(files.open(), qPrintable(files.errorString()));
        const AgencyProgress progress = progressOf(files, 7);
        QCOMPARE(progress.lastSequence, expectedSequence);
        QCOMPARE(progress.storedBets, expectedSequence * 2);
        // The good prefix is exactly what the surviving batches wrote.
        QCOMPARE(QFileInfo(path).size(), csvSizes.at(int(expectedSequence)));
        QCOMPARE(QFileInfo(journal).size(), journalSizes.at(int(expectedSequence)));
        QCOMPARE(QFileInfo(path).size() + QFileInfo(journal).size() < damagedSize, truncates);

        // And the store carries on from there.
        QCOMPARE(storeOne(files, 7, body(expectedSequence + 1, {bet("Z", "1", 1)})).ack,
            (protocol::Ack {expectedSequence + 1, 1, false}));
    }
    FileBetStore reopened(path, 7);
    QVERIFY(reopened.open());
    QCOMPARE(progressOf(reopened, 7).lastSequence, expectedSequence + 1);
}

void TestStorage::concurrentWritersGroupCommit()
{
    const QString path = m_dir.filePath(QStringLiteral("group.csv"));
    constexpr int kThreads = 8;
    constexpr int kBatches = 40;
    std::atomic<int> syncs {0};
    {
        FileBetStore files(path, kThreads, [&syncs](int fd) {
            ++syncs;
            return ::fdatasync(fd);
        });
        QVERIFY(files.open());
        std::atomic<int> failures {0};
        QList<QThread *> threads;
        for (int t = 1; t <= kThreads; ++t) {
            threads << QThread::create([&files, &failures, t] {
                for (int s = 1; s <= kBatches; ++s) {
                    const auto outcome = storeOne(files, quint32(t),
                        body(quint64(s), {bet("A", std::to_string(t * 1000 + s), 1)}));
                    if (outcome.kind != BatchOutcome::Kind::Acked || outcome.ack.duplicate)
                        ++failures;
                }
            });
            threads.last()->start();
        }
        for (QThread *thread : threads) {
            QVERIFY(thread->wait(60000));
            delete thread;
        }
        QCOMPARE(failures.load(), 0);
        // Two descriptors per commit; never more commits than batches.
        QCOMPARE(quint64(syncs.load()), files.stats().syncs);
        QVERIFY(files.stats().commits <= quint64(kThreads * kBatches));
    }
    FileBetStore reopened(path, kThreads);
    QVERIFY(reopened.open());
    for (quint32 t = 1; t <= kThreads; ++t)
        QCOMPARE(progressOf(reopened, t).lastSequence, quint64(kBatches));
    QCOMPARE(fileContent(path).count('\n'), kThreads * kBatches);
}

void TestStorage::batchRulesOnTheWire_data()
{
    // After batch 1 (2 bets) of agency 1 is stored, one more body; how it is answered.
    QTest::addColumn<QByteArray>("offered");
    QTest::addColumn<bool>("acked");
    QTest::addColumn<bool>("duplicate");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<int>("betIndex");
    QTest::addColumn<QString>("reasonHas");

    protocol::Bet future = bet("D", "4", 4);
    future.birthdate = "2999-01-01";
    const auto bytes = [](const std::string &s) { return QByteArray::fromStdString(s); };
    const std::vector<protocol::Bet> first = {bet("A", "1", 1), bet("B", "2", 2)};
    QTest::newRow("next") << bytes(body(2, {bet("C", "3", 3)})) << true << false
                          << ErrorCode::Internal << -1 << QString();
    QTest::newRow("same batch again")
        << bytes(body(1, first)) << true << true << ErrorCode::Internal << -1 << QString();
    QTest::newRow("sequence 1 with other bets")
        << bytes(body(1, {bet("A", "1", 1), bet("B", "3", 2)})) << false << false
        << ErrorCode::SequenceConflict << -1 << QStringLiteral("other content");
    QTest::newRow("sequence 1 with fewer bets")
        << bytes(body(1, {bet("A", "1", 1)})) << false << false << ErrorCode::SequenceConflict << -1
        << QStringLiteral("expected 2");
    QTest::newRow("sequence 0") << bytes(body(0, first)) << false << false << ErrorCode::SequenceGap
                                << -1 << QStringLiteral("sequence 0");
    QTest::newRow("gap") << bytes(body(3, {bet("C", "3", 3)})) << false << false
                         << ErrorCode::SequenceGap << -1 << QStringLiteral("expected sequence 2");
    QTest::newRow("invalid bet") << bytes(body(2, {bet("C", "3", 3), future})) << false << false
                                 << ErrorCode::InvalidBet << 1 << QStringLiteral("birthdate");
}

void TestStorage::batchRulesOnTheWire()
{
    QFETCH(QByteArray, offered);
    QFETCH(bool, acked);
    QFETCH(bool, duplicate);
    QFETCH(ErrorCode, code);
    QFETCH(int, betIndex);
    QFETCH(QString, reasonHas);

    const QString path = m_dir.filePath(
        QStringLiteral("rules_%1.csv")
            .arg(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'_')));
    FileBetStore files(path, 2);
    QVERIFY(files.open());
    QVERIFY(storeOne(files, 1, body(1, {bet("A", "1", 1), bet("B", "2", 2)})).kind
        == BatchOutcome::Kind::Acked);
    const QByteArray before = fileContent(path);

    const BatchOutcome outcome = storeOne(files, 1, offered.toStdString());
    if (acked) {
        QCOMPARE(outcome.kind, BatchOutcome::Kind::Acked);
        QCOMPARE(outcome.ack.duplicate, duplicate);
        QCOMPARE(fileContent(path).size() > before.size(), !duplicate);
        return;
    }
    QCOMPARE(outcome.kind, BatchOutcome::Kind::Rejected);
    QCOMPARE(outcome.reject.code, code);
    if (betIndex >= 0)
        QCOMPARE(int(outcome.reject.betIndex), betIndex);
    QVERIFY2(QString::fromStdString(outcome.reject.reason).contains(reasonHas),
        outcome.reject.reason.c_str());
    QCOMPARE(fileContent(path), before); // nothing stored
    // A refused batch uses up nothing: the next sequence is still 2.
    QCOMPARE(storeOne(files, 1, body(2, {bet("C", "3", 3)})).ack, (protocol::Ack {2, 1, false}));
}

void TestStorage::malformedBodyEndsTheTask()
{
    FileBetStore files(m_dir.filePath(QStringLiteral("malformed.csv")), 2);
    QVERIFY(files.open());
    const auto outcomes = store(files, 2,
        {body(1, {bet("A", "1", 1)}), std::string("\x00\x00", 2), body(2, {bet("B", "2", 1)})});
    // The valid batch before it is stored; the task ends at the malformed body.
    QCOMPARE(outcomes.size(), std::size_t(2));
    QCOMPARE(outcomes[0].kind, BatchOutcome::Kind::Acked);
    QCOMPARE(outcomes[1].kind, BatchOutcome::Kind::Malformed);
    QCOMPARE(progressOf(files, 2).lastSequence, quint64(1));
    QVERIFY(files.markDone(2).ok);
    QCOMPARE(
        storeOne(files, 2, body(2, {bet("C", "3", 3)})).reject.code, ErrorCode::BatchAfterDone);
}

void TestStorage::failedSyncIsNeverAcknowledged_data()
{
    QTest::addColumn<int>("failingCall"); // which sync call fails: 1 bets.csv, 2 journal
    QTest::newRow("bets.csv sync fails") << 1;
    QTest::newRow("journal sync fails") << 2;
}

void TestStorage::failedSyncIsNeverAcknowledged()
{
    QFETCH(int, failingCall);
    const QString path = m_dir.filePath(QStringLiteral("eio_%1.csv").arg(failingCall));
    std::atomic<int> calls {0};
    std::atomic<bool> armed {false};
    FileBetStore files(path, 1, [&](int fd) {
        if (armed && ++calls == failingCall) {
            errno = EIO;
            return -1;
        }
        return ::fdatasync(fd);
    });
    QVERIFY(files.open());
    QCOMPARE(storeOne(files, 1, body(1, {bet("A", "1", protocol::kWinningNumber)})).kind,
        BatchOutcome::Kind::Acked);

    armed = true;
    const BatchOutcome lost
        = storeOne(files, 1, body(2, {bet("B", "2", protocol::kWinningNumber)}));
    QCOMPARE(lost.kind, BatchOutcome::Kind::Rejected);
    QCOMPARE(lost.reject.code, ErrorCode::StorageFailure);
    QVERIFY2(QString::fromStdString(lost.reject.reason).contains(QStringLiteral("fdatasync")),
        lost.reject.reason.c_str());
    QVERIFY(files.hasFailed());

    // The disk is healthy again (only one call failed): nothing more is acknowledged anyway, as
    // the kernel may have dropped the pages. Not a resend of batch 1, not DONE, not the draw.
    for (const std::string &offered : {body(1, {bet("A", "1", protocol::kWinningNumber)}),
             body(2, {bet("B", "2", protocol::kWinningNumber)}), body(3, {bet("C", "3", 3)})}) {
        const BatchOutcome refused = storeOne(files, 1, offered);
        QCOMPARE(refused.kind, BatchOutcome::Kind::Rejected);
        QCOMPARE(refused.reject.code, ErrorCode::StorageFailure);
        QVERIFY2(QString::fromStdString(refused.reject.reason).contains(QStringLiteral("refuses")),
            refused.reject.reason.c_str());
    }
    QVERIFY(!files.markDone(1).ok);
    QVERIFY(!files.draw().completed);
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
