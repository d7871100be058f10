// BetStorage: durable append, journal replay, torn-tail truncation, fsync failure handling,
// plus the batch rules (duplicate, gap, invalid, after DONE) of the worker tasks over it.
#include "server/bet_storage.h"
#include "server/lottery_state.h"
#include "server/worker_tasks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cerrno>
#include <unistd.h>

using namespace lottery;
using namespace lottery::server;

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

void resizeFile(const QString &path, qint64 size)
{
    QFile file(path);
    QVERIFY(file.resize(size));
}

void appendToFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::Append));
    QCOMPARE(file.write(bytes), bytes.size());
}

std::string encodeBatch(quint64 sequence, std::vector<protocol::Bet> bets)
{
    const std::string frame = protocol::encodeFrame(protocol::Batch {sequence, std::move(bets)});
    return frame.substr(protocol::kFrameHeaderSize);
}

} // namespace

class TestStorage : public QObject
{
    Q_OBJECT

private slots:
    void appendAndReadBack();
    void recoveryRestoresSequencesAndDone();
    void tornTailIsTruncated_data();
    void tornTailIsTruncated();
    void fsyncFailureRefusesLaterWrites();
    void failedFsyncIsNeverAcknowledged();
    void concurrentAppendsGroupCommit();
    void batchRules();

private:
    QTemporaryDir m_dir;
};

void TestStorage::appendAndReadBack()
{
    const QString path = m_dir.filePath(QStringLiteral("read_back.csv"));
    BetStorage storage(path);
    QVERIFY2(storage.open(), qPrintable(storage.errorString()));
    QCOMPARE(storage.recovery().records, 0u);

    const std::vector<protocol::Bet> bets = {bet("Juan, Jr", "123", 7574), bet("Ana", "456", 1)};
    const auto result = storage.appendBatch(3, 1, bets);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(fileContent(path),
        QByteArray("3,\"Juan, Jr\",Gomez,123,1990-05-17,7574\n3,Ana,Gomez,456,1990-05-17,1\n"));
    QCOMPARE(QFileInfo(storage.journalPath()).size(), qint64(BetStorage::kJournalRecordSize));

    std::vector<protocol::StoredBet> stored;
    QString error;
    QVERIFY2(storage.readDurableBets(&stored, &error), qPrintable(error));
    QCOMPARE(stored.size(), std::size_t(2));
    QCOMPARE(stored[0].agency, 3u);
    QVERIFY(stored[0].bet == bets[0]);
    QVERIFY(stored[1].bet == bets[1]);
}

void TestStorage::recoveryRestoresSequencesAndDone()
{
    const QString path = m_dir.filePath(QStringLiteral("recover.csv"));
    {
        BetStorage storage(path);
        QVERIFY(storage.open());
        QVERIFY(storage.appendBatch(1, 1, {bet("A", "1", 1), bet("B", "2", 2)}).ok);
        QVERIFY(storage.appendBatch(2, 1, {bet("C", "3", 3)}).ok);
        QVERIFY(storage.appendBatch(1, 2, {bet("D", "4", 4)}).ok);
        QVERIFY(storage.appendDone(1).ok);
    }
    BetStorage storage(path);
    QVERIFY(storage.open());
    const StorageRecovery recovery = storage.recovery();
    QCOMPARE(recovery.records, 4u);
    QCOMPARE(recovery.truncatedBytes, 0u);
    QCOMPARE(recovery.bets, 4u);
    QCOMPARE(recovery.agencies.value(1).lastSequence, 2u);
    QCOMPARE(recovery.agencies.value(1).storedBets, 3u);
    QVERIFY(recovery.agencies.value(1).done);
    QCOMPARE(recovery.agencies.value(2).lastSequence, 1u);
    QCOMPARE(recovery.agencies.value(2).storedBets, 1u);
    QVERIFY(!recovery.agencies.value(2).done);
}

void TestStorage::tornTailIsTruncated_data()
{
    // How to damage the files after three batches; which batch survives; whether the damage
    // was a tail that must be cut (false: it replays clean).
    QTest::addColumn<QString>("damage");
    QTest::addColumn<quint64>("expectedSequence");
    QTest::addColumn<bool>("truncates");

    QTest::newRow("intact") << "none" << quint64(3) << false;
    QTest::newRow("journal cut by one byte") << "journal-1" << quint64(2) << true;
    QTest::newRow("journal cut mid record") << "journal-24" << quint64(2) << true;
    QTest::newRow("journal record missing, csv written") << "journal-48" << quint64(2) << true;
    QTest::newRow("journal emptied") << "journal-all" << quint64(0) << true;
    QTest::newRow("csv cut by one byte") << "csv-1" << quint64(2) << true;
    QTest::newRow("csv last batch corrupted") << "csv-flip" << quint64(2) << true;
    QTest::newRow("garbage after journal") << "journal+garbage" << quint64(3) << true;
    QTest::newRow("garbage after csv") << "csv+garbage" << quint64(3) << true;
    QTest::newRow("journal record corrupted") << "journal-flip" << quint64(2) << true;
}

