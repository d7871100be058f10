// PostgresBetStore against a real PostgreSQL 15 cluster that the test starts itself
// (tests/support/postgres_cluster.h): the store contract's semantics (stored, duplicate,
// conflicting resend, sequence 0, gap, after DONE, WELCOME, DONE, the draw), text that needs
// quoting in array literals, two store instances racing on one sequence and on the last two
// DONEs, the start-up errors (unreachable, wrong password, newer schema), a lost connection
// (restart -m immediate) and a COMMIT whose outcome is unknown. Digests and the close of sales:
// receipts across two instances (recomputed here with Qt's SHA-256), the schema-2 upgrade that
// hashes the stored rows, the close racing batches of two instances, a tampered seal, and the
// calls that retry a connection a restart left stale (issue 21, point 6).
#include "server/draw/draw_notifier.h"
#include "server/storage/postgres_bet_store.h"
#include "support/postgres_cluster.h"

#include "common/stored_bet_row.h"
#include "lottery/protocol/codec.h"

#include <QCryptographicHash>
#include <QMutex>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>
#include <zlib.h>

using namespace lottery;
using namespace lottery::server;
using lottery::testing::PostgresCluster;
using Kind = BatchDecision::Kind;

namespace {

// A batch with the storage it views.
struct TestBatch {
    std::vector<protocol::Bet> bets;
    std::string csv;
    std::string wire; // the bets as a BATCH body carries them (the digest's bytes)
    BatchToStore batch;
};

std::shared_ptr<TestBatch> makeBatch(quint32 agency, quint64 sequence, int count,
    int winnerEvery = 0, const std::string &firstName = "Ana")
{
    auto test = std::make_shared<TestBatch>();
    for (int i = 0; i < count; ++i) {
        const bool winner = winnerEvery > 0 && i % winnerEvery == 0;
        test->bets.push_back(protocol::Bet {firstName, "Gomez",
            std::to_string(agency * 1000000 + sequence * 1000 + static_cast<quint64>(i)),
            "1990-05-17", static_cast<std::uint16_t>(winner ? protocol::kWinningNumber : 1234)});
    }
    for (const protocol::Bet &bet : test->bets)
        appendStoredBetRow(test->csv, agency, bet);
    test->batch.sequence = sequence;
    test->batch.betCount = static_cast<quint32>(count);
    test->batch.crc = static_cast<quint32>(::crc32(0L,
        reinterpret_cast<const Bytef *>(test->csv.data()), static_cast<uInt>(test->csv.size())));
    test->batch.csvRows = test->csv;
    for (const protocol::Bet &bet : test->bets) {
        protocol::detail::appendBet(test->wire, bet);
        test->batch.bets.emplace_back(bet);
        if (protocol::isWinner(bet))
            test->batch.winners.push_back(bet.document);
    }
    test->batch.wireBets = test->wire;
    return test;
}

// docs/AUDIT.md's digest, computed here with Qt's SHA-256 (not the server's code): SHA-256 over
// the bets' wire encodings, back to back.
protocol::Digest qtDigest(const std::vector<std::shared_ptr<TestBatch>> &batches)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const auto &batch : batches)
        hash.addData(QByteArrayView(batch->wire.data(), qsizetype(batch->wire.size())));
    const QByteArray result = hash.result();
    protocol::Digest digest {};
    std::copy(result.begin(), result.end(), digest.begin());
    return digest;
}

quint64 betsIn(const std::vector<std::shared_ptr<TestBatch>> &batches)
{
    quint64 bets = 0;
    for (const auto &batch : batches)
        bets += batch->bets.size();
    return bets;
}

// docs/AUDIT.md's seal over agencies 1..N, each given as its stored batches.
protocol::Digest qtSeal(const std::vector<std::vector<std::shared_ptr<TestBatch>>> &agencies)
{
    std::string bytes;
    for (std::size_t i = 0; i < agencies.size(); ++i) {
        protocol::appendU32(bytes, static_cast<std::uint32_t>(i + 1));
        protocol::appendU64(bytes, betsIn(agencies[i]));
        const protocol::Digest digest = qtDigest(agencies[i]);
        bytes.append(reinterpret_cast<const char *>(digest.data()), digest.size());
    }
    const QByteArray result
        = QCryptographicHash::hash(QByteArray::fromStdString(bytes), QCryptographicHash::Sha256);
    protocol::Digest digest {};
    std::copy(result.begin(), result.end(), digest.begin());
    return digest;
}

QString hexOf(const protocol::Digest &digest)
{
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size())).toHex());
}

std::vector<BatchDecision> appendBatches(
    BetStore &store, quint32 agency, const std::vector<std::shared_ptr<TestBatch>> &tests)
{
    std::vector<BatchToStore> batches;
    for (const auto &test : tests)
        batches.push_back(test->batch);
    return store.append(agency, batches);
}

Kind appendOne(BetStore &store, quint32 agency, const std::shared_ptr<TestBatch> &test)
{
    return appendBatches(store, agency, {test}).front().kind;
}

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Stored: return "Stored";
    case Kind::Duplicate: return "Duplicate";
    case Kind::Conflict: return "Conflict";
    case Kind::ZeroSequence: return "ZeroSequence";
    case Kind::Gap: return "Gap";
    case Kind::AfterDone: return "AfterDone";
    case Kind::AfterClose: return "AfterClose";
    case Kind::Failed: return "Failed";
    case Kind::Stopped: return "Stopped";
    }
    return "?";
}

} // namespace

class PostgresStoreTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void batchDecisions_data();
    void batchDecisions();
    void severalBatchesInOneCall();
    void textThatNeedsQuotingRoundTrips_data();
    void textThatNeedsQuotingRoundTrips();
    void welcomeReportsDurableProgress();
    void welcomeWaitsForAnotherInstancesWrite();
    void exportQueryGivesTheFileStoresRows();
    void doneAndDraw();
    void drawIsNotCompleteBeforeEveryAgencyIsDone();
    void twoInstancesRaceOnOneSequence_data();
    void twoInstancesRaceOnOneSequence();
    void lastTwoDonesConcurrentlyRecordOneDraw();
    void poolThreadsUseTheirOwnConnections();
    void stopRefusesWhatFollows();
    void startErrors_data();
    void startErrors();
    void newerSchemaIsRefused();
    void agencyCountIsRecorded();
    void reconnectsAfterImmediateRestart();
    void commitWithUnknownOutcomeIsNotAcknowledged();
    void drawNotifierHearsTheNotify();
    void drawNotifierResubscribesAndPolls();
    void receiptsAcrossInstances();
    void migrationComputesDigestsFromRows_data();
    void migrationComputesDigestsFromRows();
    void closeSealsOnceAndRefusesAfter();
    void closeRacesBatchesOfTwoInstances();
    void tamperedSealIsRefusedAtStart();
    void safeCallsRideOutARestart();
    void listsStoredBetsAcrossBatches();

