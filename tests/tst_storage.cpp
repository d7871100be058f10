// BetStorage: durable append, journal replay, torn-tail truncation, fsync failure handling,
// plus the batch rules (duplicate, gap, invalid, after DONE) of the worker tasks over it;
// writeBatches() and the durable winners kept for the draw (only once synced, rebuilt by open()).
#include "server/bet_storage.h"
#include "server/lottery_state.h"
#include "server/worker_tasks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
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

// The bets.csv rows of `bets` as the worker encodes them, and the documents of their winners.
struct EncodedRows {
    std::string csv;
    std::vector<std::string> winners;
    quint32 bets = 0;
};

EncodedRows encodeRows(quint32 agency, const std::vector<protocol::Bet> &bets)
{
    EncodedRows rows;
    for (const protocol::Bet &b : bets) {
        protocol::appendStoredBetRow(rows.csv, agency, b);
        if (protocol::isWinner(b))
            rows.winners.push_back(b.document);
    }
    rows.bets = quint32(bets.size());
    return rows;
}

BetStorage::EncodedBatch encodedBatch(
    quint64 sequence, const EncodedRows &rows, std::string_view csv)
{
    return BetStorage::EncodedBatch {sequence, rows.bets, csv, rows.winners};
}

QString describeWinners(const BetStorage::DurableWinners &durable)
{
    QStringList parts;
    QList<quint32> agencies = durable.winners.keys();
    std::sort(agencies.begin(), agencies.end());
    for (quint32 agency : agencies) {
        // An agency without winners may be absent or listed with none: the draw reads both as
        // none (while writing, any agency with a durable batch gets an entry; open() only makes
        // entries for winners).
        if (durable.winners.value(agency).empty())
            continue;
        QStringList documents;
        for (const std::string &document : durable.winners.value(agency))
            documents << QString::fromStdString(document);
        parts << QStringLiteral("%1=[%2]").arg(agency).arg(documents.join(','));
    }
    return QStringLiteral("bets %1, winners %2: %3")
        .arg(durable.bets)
        .arg(durable.winnerCount)
        .arg(parts.join(' '));
}

// Durable winners as expected: per agency, in order; `bets` durable bets in all.
QString describeExpected(
    const QList<QPair<quint32, std::vector<std::string>>> &winners, quint64 bets)
{
    BetStorage::DurableWinners durable;
    durable.bets = bets;
    for (const auto &entry : winners) {
        if (entry.second.empty())
            continue;
        durable.winners[entry.first] = entry.second;
        durable.winnerCount += entry.second.size();
    }
    return describeWinners(durable);
}

std::vector<protocol::StoredBet> durableBets(const BetStorage &storage)
{
    std::vector<protocol::StoredBet> stored;
    QString error;
    if (!storage.readDurableBets(&stored, &error))
        qWarning("readDurableBets: %s", qPrintable(error));
    return stored;
}

bool sameStored(const std::vector<protocol::StoredBet> &stored,
    const QList<QPair<quint32, protocol::Bet>> &expected)
{
    if (stored.size() != std::size_t(expected.size()))
        return false;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (stored[i].agency != expected[qsizetype(i)].first
            || !(stored[i].bet == expected[qsizetype(i)].second))
            return false;
    }
    return true;
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
    void writeBatchesThenSyncThrough();
    void syncCoversEveryEarlierWrite();
    void durableWinnersSurviveReopen();
    void failedSyncNeverShowsItsWinners_data();
    void failedSyncNeverShowsItsWinners();

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