void TestStorage::tornTailIsTruncated()
{
    QFETCH(QString, damage);
    QFETCH(quint64, expectedSequence);
    QFETCH(bool, truncates);

    const QString path = m_dir.filePath(QStringLiteral("torn_%1.csv").arg(QTest::currentDataTag()));
    const QString journal = path + QStringLiteral(".journal");
    QList<qint64> csvSizes {0};
    QList<qint64> journalSizes {0};
    {
        BetStorage storage(path);
        QVERIFY(storage.open());
        for (quint64 sequence = 1; sequence <= 3; ++sequence) {
            const std::string document = std::to_string(sequence * 11);
            QVERIFY(
                storage.appendBatch(7, sequence, {bet("N", document, 10), bet("M", "9", 9)}).ok);
            csvSizes << QFileInfo(path).size();
            journalSizes << QFileInfo(journal).size();
        }
    }

    const qint64 csvFull = csvSizes.last();
    const qint64 journalFull = journalSizes.last();
    if (damage == u"journal-1")
        resizeFile(journal, journalFull - 1);
    else if (damage == u"journal-24")
        resizeFile(journal, journalFull - 24);
    else if (damage == u"journal-48")
        resizeFile(journal, journalFull - 48);
    else if (damage == u"journal-all")
        resizeFile(journal, 0);
    else if (damage == u"csv-1")
        resizeFile(path, csvFull - 1);
    else if (damage == u"journal+garbage")
        appendToFile(journal, QByteArray(48, '\x5A'));
    else if (damage == u"csv+garbage")
        appendToFile(path, QByteArray("8,half a ro"));
    else if (damage == u"csv-flip" || damage == u"journal-flip") {
        const QString target = damage == u"csv-flip" ? path : journal;
        QByteArray bytes = fileContent(target);
        bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x01);
        QFile file(target);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(bytes);
    }

    {
        BetStorage storage(path);
        QVERIFY2(storage.open(), qPrintable(storage.errorString()));
        const StorageRecovery recovery = storage.recovery();
        QCOMPARE(recovery.agencies.value(7).lastSequence, expectedSequence);
        QCOMPARE(recovery.agencies.value(7).storedBets, expectedSequence * 2);
        QCOMPARE(recovery.truncatedBytes > 0, truncates);
        // The good prefix is exactly what the surviving batches wrote.
        QCOMPARE(QFileInfo(path).size(), csvSizes.at(int(expectedSequence)));
        QCOMPARE(QFileInfo(journal).size(), journalSizes.at(int(expectedSequence)));

        // And the storage carries on from there.
        QVERIFY(storage.appendBatch(7, expectedSequence + 1, {bet("Z", "1", 1)}).ok);
    }
    BetStorage reopened(path);
    QVERIFY(reopened.open());
    QCOMPARE(reopened.recovery().truncatedBytes, 0u);
    QCOMPARE(reopened.recovery().agencies.value(7).lastSequence, expectedSequence + 1);
}

void TestStorage::fsyncFailureRefusesLaterWrites()
{
    const QString path = m_dir.filePath(QStringLiteral("fsyncgate.csv"));
    BetStorage storage(path);
    QVERIFY(storage.open());
    QVERIFY(storage.appendBatch(1, 1, {bet("A", "1", 1)}).ok);

    storage.setSyncFunctionForTesting([](int) {
        errno = EIO;
        return -1;
    });
    const auto failed = storage.appendBatch(1, 2, {bet("B", "2", 2)});
    QVERIFY(!failed.ok);
    QVERIFY2(failed.error.contains(QStringLiteral("fdatasync")), qPrintable(failed.error));
    QVERIFY(storage.hasFailed());

    // Even with a healthy disk again, nothing more is accepted: the pages may be gone.
    storage.setSyncFunctionForTesting([](int) { return 0; });
    const auto refused = storage.appendBatch(1, 2, {bet("B", "2", 2)});
    QVERIFY(!refused.ok);
    QVERIFY2(refused.error.contains(QStringLiteral("refuses")), qPrintable(refused.error));
    QVERIFY(!storage.appendDone(1).ok);
}