private:
    QString conninfo() const { return m_cluster->connectionString(m_database); }
    std::unique_ptr<PostgresBetStore> openStore(quint32 agencies = 3,
        PostgresBetStore::BetsInsert insert = PostgresBetStore::BetsInsert::Copy)
    {
        auto store = std::make_unique<PostgresBetStore>(conninfo(), agencies, insert);
        if (!store->open())
            qWarning("open: %s", qPrintable(store->errorString()));
        return store;
    }
    QByteArray sql(const QString &statement) { return m_cluster->psql(statement, m_database); }

    std::unique_ptr<PostgresCluster> m_cluster;
    QString m_database;
    int m_databases = 0;
};

void PostgresStoreTest::initTestCase()
{
    QString why;
    if (!PostgresCluster::available(&why))
        QFAIL(qPrintable(why)); // CI installs postgresql-15: a missing cluster is a failure
    m_cluster = std::make_unique<PostgresCluster>();
    QVERIFY2(m_cluster->initPrimary(), qPrintable(m_cluster->lastError()));
    // The password comes from the pass file, as in production: never a command line.
    qputenv("PGPASSFILE", m_cluster->passFile().toLocal8Bit());
}

void PostgresStoreTest::init()
{
    // Each test its own database: nothing carries over.
    m_database = QStringLiteral("t%1").arg(++m_databases);
    QVERIFY2(m_cluster->createDatabase(m_database), qPrintable(m_cluster->lastError()));
}

void PostgresStoreTest::cleanupTestCase()
{
    m_cluster.reset();
}

void PostgresStoreTest::batchDecisions_data()
{
    // Agency 1 holds sequences 1 and 2 (10 bets each) before the batch under test.
    QTest::addColumn<quint64>("sequence");
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("firstName");
    QTest::addColumn<bool>("doneBefore");
    QTest::addColumn<int>("expected");
    QTest::addColumn<quint64>("expectedSequence");
    QTest::addColumn<quint64>("storedAfter");

    QTest::newRow("next") << quint64(3) << 10 << "Ana" << false << int(Kind::Stored) << quint64(0)
                          << quint64(3);
    QTest::newRow("same batch again")
        << quint64(2) << 10 << "Ana" << false << int(Kind::Duplicate) << quint64(0) << quint64(2);
    QTest::newRow("resend, other count")
        << quint64(2) << 9 << "Ana" << false << int(Kind::Conflict) << quint64(3) << quint64(2);
    QTest::newRow("resend, other content")
        << quint64(1) << 10 << "Eva" << false << int(Kind::Conflict) << quint64(3) << quint64(2);
    QTest::newRow("sequence 0") << quint64(0) << 10 << "Ana" << false << int(Kind::ZeroSequence)
                                << quint64(3) << quint64(2);
    QTest::newRow("gap") << quint64(5) << 10 << "Ana" << false << int(Kind::Gap) << quint64(3)
                         << quint64(2);
    QTest::newRow("after DONE") << quint64(3) << 10 << "Ana" << true << int(Kind::AfterDone)
                                << quint64(0) << quint64(2);
    QTest::newRow("duplicate after DONE")
        << quint64(2) << 10 << "Ana" << true << int(Kind::AfterDone) << quint64(0) << quint64(2);
}

void PostgresStoreTest::batchDecisions()
{
    QFETCH(quint64, sequence);
    QFETCH(int, count);
    QFETCH(QString, firstName);
    QFETCH(bool, doneBefore);
    QFETCH(int, expected);
    QFETCH(quint64, expectedSequence);
    QFETCH(quint64, storedAfter);

    auto store = openStore();
    QVERIFY2(store->errorString().isEmpty(), qPrintable(store->errorString()));
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 1, 10)), Kind::Stored);
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 2, 10)), Kind::Stored);
    if (doneBefore)
        QVERIFY(store->markDone(1).ok);

    const auto decisions
        = appendBatches(*store, 1, {makeBatch(1, sequence, count, 0, firstName.toStdString())});
    QCOMPARE(decisions.size(), std::size_t(1));
    QVERIFY2(int(decisions[0].kind) == expected, kindName(decisions[0].kind));
    QCOMPARE(decisions[0].expectedSequence, expectedSequence);
    if (decisions[0].kind != Kind::Stored && decisions[0].kind != Kind::Duplicate)
        QVERIFY(!decisions[0].error.isEmpty());

    QString error;
    const auto progress = store->welcome(1, QDeadlineTimer(10000), &error);
    QVERIFY2(progress, qPrintable(error));
    QCOMPARE(progress->lastSequence, storedAfter);
    QCOMPARE(progress->storedBets, storedAfter * 10);
    QCOMPARE(progress->done, doneBefore);
    // What the database holds, read independently of the store.
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets")).toULongLong(), storedAfter * 10);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM batches")).toULongLong(), storedAfter);
}

void PostgresStoreTest::severalBatchesInOneCall()
{
    auto store = openStore();
    QCOMPARE(appendOne(*store, 2, makeBatch(2, 1, 5)), Kind::Stored);
    // A resent batch, two new ones, the same new one twice, then a gap: one transaction.
    const auto second = makeBatch(2, 2, 7, 3);
    const auto decisions = appendBatches(
        *store, 2, {makeBatch(2, 1, 5), second, makeBatch(2, 3, 4), second, makeBatch(2, 9, 1)});
    QCOMPARE(decisions.size(), std::size_t(5));
    QCOMPARE(decisions[0].kind, Kind::Duplicate);
    QCOMPARE(decisions[1].kind, Kind::Stored);
    QCOMPARE(decisions[2].kind, Kind::Stored);
    QCOMPARE(decisions[3].kind, Kind::Duplicate);
    QCOMPARE(decisions[4].kind, Kind::Gap);
    QCOMPARE(decisions[4].expectedSequence, quint64(4));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets WHERE agency = 2")), QByteArray("16"));
    QCOMPARE(sql(QStringLiteral("SELECT last_sequence || ',' || stored_bets FROM agencies")),
        QByteArray("3,16"));
    const BetStore::Stats stats = store->stats();
    QCOMPARE(stats.batches, quint64(3));
    QCOMPARE(stats.bets, quint64(16));
    QCOMPARE(stats.commits, quint64(2));
}

void PostgresStoreTest::textThatNeedsQuotingRoundTrips_data()
{
    QTest::addColumn<int>("insert");
    QTest::newRow("COPY") << int(PostgresBetStore::BetsInsert::Copy);
    QTest::newRow("unnest arrays") << int(PostgresBetStore::BetsInsert::Unnest);
}