// Several batches in one writeBatches() call, their rows back to back in one buffer and then
// scattered (out of order in memory, with bytes between them): nothing is durable, and no winner
// shows, until syncThrough(); then the rows read back in batch order and the journal replays to
// the same per-agency progress.
void TestStorage::writeBatchesThenSyncThrough()
{
    const QString path = m_dir.filePath(QStringLiteral("write_batches.csv"));
    const quint32 agency = 5;
    const std::vector<std::vector<protocol::Bet>> bets = {
        {bet("A", "11", protocol::kWinningNumber), bet("B", "12", 1)},
        {bet("C", "21", 2), bet("Juan, Jr", "22", protocol::kWinningNumber), bet("D", "23", 3)},
        {bet("O\"Neil", "31", protocol::kWinningNumber)},
        {bet("E", "41", 4), bet("F", "42", protocol::kWinningNumber)},
        {bet("G", "51", protocol::kWinningNumber), bet("H, \"el\" Grande", "52", 5)},
    };
    std::vector<EncodedRows> rows;
    for (const auto &batch : bets)
        rows.push_back(encodeRows(agency, batch));
    QList<QPair<quint32, protocol::Bet>> expectedStored;

    BetStorage storage(path);
    QVERIFY2(storage.open(), qPrintable(storage.errorString()));
    QCOMPARE(describeWinners(storage.durableWinners()), describeExpected({}, 0));

    // Batches 1-3: one buffer, rows back to back.
    const std::string contiguous = rows[0].csv + rows[1].csv + rows[2].csv;
    const std::string_view all(contiguous);
    const std::vector<BetStorage::EncodedBatch> first = {
        encodedBatch(1, rows[0], all.substr(0, rows[0].csv.size())),
        encodedBatch(2, rows[1], all.substr(rows[0].csv.size(), rows[1].csv.size())),
        encodedBatch(3, rows[2], all.substr(rows[0].csv.size() + rows[1].csv.size())),
    };
    const BetStorage::PendingWrite written = storage.writeBatches(agency, first);
    QVERIFY2(written.ok, qPrintable(written.error));
    QVERIFY(written.generation > 0);
    // Written, not durable: neither readable as durable nor counted among the winners.
    QCOMPARE(describeWinners(storage.durableWinners()), describeExpected({}, 0));
    QVERIFY(durableBets(storage).empty());
    QCOMPARE(fileContent(path), QByteArray::fromStdString(contiguous));
    QCOMPARE(QFileInfo(storage.journalPath()).size(), qint64(3 * BetStorage::kJournalRecordSize));

    const BetStorage::WriteResult synced = storage.syncThrough(written.generation);
    QVERIFY2(synced.ok, qPrintable(synced.error));
    for (std::size_t i = 0; i < 3; ++i) {
        for (const protocol::Bet &b : bets[i])
            expectedStored << qMakePair(agency, b);
    }
    QVERIFY(sameStored(durableBets(storage), expectedStored));
    QCOMPARE(describeWinners(storage.durableWinners()),
        describeExpected({{agency, {"11", "22", "31"}}}, 6));

    // Batches 4 and 5: in memory 5 comes first, and there are bytes between them that are not
    // rows: only the batches' own bytes may reach bets.csv, in batch order.
    const std::string scattered = rows[4].csv + "NOT A ROW\n" + rows[3].csv;
    const std::string_view view(scattered);
    const std::vector<BetStorage::EncodedBatch> second = {
        encodedBatch(4, rows[3], view.substr(rows[4].csv.size() + 10)),
        encodedBatch(5, rows[4], view.substr(0, rows[4].csv.size())),
    };
    const BetStorage::PendingWrite written2 = storage.writeBatches(agency, second);
    QVERIFY2(written2.ok, qPrintable(written2.error));
    QVERIFY(written2.generation > written.generation);
    QCOMPARE(describeWinners(storage.durableWinners()),
        describeExpected({{agency, {"11", "22", "31"}}}, 6));
    QVERIFY(storage.syncThrough(written2.generation).ok);
    for (std::size_t i = 3; i < 5; ++i) {
        for (const protocol::Bet &b : bets[i])
            expectedStored << qMakePair(agency, b);
    }
    QCOMPARE(fileContent(path), QByteArray::fromStdString(contiguous + rows[3].csv + rows[4].csv));
    QVERIFY(sameStored(durableBets(storage), expectedStored));
    const QString expectedWinners
        = describeExpected({{agency, {"11", "22", "31", "42", "51"}}}, 10);
    QCOMPARE(describeWinners(storage.durableWinners()), expectedWinners);
    QCOMPARE(storage.stats().batches, 5u);
    QCOMPARE(storage.stats().bets, 10u);

    // Nothing to write is refused, and changes nothing.
    QVERIFY(!storage.writeBatches(agency, {}).ok);
    QCOMPARE(describeWinners(storage.durableWinners()), expectedWinners);

    storage.close();
    BetStorage reopened(path);
    QVERIFY2(reopened.open(), qPrintable(reopened.errorString()));
    const StorageRecovery recovery = reopened.recovery();
    QCOMPARE(recovery.records, 5u); // one journal record per batch, not per call
    QCOMPARE(recovery.truncatedBytes, 0u);
    QCOMPARE(recovery.bets, 10u);
    QCOMPARE(recovery.agencies.size(), 1);
    QCOMPARE(recovery.agencies.value(agency).lastSequence, 5u);
    QCOMPARE(recovery.agencies.value(agency).storedBets, 10u);
    QVERIFY(!recovery.agencies.value(agency).done);
    QCOMPARE(describeWinners(reopened.durableWinners()), expectedWinners);
    QVERIFY(sameStored(durableBets(reopened), expectedStored));
}