void TestStorage::failedFsyncIsNeverAcknowledged()
{
    // Through the worker task: a batch whose sync fails is rejected and not counted as stored.
    const QString path = m_dir.filePath(QStringLiteral("reject_on_fsync.csv"));
    BetStorage storage(path);
    QVERIFY(storage.open());
    LotteryState state(1);
    storage.setSyncFunctionForTesting([](int) {
        errno = EIO;
        return -1;
    });
    const BatchOutcome outcome
        = processBatch(encodeBatch(1, {bet("A", "1", 1)}), 1, currentCivilDate(), storage, state);
    QVERIFY(outcome.kind == BatchOutcome::Kind::Rejected);
    QVERIFY(outcome.reject.code == protocol::ErrorCode::StorageFailure);
    QCOMPARE(state.progress(1).lastSequence, 0u);
}

void TestStorage::concurrentAppendsGroupCommit()
{
    const QString path = m_dir.filePath(QStringLiteral("group.csv"));
    constexpr int kThreads = 8;
    constexpr int kBatches = 40;
    std::atomic<int> syncs {0};
    {
        BetStorage storage(path);
        QVERIFY(storage.open());
        storage.setSyncFunctionForTesting([&syncs](int fd) {
            ++syncs;
            return ::fdatasync(fd);
        });
        std::atomic<int> failures {0};
        QList<QThread *> threads;
        for (int t = 1; t <= kThreads; ++t) {
            threads << QThread::create([&storage, &failures, t] {
                for (int s = 1; s <= kBatches; ++s) {
                    if (!storage.appendBatch(quint32(t), quint64(s), {bet("A", "1", 1)}).ok)
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
    }
    // Two descriptors per sync round; never more rounds than batches.
    QVERIFY(syncs.load() <= 2 * kThreads * kBatches);
    BetStorage reopened(path);
    QVERIFY(reopened.open());
    QCOMPARE(reopened.recovery().truncatedBytes, 0u);
    for (quint32 t = 1; t <= kThreads; ++t)
        QCOMPARE(reopened.recovery().agencies.value(t).lastSequence, quint64(kBatches));
}

void TestStorage::batchRules()
{
    const QString path = m_dir.filePath(QStringLiteral("rules.csv"));
    BetStorage storage(path);
    QVERIFY(storage.open());
    LotteryState state(2);
    const auto today = currentCivilDate();
    const std::string first = encodeBatch(1, {bet("A", "1", 1), bet("B", "2", 2)});

    BatchOutcome outcome = processBatch(first, 1, today, storage, state);
    QVERIFY(outcome.kind == BatchOutcome::Kind::Acked);
    QVERIFY(!outcome.ack.duplicate);
    QCOMPARE(outcome.ack.count, 2);

    outcome = processBatch(first, 1, today, storage, state);
    QVERIFY(outcome.kind == BatchOutcome::Kind::Acked);
    QVERIFY(outcome.ack.duplicate);
    QCOMPARE(state.progress(1).storedBets, 2u);

    outcome = processBatch(encodeBatch(3, {bet("C", "3", 3)}), 1, today, storage, state);
    QVERIFY(outcome.kind == BatchOutcome::Kind::Rejected);
    QVERIFY(outcome.reject.code == protocol::ErrorCode::SequenceGap);

    protocol::Bet future = bet("D", "4", 4);
    future.birthdate = "2999-01-01";
    outcome = processBatch(encodeBatch(2, {bet("C", "3", 3), future}), 1, today, storage, state);
    QVERIFY(outcome.kind == BatchOutcome::Kind::Rejected);
    QVERIFY(outcome.reject.code == protocol::ErrorCode::InvalidBet);
    QCOMPARE(outcome.reject.betIndex, 1);
    QVERIFY(QString::fromStdString(outcome.reject.reason).contains(QStringLiteral("birthdate")));
    QCOMPARE(state.progress(1).lastSequence, 1u);

    QVERIFY(processDone(1, storage, state).ok);
    QVERIFY(processDone(1, storage, state).repeated);
    outcome = processBatch(encodeBatch(2, {bet("C", "3", 3)}), 1, today, storage, state);
    QVERIFY(outcome.reject.code == protocol::ErrorCode::BatchAfterDone);

    outcome = processBatch(std::string("\x00\x00", 2), 2, today, storage, state);
    QVERIFY(outcome.kind == BatchOutcome::Kind::Malformed);

    QVERIFY(!state.tryStartDraw());
    QVERIFY(processDone(2, storage, state).ok);
    QVERIFY(state.tryStartDraw());
    QVERIFY(!state.tryStartDraw());
    const DrawOutcome draw = runDraw(storage);
    QVERIFY(draw.ok);
    QCOMPARE(draw.betsRead, 2u);
    QCOMPARE(draw.winnerCount, 0u);
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