void PostgresStoreTest::textThatNeedsQuotingRoundTrips()
{
    QFETCH(int, insert);
    // Everything an array literal or COPY's text format treats specially, and UTF-8. (The bet
    // rules refuse control characters; the store must not depend on that.)
    const std::vector<std::string> names
        = {"O\"Brien", "back\\slash", "{braces}", "a,b", "NULL", "  spaced  ", "Peña Ñandú", "日本",
            "'quote'", "\\\"", "}", "tab\there", "line\nbreak", "\\N", "cr\r", "\\."};
    auto test = std::make_shared<TestBatch>();
    for (std::size_t i = 0; i < names.size(); ++i) {
        test->bets.push_back(protocol::Bet {names[i], names[names.size() - 1 - i],
            "doc" + std::to_string(i), "2001-02-28", static_cast<std::uint16_t>(i)});
    }
    for (const protocol::Bet &bet : test->bets) {
        appendStoredBetRow(test->csv, 4, bet);
        test->batch.bets.emplace_back(bet);
    }
    test->batch.sequence = 1;
    test->batch.betCount = static_cast<quint32>(test->bets.size());
    test->batch.csvRows = test->csv;
    auto store = openStore(3, PostgresBetStore::BetsInsert(insert));
    QCOMPARE(appendOne(*store, 4, test), Kind::Stored);
    // Hex, so that newlines and carriage returns in the names survive psql's output.
    const QByteArray rows = sql(QStringLiteral(
        "SELECT encode(convert_to(string_agg(first_name || '|' || last_name || '|' || document"
        " || '|' || birthdate || '|' || number, '#' ORDER BY ordinal), 'UTF8'), 'hex') FROM bets"));
    QStringList expected;
    for (const protocol::Bet &bet : test->bets) {
        expected.append(QString::fromStdString(bet.firstName + '|' + bet.lastName + '|'
            + bet.document + '|' + bet.birthdate + '|' + std::to_string(bet.number)));
    }
    QCOMPARE(QString::fromUtf8(QByteArray::fromHex(rows)), expected.join(u'#'));
}

void PostgresStoreTest::welcomeReportsDurableProgress()
{
    auto store = openStore();
    QString error;
    auto progress = store->welcome(7, QDeadlineTimer(5000), &error);
    QVERIFY2(progress, qPrintable(error));
    QCOMPARE(progress->lastSequence, quint64(0));
    QCOMPARE(progress->storedBets, quint64(0));
    QVERIFY(!progress->done);

    // A write that returned is in the next WELCOME.
    const auto decisions = store->append(7, {makeBatch(7, 1, 3)->batch});
    QCOMPARE(decisions.front().kind, Kind::Stored);
    progress = store->welcome(7, QDeadlineTimer(5000), &error);
    QVERIFY2(progress, qPrintable(error));
    QCOMPARE(progress->lastSequence, quint64(1));
    QCOMPARE(progress->storedBets, quint64(3));
}

void PostgresStoreTest::welcomeWaitsForAnotherInstancesWrite()
{
    // Another instance's append() of the agency holds its row to COMMIT: WELCOME here waits and
    // then reports it. The other instance is a psql transaction holding the lock, then storing.
    auto store = openStore();
    QCOMPARE(appendOne(*store, 6, makeBatch(6, 1, 4)), Kind::Stored);
    QProcess other;
    other.setProgram(PostgresCluster::binDir() + QStringLiteral("/psql"));
    other.setArguments(
        {QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-d"), conninfo()});
    other.start();
    QVERIFY(other.waitForStarted());
    other.write("BEGIN;\nSELECT 1 FROM agencies WHERE agency = 6 FOR UPDATE;\n"
                "UPDATE agencies SET last_sequence = 2, stored_bets = 9 WHERE agency = 6;\n");
    const QString locked = QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                          "'%1' AND state = 'idle in transaction'")
                               .arg(m_database);
    QTRY_COMPARE(sql(locked), QByteArray("1"));
    std::optional<AgencyProgress> progress;
    QString error;
    std::unique_ptr<QThread> thread(
        QThread::create([&] { progress = store->welcome(6, QDeadlineTimer(30000), &error); }));
    thread->start();
    QVERIFY(!thread->wait(300)); // held by the other instance's lock
    other.write("COMMIT;\n");
    other.closeWriteChannel();
    QVERIFY(other.waitForBytesWritten(5000) || other.bytesToWrite() == 0);
    QVERIFY(thread->wait(20000));
    QVERIFY2(progress, qPrintable(error));
    QCOMPARE(progress->lastSequence, quint64(2));
    QCOMPARE(progress->storedBets, quint64(9));
    QVERIFY(other.waitForFinished(10000));
}

void PostgresStoreTest::exportQueryGivesTheFileStoresRows()
{
    // docs/OPERATIONS.md's export: the same bytes as the file store's bets.csv rows (which
    // appendStoredBetRow writes), agency by agency.
    auto store = openStore();
    auto first = makeBatch(2, 1, 3, 2);
    auto second = makeBatch(1, 1, 2);
    // Names that need CSV quoting.
    first->bets[1].firstName = "Ana, \"la\" Grande";
    first->csv.clear();
    first->batch.bets.clear();
    for (const protocol::Bet &bet : first->bets) {
        appendStoredBetRow(first->csv, 2, bet);
        first->batch.bets.emplace_back(bet);
    }
    first->batch.csvRows = first->csv;
    QCOMPARE(appendOne(*store, 2, first), Kind::Stored);
    QCOMPARE(appendOne(*store, 1, second), Kind::Stored);
    QProcess psql;
    psql.start(PostgresCluster::binDir() + QStringLiteral("/psql"),
        {QStringLiteral("-X"), QStringLiteral("-d"), conninfo(), QStringLiteral("-c"),
            QStringLiteral("\\copy (SELECT agency, first_name, last_name, document, "
                           "to_char(birthdate, 'YYYY-MM-DD'), number FROM bets ORDER BY agency, "
                           "sequence, ordinal) TO STDOUT WITH (FORMAT csv)")});
    QVERIFY(psql.waitForFinished(20000));
    QCOMPARE(psql.exitCode(), 0);
    const QByteArray exported = psql.readAllStandardOutput();
    QCOMPARE(exported, QByteArray::fromStdString(second->csv + first->csv));
}

void PostgresStoreTest::doneAndDraw()
{
    auto store = openStore(2);
    // Agency 1: 2 batches with winners; agency 2: one with none.
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 1, 10, 4)), Kind::Stored); // bets 0, 4, 8
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 2, 3, 2)), Kind::Stored); // bets 0, 2
    QCOMPARE(appendOne(*store, 2, makeBatch(2, 1, 6)), Kind::Stored);

    DoneDecision first = store->markDone(1);
    QVERIFY2(first.ok, qPrintable(first.error));
    QVERIFY(first.firstTime);
    QVERIFY(!first.allDone);
    DoneDecision again = store->markDone(1);
    QVERIFY(again.ok);
    QVERIFY(!again.firstTime);
    QVERIFY(!again.allDone);
    QVERIFY(!store->draw().completed);
    QString error;
    QCOMPARE(store->drawRecorded(&error), std::optional<bool>(false));

    DoneDecision last = store->markDone(2);
    QVERIFY2(last.ok, qPrintable(last.error));
    QVERIFY(last.firstTime);
    QVERIFY(last.allDone);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) || ',' || min(bets) || ',' || min(winners)"
                                " FROM draw")),
        QByteArray("1,19,5"));

    const DrawResult draw = store->draw();
    QVERIFY2(draw.completed, qPrintable(draw.error));
    QCOMPARE(draw.bets, quint64(19));
    QCOMPARE(draw.winnerCount, quint64(5));
    QCOMPARE(draw.winners.size(), 1); // only agencies with winners, as the file store
    const std::vector<std::string> expected
        = {"1001000", "1001004", "1001008", "1002000", "1002002"};
    QCOMPARE(draw.winners.value(1), expected);
    QVERIFY(store->markDone(2).allDone);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM draw")), QByteArray("1"));
}