// syncThrough() of an earlier write runs one sync covering every write made so far: the winners
// of all of them become durable together, in write order.
void TestStorage::syncCoversEveryEarlierWrite()
{
    const QString path = m_dir.filePath(QStringLiteral("sync_covers.csv"));
    BetStorage storage(path);
    QVERIFY(storage.open());
    const EncodedRows a = encodeRows(1, {bet("A", "100", protocol::kWinningNumber)});
    const EncodedRows b
        = encodeRows(2, {bet("B", "200", protocol::kWinningNumber), bet("C", "1", 1)});
    const EncodedRows c = encodeRows(1, {bet("D", "101", protocol::kWinningNumber)});
    const auto first = storage.writeBatches(1, {encodedBatch(1, a, a.csv)});
    const auto second = storage.writeBatches(2, {encodedBatch(1, b, b.csv)});
    const auto third = storage.writeBatches(1, {encodedBatch(2, c, c.csv)});
    QVERIFY(first.ok && second.ok && third.ok);
    QVERIFY(first.generation < second.generation && second.generation < third.generation);
    QCOMPARE(describeWinners(storage.durableWinners()), describeExpected({}, 0));

    QVERIFY(storage.syncThrough(first.generation).ok);
    const QString all = describeExpected({{1, {"100", "101"}}, {2, {"200"}}}, 4);
    QCOMPARE(describeWinners(storage.durableWinners()), all);
    // Already covered: nothing changes, nothing is counted twice.
    QVERIFY(storage.syncThrough(third.generation).ok);
    QVERIFY(storage.syncThrough(second.generation).ok);
    QCOMPARE(describeWinners(storage.durableWinners()), all);

    // A write without winners still counts its bets; DONE counts none.
    const EncodedRows d = encodeRows(2, {bet("E", "3", 3), bet("F", "4", 4)});
    const auto fourth = storage.writeBatches(2, {encodedBatch(2, d, d.csv)});
    QVERIFY(storage.syncThrough(fourth.generation).ok);
    QVERIFY(storage.appendDone(2).ok);
    const QString withD = describeExpected({{1, {"100", "101"}}, {2, {"200"}}}, 6);
    QCOMPARE(describeWinners(storage.durableWinners()), withD);
    storage.close();

    BetStorage reopened(path);
    QVERIFY(reopened.open());
    QCOMPARE(describeWinners(reopened.durableWinners()), withD);
    QVERIFY(reopened.recovery().agencies.value(2).done);
}