void PostgresStoreTest::drawIsNotCompleteBeforeEveryAgencyIsDone()
{
    auto store = openStore(3);
    QVERIFY(store->markDone(1).ok);
    QVERIFY(store->markDone(3).ok);
    QVERIFY(store->markDone(4).ok); // not one of 1..3: does not count
    const DrawResult draw = store->draw();
    QVERIFY(!draw.completed);
    QVERIFY(draw.error.isEmpty());
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM draw")), QByteArray("0"));
}

void PostgresStoreTest::twoInstancesRaceOnOneSequence_data()
{
    QTest::addColumn<bool>("sameContent");
    QTest::newRow("same batch from both") << true;
    QTest::newRow("other content from the second") << false;
}

void PostgresStoreTest::twoInstancesRaceOnOneSequence()
{
    QFETCH(bool, sameContent);
    // Two stores (two instances: their own connections), each on its own thread, append the
    // same agency's same sequence at once, many times over.
    auto a = openStore();
    auto b = openStore();
    constexpr int kRounds = 40;
    for (int round = 1; round <= kRounds; ++round) {
        const quint64 sequence = static_cast<quint64>(round);
        const auto batchA = makeBatch(5, sequence, 20, 7);
        const auto batchB = sameContent ? batchA : makeBatch(5, sequence, 20, 7, "Other");
        std::atomic<int> ready {0};
        Kind kindA = Kind::Failed;
        Kind kindB = Kind::Failed;
        const auto race
            = [&ready](BetStore &store, const std::shared_ptr<TestBatch> &batch, Kind &kind) {
                  ++ready;
                  while (ready.load() < 2) { } // both threads reach the append together
                  kind = appendOne(store, 5, batch);
              };
        std::unique_ptr<QThread> ta(QThread::create([&] { race(*a, batchA, kindA); }));
        std::unique_ptr<QThread> tb(QThread::create([&] { race(*b, batchB, kindB); }));
        ta->start();
        tb->start();
        ta->wait();
        tb->wait();
        const int stored = int(kindA == Kind::Stored) + int(kindB == Kind::Stored);
        QVERIFY2(stored == 1,
            qPrintable(QStringLiteral("round %1: %2 and %3")
                           .arg(round)
                           .arg(QLatin1String(kindName(kindA)), QLatin1String(kindName(kindB)))));
        const Kind other = kindA == Kind::Stored ? kindB : kindA;
        QCOMPARE(other, sameContent ? Kind::Duplicate : Kind::Conflict);
    }
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets")).toInt(), kRounds * 20);
    QCOMPARE(sql(QStringLiteral("SELECT stored_bets FROM agencies WHERE agency = 5")).toInt(),
        kRounds * 20);
    a->close();
    b->close();
}

void PostgresStoreTest::lastTwoDonesConcurrentlyRecordOneDraw()
{
    auto a = openStore(2);
    auto b = openStore(2);
    constexpr int kRounds = 25;
    for (int round = 1; round <= kRounds; ++round) {
        QVERIFY(!sql(QStringLiteral("TRUNCATE agencies, draw, sales_close")).isNull());
        std::atomic<int> ready {0};
        DoneDecision doneA;
        DoneDecision doneB;
        const auto race = [&ready](BetStore &store, quint32 agency, DoneDecision &decision) {
            ++ready;
            while (ready.load() < 2) { }
            decision = store.markDone(agency);
        };
        std::unique_ptr<QThread> ta(QThread::create([&] { race(*a, 1, doneA); }));
        std::unique_ptr<QThread> tb(QThread::create([&] { race(*b, 2, doneB); }));
        ta->start();
        tb->start();
        ta->wait();
        tb->wait();
        QVERIFY2(doneA.ok && doneB.ok, qPrintable(doneA.error + doneB.error));
        // Whatever the interleaving, someone saw everyone done, and the draw exists once.
        QVERIFY2(doneA.allDone || doneB.allDone, qPrintable(QStringLiteral("round %1").arg(round)));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM draw")), QByteArray("1"));
    }
}

void PostgresStoreTest::poolThreadsUseTheirOwnConnections()
{
    auto store = openStore(1);
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    std::atomic<int> stored {0};
    QSet<QString> names;
    QMutex namesMutex;
    for (quint32 agency = 1; agency <= 8; ++agency) {
        pool.start([&, agency] {
            for (quint64 sequence = 1; sequence <= 5; ++sequence)
                stored
                    += appendOne(*store, agency, makeBatch(agency, sequence, 10)) == Kind::Stored;
            const QStringList now = QSqlDatabase::connectionNames();
            QMutexLocker locker(&namesMutex);
            names.unite(QSet<QString>(now.cbegin(), now.cend()));
        });
    }
    pool.waitForDone();
    QCOMPARE(stored.load(), 40);
    const QString activity = QStringLiteral(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '%1' AND pid <> pg_backend_pid()")
                                 .arg(m_database);
    // waitForDone() ends the pool's threads: each closed its own connection as it ended, and
    // the main thread's (from open()) is left.
    QTRY_COMPARE(sql(activity).toInt(), 1);
    // One named connection per thread that ran a task, plus the main thread's.
    QVERIFY2(
        names.size() >= 2 && names.size() <= 5, qPrintable(QStringList(names.values()).join(u' ')));
    QCOMPARE(QSqlDatabase::connectionNames().size(), 1);
    store->close();
    QTRY_COMPARE(sql(activity).toInt(), 0);
}

void PostgresStoreTest::stopRefusesWhatFollows()
{
    auto store = openStore(1);
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 1, 2)), Kind::Stored);
    store->requestStop();
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 2, 2)), Kind::Stopped);
    QVERIFY(!store->markDone(1).ok);
    QString error;
    QVERIFY(!store->welcome(1, QDeadlineTimer(1000), &error));
    QVERIFY(!store->draw().completed);
    QVERIFY(!store->hasFailed());
    store->close();
    QCOMPARE(sql(QStringLiteral("SELECT last_sequence FROM agencies")), QByteArray("1"));
}

void PostgresStoreTest::startErrors_data()
{
    QTest::addColumn<QString>("conninfo");
    QTest::addColumn<QString>("expected");
    const quint16 port = m_cluster->port();
    // A loopback port nothing listens on.
    QTest::newRow("unreachable") << QStringLiteral(
        "host=127.0.0.1 port=1 dbname=lottery user=lottery connect_timeout=3")
                                 << QStringLiteral("cannot connect to the database");
    QTest::newRow("wrong password")
        << QStringLiteral("host=127.0.0.1 port=%1 dbname=lottery user=lottery password=wrong")
               .arg(port)
        << QStringLiteral("password authentication failed");
    QTest::newRow("no such database")
        << QStringLiteral("host=127.0.0.1 port=%1 dbname=nothere user=lottery").arg(port)
        << QStringLiteral("does not exist");
    QTest::newRow("not a connection string")
        << QStringLiteral("host=127.0.0.1 port") << QStringLiteral("invalid database connection");
    QTest::newRow("semicolon") << QStringLiteral("host=127.0.0.1 application_name='a;b'")
                               << QStringLiteral("contains a ';'");
}

void PostgresStoreTest::startErrors()
{
    QFETCH(QString, conninfo);
    QFETCH(QString, expected);
    PostgresBetStore store(conninfo, 1);
    QVERIFY(!store.open());
    QVERIFY2(store.errorString().contains(expected), qPrintable(store.errorString()));
    QVERIFY(!store.errorString().contains(QStringLiteral("wrong"))); // the password is not shown
    QVERIFY(!store.describe().contains(QStringLiteral("wrong")));
}

void PostgresStoreTest::newerSchemaIsRefused()
{
    {
        auto store = openStore();
        QVERIFY(store->errorString().isEmpty());
    }
    QCOMPARE(sql(QStringLiteral("SELECT version FROM schema_version")),
        QByteArray::number(PostgresBetStore::kSchemaVersion));
    // A second start on the same schema migrates nothing and works.
    QVERIFY(openStore()->errorString().isEmpty());
    QVERIFY(!sql(QStringLiteral("UPDATE schema_version SET version = 99")).isNull());
    PostgresBetStore store(conninfo(), 1);
    QVERIFY(!store.open());
    QVERIFY2(store.errorString().contains(QStringLiteral("schema version 99, newer")),
        qPrintable(store.errorString()));
}

void PostgresStoreTest::agencyCountIsRecorded()
{
    using Change = PostgresBetStore::AgenciesChange;
    {
        auto store = openStore(3);
        QVERIFY(store->errorString().isEmpty());
        QCOMPARE(appendOne(*store, 3, makeBatch(3, 1, 10)), Kind::Stored);
    }
    QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("3"));
    // Another count: refused, naming both and the way out; nothing changes.
    {
        PostgresBetStore other(conninfo(), 2);
        QVERIFY(!other.open());
        QVERIFY2(other.errorString().contains(
                     QStringLiteral("recorded for 3 agencies, but this instance is configured "
                                    "for 2")),
            qPrintable(other.errorString()));
        QVERIFY(other.errorString().contains(QStringLiteral("--set-agencies 2")));
    }
    QString message;
    {
        // Not below an agency with bets...
        PostgresBetStore admin(conninfo(), 3);
        QCOMPARE(admin.setAgencies(2, &message), Change::Refused);
        QVERIFY2(message.contains(QStringLiteral("agency 3 has stored bets")), qPrintable(message));
        QCOMPARE(admin.setAgencies(3, &message), Change::Unchanged);
        // ...but otherwise recorded, and then the one count every instance must have.
        QCOMPARE(admin.setAgencies(4, &message), Change::Changed);
        admin.close();
    }
    QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("4"));
    QVERIFY(!PostgresBetStore(conninfo(), 3).open());
    {
        auto store = openStore(4);
        QVERIFY(store->errorString().isEmpty());
        QVERIFY(store->markDone(1).ok);
    }
    // Once an agency is done, the count is final.
    PostgresBetStore admin(conninfo(), 4);
    QCOMPARE(admin.setAgencies(5, &message), Change::Refused);
    QVERIFY2(message.contains(QStringLiteral("agency 1 is done")), qPrintable(message));
    admin.close();
    QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("4"));

    // A database from before the identity (schema 1) adopts the first instance's count.
    QVERIFY(!sql(QStringLiteral("DROP TABLE lottery")).isNull());
    QVERIFY(!sql(QStringLiteral("ALTER TABLE agencies DROP COLUMN digest_state, DROP COLUMN "
                                "digest; ALTER TABLE batches DROP COLUMN stored_bets, DROP "
                                "COLUMN digest; DROP TABLE sales_close"))
                 .isNull());
    QVERIFY(!sql(QStringLiteral("UPDATE schema_version SET version = 1")).isNull());
    QVERIFY(openStore(6)->errorString().isEmpty());
    QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("6"));
}

void PostgresStoreTest::reconnectsAfterImmediateRestart()
{
    auto store = openStore();
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 1, 10)), Kind::Stored);
    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    // The first call finds its connection gone (Failed, nothing acknowledged) or reconnects
    // at once; either way a call soon stores, and nothing is doubled.
    const auto batch = makeBatch(1, 2, 10);
    Kind kind = appendOne(*store, 1, batch);
    if (kind == Kind::Failed)
        kind = appendOne(*store, 1, batch);
    QCOMPARE(kind, Kind::Stored);
    QCOMPARE(appendOne(*store, 1, batch), Kind::Duplicate);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets")), QByteArray("20"));
}

void PostgresStoreTest::commitWithUnknownOutcomeIsNotAcknowledged()
{
    // A synchronous standby that does not exist: COMMIT writes locally, then waits forever for
    // the standby. Killing that backend mid-COMMIT is a lost connection with an outcome the
    // client cannot know (here: committed locally).
    auto store = openStore();
    const auto setStandbyNames = [this](const QString &value) {
        return !m_cluster
                    ->psql(QStringLiteral("ALTER SYSTEM SET synchronous_standby_names = '%1'")
                               .arg(value),
                        QStringLiteral("postgres"))
                    .isNull()
            && !m_cluster
                    ->psql(QStringLiteral("SELECT pg_reload_conf()"), QStringLiteral("postgres"))
                    .isNull();
    };
    QVERIFY(setStandbyNames(QStringLiteral("nobody")));
    const auto batch = makeBatch(3, 1, 10);
    Kind kind = Kind::Stored;
    std::unique_ptr<QThread> thread(QThread::create([&] { kind = appendOne(*store, 3, batch); }));
    thread->start();
    const QString waiting = QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                           "'%1' AND wait_event = 'SyncRep'")
                                .arg(m_database);
    QTRY_COMPARE_WITH_TIMEOUT(sql(waiting), QByteArray("1"), 20000);
    QVERIFY(!sql(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                "datname = '%1' AND wait_event = 'SyncRep'")
                     .arg(m_database))
                 .isNull());
    QVERIFY(thread->wait(20000));
    QVERIFY(setStandbyNames(QString()));
    QCOMPARE(kind, Kind::Failed); // not acknowledged
    // The resend finds the batch there (it committed locally) and says duplicate: not stored
    // twice, and acknowledged only now, when the row is known.
    QCOMPARE(appendOne(*store, 3, batch), Kind::Duplicate);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets")), QByteArray("10"));
}