// The winners rebuilt by open() from the files are exactly those kept while writing, whatever the
// rows hold: quoted names with commas, doubled quotes, several winners of several agencies, over
// several reopen-and-append rounds, through writeBatches() and appendBatch() alike.
void TestStorage::durableWinnersSurviveReopen()
{
    const QString path = m_dir.filePath(QStringLiteral("winners_reopen.csv"));
    const quint16 win = protocol::kWinningNumber;
    const std::vector<std::pair<quint32, std::vector<protocol::Bet>>> rounds[] = {
        {
            {1,
                {bet("Juan, Jr", "1001", win), bet("Ana", "1002", 1),
                    bet("\"Tito\"", "1003", win)}},
            {2, {bet("O\"Neil, Mary", "2001", win)}},
        },
        {
            {1, {bet("Plain", "1004", win), bet("a,b,c", "1005", 2)}},
            {3, {bet("x", "3001", 3)}},
            {2, {bet("\"\"", "2002", win), bet("\",\"", "2003", win)}},
        },
        {
            {3, {bet("Z\xc3\xa9, \"Z\"", "3002", win), bet("W", "3003", win)}},
        },
    };
    QMap<quint32, quint64> sequences;
    QString expected = describeExpected({}, 0);
    for (std::size_t round = 0; round < std::size(rounds); ++round) {
        BetStorage storage(path);
        QVERIFY2(storage.open(), qPrintable(storage.errorString()));
        // Recovered exactly as it was before the close.
        QCOMPARE(describeWinners(storage.durableWinners()), expected);
        std::size_t i = 0;
        for (const auto &[agency, bets] : rounds[round]) {
            const quint64 sequence = ++sequences[agency];
            if (i++ % 2 == 0) {
                const EncodedRows rows = encodeRows(agency, bets);
                const auto written
                    = storage.writeBatches(agency, {encodedBatch(sequence, rows, rows.csv)});
                QVERIFY(written.ok);
                QVERIFY(storage.syncThrough(written.generation).ok);
            } else {
                QVERIFY(storage.appendBatch(agency, sequence, bets).ok);
            }
        }
        expected = describeWinners(storage.durableWinners());
        storage.close();
    }
    QCOMPARE(expected,
        describeExpected(
            {{1, {"1001", "1003", "1004"}}, {2, {"2001", "2002", "2003"}}, {3, {"3002", "3003"}}},
            11));
    BetStorage storage(path);
    QVERIFY(storage.open());
    QCOMPARE(describeWinners(storage.durableWinners()), expected);
    QCOMPARE(storage.recovery().agencies.value(1).lastSequence, 2u);
    QCOMPARE(storage.recovery().agencies.value(2).lastSequence, 2u);
    QCOMPARE(storage.recovery().agencies.value(3).lastSequence, 2u);
}

void TestStorage::failedSyncNeverShowsItsWinners_data()
{
    QTest::addColumn<int>("failingCall"); // which sync call of the round fails: 1 csv, 2 journal
    QTest::newRow("bets.csv sync fails") << 1;
    QTest::newRow("journal sync fails") << 2;
}

// A write whose sync fails never becomes durable for this storage: its winners and its rows never
// show, not even after the disk is healthy again (every later write is refused).
void TestStorage::failedSyncNeverShowsItsWinners()
{
    QFETCH(int, failingCall);
    const QString path
        = m_dir.filePath(QStringLiteral("eio_winners_%1.csv").arg(QTest::currentDataTag()));
    BetStorage storage(path);
    QVERIFY(storage.open());
    const EncodedRows good = encodeRows(1, {bet("A", "1", protocol::kWinningNumber)});
    const auto first = storage.writeBatches(1, {encodedBatch(1, good, good.csv)});
    QVERIFY(first.ok);
    QVERIFY(storage.syncThrough(first.generation).ok);
    const QString before = describeExpected({{1, {"1"}}}, 1);
    QCOMPARE(describeWinners(storage.durableWinners()), before);

    int calls = 0;
    storage.setSyncFunctionForTesting([&calls, failingCall](int fd) {
        if (++calls == failingCall) {
            errno = EIO;
            return -1;
        }
        return ::fdatasync(fd);
    });
    const EncodedRows lost = encodeRows(1,
        {bet("B", "2", protocol::kWinningNumber), bet("C, \"c\"", "3", protocol::kWinningNumber)});
    const auto second = storage.writeBatches(1, {encodedBatch(2, lost, lost.csv)});
    QVERIFY(second.ok); // the write itself succeeded
    QCOMPARE(describeWinners(storage.durableWinners()), before);
    const BetStorage::WriteResult synced = storage.syncThrough(second.generation);
    QVERIFY(!synced.ok);
    QVERIFY2(synced.error.contains(QStringLiteral("fdatasync")), qPrintable(synced.error));
    QVERIFY(storage.hasFailed());
    QCOMPARE(describeWinners(storage.durableWinners()), before);
    QCOMPARE(durableBets(storage).size(), std::size_t(1));

    // A healthy disk again changes nothing: later writes are refused, the lost ones stay lost.
    storage.setSyncFunctionForTesting([](int fd) { return ::fdatasync(fd); });
    QVERIFY(!storage.syncThrough(second.generation).ok);
    const EncodedRows later = encodeRows(1, {bet("D", "4", protocol::kWinningNumber)});
    QVERIFY(!storage.writeBatches(1, {encodedBatch(3, later, later.csv)}).ok);
    QVERIFY(!storage.appendBatch(1, 3, {bet("E", "5", protocol::kWinningNumber)}).ok);
    QCOMPARE(describeWinners(storage.durableWinners()), before);
    QCOMPARE(durableBets(storage).size(), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