void PostgresStoreTest::drawNotifierHearsTheNotify()
{
    auto store = openStore(2);
    // No poll in the test's time: only the NOTIFY can deliver.
    DrawNotifier notifier(conninfo(), 10 * 60 * 1000);
    QSignalSpy spy(&notifier, &DrawNotifier::drawRecorded);
    notifier.start();
    QTRY_COMPARE(notifier.subscriptions(), 1);
    QVERIFY(store->markDone(1).ok);
    QVERIFY(!spy.wait(200) || spy.isEmpty()); // nothing yet: one agency is still selling
    QCOMPARE(spy.count(), 0);
    QVERIFY(store->markDone(2).allDone);
    QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 1, 10000);
}

void PostgresStoreTest::drawNotifierResubscribesAndPolls()
{
    auto store = openStore(1);
    DrawNotifier notifier(conninfo(), 300);
    QSignalSpy spy(&notifier, &DrawNotifier::drawRecorded);
    notifier.start();
    QTRY_COMPARE(notifier.subscriptions(), 1);
    // The restart drops the LISTEN connection silently; the poll notices and subscribes again.
    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(notifier.subscriptions(), 2, 30000);
    QCOMPARE(spy.count(), 0);
    // A bare NOTIFY (there is no draw row, so the poll cannot be what answers).
    QVERIFY(!sql(QStringLiteral("NOTIFY lottery_draw")).isNull());
    QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 1, 10000);

    // The fallback: a draw recorded with no NOTIFY at all is found by the poll.
    DrawNotifier polling(conninfo(), 300);
    QSignalSpy polled(&polling, &DrawNotifier::drawRecorded);
    polling.start();
    QTRY_COMPARE(polling.subscriptions(), 1);
    QVERIFY(
        !sql(QStringLiteral("INSERT INTO draw (id, agencies, bets, winners) VALUES (1, 1, 0, 0)"))
             .isNull());
    QTRY_VERIFY_WITH_TIMEOUT(polled.count() >= 1, 10000);
}

// One agency's batches stored through two instances in turn: each receipt is the digest of
// every bet so far (docs/AUDIT.md, recomputed here), whichever instance hashed the earlier ones;
// a resend gets its first receipt back; WELCOME carries the digest.
void PostgresStoreTest::receiptsAcrossInstances()
{
    auto a = openStore(2);
    auto b = openStore(2);
    QVERIFY(a->keepsDigests());
    std::vector<std::shared_ptr<TestBatch>> sent;
    for (quint64 sequence = 1; sequence <= 6; ++sequence) {
        // Sizes that leave the hash mid-block: the midstate carries pending bytes across.
        sent.push_back(makeBatch(1, sequence, int(sequence * 7 % 11 + 1), 3, "Ñandú \"x\\"));
        PostgresBetStore &store = sequence % 2 == 1 ? *a : *b;
        const BatchDecision decision = appendBatches(store, 1, {sent.back()}).front();
        QCOMPARE(decision.kind, Kind::Stored);
        QCOMPARE(decision.storedBets, betsIn(sent));
        QCOMPARE(hexOf(decision.digest), hexOf(qtDigest(sent)));
    }
    // A resend of batch 2, through the other instance: its own receipt, not the latest.
    const BatchDecision resent = appendBatches(*a, 1, {sent[1]}).front();
    QCOMPARE(resent.kind, Kind::Duplicate);
    QCOMPARE(resent.storedBets, betsIn({sent[0], sent[1]}));
    QCOMPARE(hexOf(resent.digest), hexOf(qtDigest({sent[0], sent[1]})));
    // Two batches in one call: one receipt each.
    sent.push_back(makeBatch(1, 7, 5));
    sent.push_back(makeBatch(1, 8, 64));
    const auto two = appendBatches(*b, 1, {sent[6], sent[7]});
    QCOMPARE(two[0].storedBets, betsIn({sent.begin(), sent.begin() + 7}));
    QCOMPARE(hexOf(two[0].digest), hexOf(qtDigest({sent.begin(), sent.begin() + 7})));
    QCOMPARE(hexOf(two[1].digest), hexOf(qtDigest(sent)));

    QString error;
    const auto progress = a->welcome(1, QDeadlineTimer(10000), &error);
    QVERIFY2(progress, qPrintable(error));
    QCOMPARE(progress->storedBets, betsIn(sent));
    QCOMPARE(hexOf(progress->digest), hexOf(qtDigest(sent)));
    QVERIFY(!progress->salesClosed);
    const auto nothing = b->welcome(2, QDeadlineTimer(10000), &error);
    QVERIFY2(nothing, qPrintable(error));
    QCOMPARE(hexOf(nothing->digest), hexOf(qtDigest({}))); // SHA-256 of nothing
    QCOMPARE(hexOf(a->durableProgress().value(1).digest), hexOf(qtDigest(sent)));
    a->close();
    b->close();
}

// LIST_STORED on PostgreSQL (schema 4's index): any range of an agency's stored bets, across
// batch boundaries and instances, exactly as stored (names that need quoting, accents), in
// order; a range past the stored count is refused; another agency's bets never appear.
void PostgresStoreTest::listsStoredBetsAcrossBatches()
{
    auto a = openStore(2);
    auto b = openStore(2);
    QVERIFY(a->listsStoredBets());
    QCOMPARE(sql(QStringLiteral("SELECT version FROM schema_version")), QByteArray("4"));
    std::vector<protocol::Bet> stored;
    for (quint64 sequence = 1; sequence <= 5; ++sequence) {
        const auto batch = makeBatch(1, sequence, int(sequence * 3 + 1), 4, "Ñandú \"x\", y");
        QCOMPARE(appendBatches(sequence % 2 ? *a : *b, 1, {batch}).front().kind, Kind::Stored);
        stored.insert(stored.end(), batch->bets.begin(), batch->bets.end());
        QCOMPARE(appendBatches(*a, 2, {makeBatch(2, sequence, 2)}).front().kind, Kind::Stored);
    }
    QCOMPARE(stored.size(), std::size_t(50));
    const std::vector<std::pair<quint64, quint32>> ranges {
        {0, 50}, {0, 1}, {3, 4}, {4, 20}, {49, 1}, {17, 33}};
    for (const auto &[from, count] : ranges) {
        std::vector<protocol::Bet> listed;
        QString error;
        QVERIFY2((from % 2 ? *b : *a).readStoredBets(1, from, count, &listed, &error),
            qPrintable(error));
        const std::vector<protocol::Bet> expected(
            stored.begin() + qsizetype(from), stored.begin() + qsizetype(from + count));
        QVERIFY2(listed == expected,
            qPrintable(QStringLiteral("from %1 count %2").arg(from).arg(count)));
    }
    std::vector<protocol::Bet> listed;
    QString error;
    QVERIFY(!a->readStoredBets(1, 45, 6, &listed, &error));
    QVERIFY2(error.contains(QStringLiteral("50 stored bets")), qPrintable(error));
    QVERIFY(!a->readStoredBets(3, 0, 1, &listed, &error)); // nothing stored
    QVERIFY(a->readStoredBets(2, 0, 10, &listed, &error));
    QCOMPARE(listed.size(), std::size_t(10));
    a->close();
    b->close();
}

// A database of schema 2 (no digests) upgraded at start: every batch's receipt and every
// agency's digest computed from the stored rows, in one transaction; a lottery whose draw had
// run gets its close and seal; after it, hashing goes on from the computed midstate.
void PostgresStoreTest::migrationComputesDigestsFromRows_data()
{
    QTest::addColumn<bool>("drawRan");
    QTest::newRow("sales open") << false;
    QTest::newRow("draw already ran") << true;
}

void PostgresStoreTest::migrationComputesDigestsFromRows()
{
    QFETCH(bool, drawRan);
    std::vector<std::vector<std::shared_ptr<TestBatch>>> sent(2);
    {
        auto store = openStore(2);
        for (quint64 sequence = 1; sequence <= 4; ++sequence) {
            for (quint32 agency = 1; agency <= 2; ++agency) {
                sent[agency - 1].push_back(
                    makeBatch(agency, sequence, int(sequence * 13 + agency), 5, "Zoë, \"Ana\\"));
                QCOMPARE(appendBatches(*store, agency, {sent[agency - 1].back()}).front().kind,
                    Kind::Stored);
            }
        }
        QVERIFY(store->markDone(1).ok);
        if (drawRan)
            QVERIFY(store->markDone(2).allDone);
        store->close();
    }
    // What the previous version's database looks like: no digest columns, no close table.
    QVERIFY(
        !sql(QStringLiteral("ALTER TABLE agencies DROP COLUMN digest_state, DROP COLUMN "
                            "digest; ALTER TABLE batches DROP COLUMN stored_bets, DROP "
                            "COLUMN digest; DROP TABLE sales_close; DROP INDEX bets_by_sequence; "
                            "UPDATE schema_version SET version = 2"))
             .isNull());

    auto store = openStore(2);
    QVERIFY2(store->errorString().isEmpty(), qPrintable(store->errorString()));
    QCOMPARE(sql(QStringLiteral("SELECT version FROM schema_version")),
        QByteArray::number(PostgresBetStore::kSchemaVersion));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM pg_indexes WHERE indexname = "
                                "'bets_by_sequence'")),
        QByteArray("1")); // schema 4's index, built at the same upgrade
    for (quint32 agency = 1; agency <= 2; ++agency) {
        const auto &batches = sent[agency - 1];
        QCOMPARE(QString::fromLatin1(sql(
                     QStringLiteral("SELECT encode(digest, 'hex') FROM agencies WHERE agency = %1")
                         .arg(agency))),
            hexOf(qtDigest(batches)));
        for (std::size_t k = 0; k < batches.size(); ++k) {
            const std::vector<std::shared_ptr<TestBatch>> upTo(
                batches.begin(), batches.begin() + std::ptrdiff_t(k) + 1);
            QCOMPARE(QString::fromLatin1(sql(QStringLiteral("SELECT stored_bets || ' ' || "
                                                            "encode(digest, 'hex') FROM batches "
                                                            "WHERE agency = %1 AND sequence = %2")
                                                 .arg(agency)
                                                 .arg(k + 1))),
                QStringLiteral("%1 %2").arg(betsIn(upTo)).arg(hexOf(qtDigest(upTo))));
        }
        // A resend of batch 1 after the upgrade: the receipt computed from the rows.
        const BatchDecision resent = appendBatches(*store, agency, {batches[0]}).front();
        if (!drawRan) {
            QCOMPARE(resent.kind, agency == 1 ? Kind::AfterDone : Kind::Duplicate);
            if (agency == 2)
                QCOMPARE(hexOf(resent.digest), hexOf(qtDigest({batches[0]})));
        }
    }
    const DrawResult draw = store->draw();
    if (drawRan) {
        QVERIFY2(draw.completed && draw.close, qPrintable(draw.error));
        QCOMPARE(hexOf(draw.close->root), hexOf(qtSeal(sent)));
        QCOMPARE(draw.close->reason, protocol::CloseReason::AllAgenciesDone);
        QCOMPARE(draw.close->totalBets, betsIn(sent[0]) + betsIn(sent[1]));
        return;
    }
    QVERIFY(!draw.completed);
    // The upgraded midstate goes on: the next batch's receipt covers every bet.
    sent[1].push_back(makeBatch(2, 5, 3));
    const BatchDecision next = appendBatches(*store, 2, {sent[1].back()}).front();
    QCOMPARE(next.kind, Kind::Stored);
    QCOMPARE(hexOf(next.digest), hexOf(qtDigest(sent[1])));
    const DoneDecision last = store->markDone(2);
    QVERIFY(last.allDone && last.closedNow);
    QCOMPARE(hexOf(last.closedNow->root), hexOf(qtSeal(sent)));
}

// The close of sales on two instances: recorded once with its seal (reason, time, instance);
// the second close, from the other instance, answers the first; after it no batch is stored on
// either, a resend of a stored one still gets its receipt, DONE changes nothing, WELCOME says
// closed, and the draw is over exactly the sealed bets.
void PostgresStoreTest::closeSealsOnceAndRefusesAfter()
{
    auto a = openStore(3);
    auto b = openStore(3);
    std::vector<std::vector<std::shared_ptr<TestBatch>>> sent(3);
    sent[0] = {makeBatch(1, 1, 20, 4), makeBatch(1, 2, 7, 2)};
    sent[1] = {makeBatch(2, 1, 11, 3)};
    QCOMPARE(appendBatches(*a, 1, sent[0]).back().kind, Kind::Stored);
    QCOMPARE(appendBatches(*b, 2, sent[1]).back().kind, Kind::Stored);
    QVERIFY(a->markDone(1).ok);

    const CloseDecision closed = b->closeSales(protocol::CloseReason::Operator, 1765000000123);
    QVERIFY2(closed.ok, qPrintable(closed.error));
    QVERIFY(closed.firstTime);
    QCOMPARE(hexOf(closed.close.root), hexOf(qtSeal(sent)));
    QCOMPARE(closed.close.totalBets, quint64(38));
    QCOMPARE(closed.close.agenciesDone, quint32(1));
    QCOMPARE(closed.close.heads.size(), 3);
    QCOMPARE(hexOf(closed.close.heads.value(3).digest), hexOf(qtDigest({})));
    QCOMPARE(sql(QStringLiteral("SELECT reason || ' ' || closed_at_ms || ' ' || (instance LIKE "
                                "'%:' || pg_backend_pid() OR instance LIKE '%:%') FROM "
                                "sales_close")),
        QByteArray("3 1765000000123 true"));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM draw")), QByteArray("1"));

    const CloseDecision again = a->closeSales(protocol::CloseReason::Schedule, 1765000999000);
    QVERIFY(again.ok);
    QVERIFY(!again.firstTime);
    QCOMPARE(again.close.reason, protocol::CloseReason::Operator);
    QCOMPARE(again.close.closedAtMs, qint64(1765000000123));
    QCOMPARE(hexOf(again.close.root), hexOf(closed.close.root));

    // After the close: nothing new on either instance; a resend keeps its receipt.
    QCOMPARE(appendOne(*a, 2, makeBatch(2, 2, 5)), Kind::AfterClose);
    QCOMPARE(appendOne(*b, 3, makeBatch(3, 1, 5)), Kind::AfterClose);
    const BatchDecision resent = appendBatches(*a, 2, {sent[1][0]}).front();
    QCOMPARE(resent.kind, Kind::Duplicate);
    QCOMPARE(hexOf(resent.digest), hexOf(qtDigest(sent[1])));
    const DoneDecision done = b->markDone(3);
    QVERIFY(done.ok && done.allDone && !done.firstTime && !done.closedNow);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM agencies WHERE done")), QByteArray("1"));
    QString error;
    QVERIFY(a->welcome(3, QDeadlineTimer(10000), &error)->salesClosed);
    QVERIFY(b->welcome(1, QDeadlineTimer(10000), &error)->salesClosed);

    for (BetStore *store : {static_cast<BetStore *>(a.get()), static_cast<BetStore *>(b.get())}) {
        const DrawResult draw = store->draw();
        QVERIFY2(draw.completed && draw.close, qPrintable(draw.error));
        QCOMPARE(hexOf(draw.close->root), hexOf(closed.close.root));
        QCOMPARE(draw.bets, quint64(38));
        QCOMPARE(draw.winners.value(1).size(), std::size_t(5 + 4));
        QCOMPARE(draw.winners.value(2).size(), std::size_t(4));
        QCOMPARE(hexOf(draw.close->heads.value(2).digest), hexOf(qtDigest(sent[1])));
    }
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets")), QByteArray("38"));
    a->close();
    b->close();
}

// Four agencies append without pause through two instances while a third connection closes the
// sales: every batch acknowledged is in the seal (each agency's head is exactly what it was
// acknowledged, with the digest of those bets), and none is acknowledged after.
void PostgresStoreTest::closeRacesBatchesOfTwoInstances()
{
    auto a = openStore(4);
    auto b = openStore(4);
    auto closer = openStore(4);
    std::atomic<bool> closed {false};
    std::atomic<int> storedAfterClose {0};
    std::vector<std::vector<std::shared_ptr<TestBatch>>> acked(4);
    std::vector<QString> errors(4);
    std::vector<std::unique_ptr<QThread>> threads;
    for (quint32 agency = 1; agency <= 4; ++agency) {
        PostgresBetStore &store = agency % 2 == 1 ? *a : *b;
        threads.emplace_back(QThread::create([&, agency] {
            for (quint64 sequence = 1; sequence < 100000; ++sequence) {
                const bool closedBefore = closed.load();
                const auto batch = makeBatch(agency, sequence, 50, 7);
                const BatchDecision decision = appendBatches(store, agency, {batch}).front();
                if (decision.kind == Kind::Stored) {
                    acked[agency - 1].push_back(batch);
                    if (closedBefore)
                        ++storedAfterClose;
                } else if (decision.kind == Kind::AfterClose) {
                    return;
                } else {
                    errors[agency - 1] = decision.error;
                    return;
                }
            }
        }));
        threads.back()->start();
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        sql(QStringLiteral("SELECT coalesce(sum(stored_bets), 0) FROM agencies")).toInt() >= 2000,
        60000);
    const CloseDecision close = closer->closeSales(protocol::CloseReason::Operator, 1);
    closed = true;
    for (auto &thread : threads)
        QVERIFY(thread->wait(60000));
    QVERIFY2(close.ok, qPrintable(close.error));
    for (const QString &error : errors)
        QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(storedAfterClose.load(), 0);
    for (quint32 agency = 1; agency <= 4; ++agency) {
        const AgencyHead head = close.close.heads.value(agency);
        QCOMPARE(head.bets, betsIn(acked[agency - 1]));
        QCOMPARE(hexOf(head.digest), hexOf(qtDigest(acked[agency - 1])));
    }
    QCOMPARE(hexOf(close.close.root), hexOf(qtSeal(acked)));
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM bets")).toULongLong(), close.close.totalBets);
    a->close();
    b->close();
    closer->close();
}

// At start the recorded seal is checked against the agencies' heads, and each head against its
// last batch's receipt: a database changed behind the server is refused, nothing changed.
void PostgresStoreTest::tamperedSealIsRefusedAtStart()
{
    {
        auto store = openStore(1);
        QCOMPARE(appendOne(*store, 1, makeBatch(1, 1, 10)), Kind::Stored);
        QCOMPARE(appendOne(*store, 1, makeBatch(1, 2, 10)), Kind::Stored);
        QVERIFY(store->closeSales(protocol::CloseReason::Operator, 5).ok);
        store->close();
    }
    QVERIFY(openStore(1)->errorString().isEmpty()); // intact: opens
    // An agency's head edited to another batch's receipt: the seal no longer matches.
    QVERIFY(!sql(QStringLiteral("UPDATE agencies SET stored_bets = 10, digest = (SELECT digest "
                                "FROM batches WHERE sequence = 1); DELETE FROM batches WHERE "
                                "sequence = 2"))
                 .isNull());
    auto tampered = openStore(1);
    QVERIFY2(tampered->errorString().contains(QStringLiteral("do not match their seal")),
        qPrintable(tampered->errorString()));
    // A head that no batch receipt backs.
    QVERIFY(!sql(QStringLiteral("UPDATE agencies SET stored_bets = 11")).isNull());
    auto edited = openStore(1);
    QVERIFY2(edited->errorString().contains(QStringLiteral("does not match its last batch")),
        qPrintable(edited->errorString()));
}

// Issue 21, point 6: after `pg_ctl restart -m immediate` the first WELCOME, DONE, close and
// draw read of a pooled connection meet it stale; each is safe to repeat, so each reconnects
// and answers instead of failing.
void PostgresStoreTest::safeCallsRideOutARestart()
{
    auto store = openStore(2);
    QCOMPARE(appendOne(*store, 1, makeBatch(1, 1, 10, 3)), Kind::Stored);
    QString error;
    QVERIFY(store->welcome(1, QDeadlineTimer(10000), &error)); // the pooled connection
    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    const auto progress = store->welcome(1, QDeadlineTimer(20000), &error);
    QVERIFY2(progress, qPrintable(error));
    QCOMPARE(progress->storedBets, quint64(10));

    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    const DoneDecision done = store->markDone(1);
    QVERIFY2(done.ok && done.firstTime, qPrintable(done.error));

    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    const CloseDecision close = store->closeSales(protocol::CloseReason::Schedule, 7);
    QVERIFY2(close.ok && close.firstTime, qPrintable(close.error));

    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    const DrawResult draw = store->draw();
    QVERIFY2(draw.completed, qPrintable(draw.error));
    QCOMPARE(draw.winners.value(1).size(), std::size_t(4));
    QCOMPARE(hexOf(draw.close->root), hexOf(close.close.root));
}

QTEST_GUILESS_MAIN(PostgresStoreTest)
#include "tst_postgres_store.moc"
