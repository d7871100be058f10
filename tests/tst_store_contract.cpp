// The BetStore contract (server/storage/bet_store.h), stated once and run against every
// implementation. Each test is data-driven over storeFactories(): adding a store (PostgreSQL) is
// one entry there. What a store must do: decide each batch (stored, duplicate only when sequence,
// count and CRC match, conflict otherwise, sequence 0, gap, after DONE), atomically with making it
// durable; report in welcome() what every write that returned before it decided; DONE (first time,
// repeat, all done); the draw's winners per agency from the durable state; the same state after a
// reopen; a storage failure latches it; a stop refuses what follows.
#include "server/storage/bet_store.h"
#include "server/storage/file_bet_store.h"
#include "server/storage/postgres_bet_store.h"
#include "support/postgres_cluster.h"

#include "common/stored_bet_row.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cerrno>
#include <functional>
#include <memory>
#include <unistd.h>
#include <zlib.h>

using namespace lottery;
using namespace lottery::server;
using Kind = BatchDecision::Kind;

Q_DECLARE_METATYPE(lottery::server::BatchDecision::Kind)

namespace {

// A store under test, and a way to make its storage fail from now on (for the latch test).
struct StoreUnderTest {
    std::unique_ptr<BetStore> store;
    std::function<void()> breakStorage;
};

struct StoreFactory {
    const char *name;
    // A store over `dir` (the same dir again: the same data, as after a restart) expecting
    // agencies 1..`agencies`. Null (with *skip set) when the store cannot run here.
    std::function<StoreUnderTest(const QString &dir, quint32 agencies, QString *skip)> make;
    // Its storage can be broken under it (StoreUnderTest::breakStorage) and it then refuses
    // everything (docs/DESIGN.md); the others' failures are tested in their own suites.
    bool latchesOnFailure;
};

// The single place to add an implementation.
const std::vector<StoreFactory> &storeFactories()
{
    static const std::vector<StoreFactory> factories = {
        {"file",
            [](const QString &dir, quint32 agencies, QString *) {
                auto broken = std::make_shared<std::atomic<bool>>(false);
                StoreUnderTest made;
                made.store = std::make_unique<FileBetStore>(
                    dir + QStringLiteral("/bets.csv"), agencies, [broken](int fd) {
                        if (broken->load()) {
                            errno = EIO;
                            return -1;
                        }
                        return ::fdatasync(fd);
                    });
                made.breakStorage = [broken] { broken->store(true); };
                return made;
            },
            true},
        {"postgresql",
            [](const QString &dir, quint32 agencies, QString *skip) {
                // One cluster for the whole run, one database per test directory (the same
                // directory again: the same database, as after a restart).
                static std::unique_ptr<testing::PostgresCluster> cluster;
                StoreUnderTest made;
                if (!cluster) {
                    QString why;
                    if (!testing::PostgresCluster::available(&why)) {
                        *skip = why; // make test installs postgresql-15: a failure
                        return made;
                    }
                    cluster = std::make_unique<testing::PostgresCluster>();
                    if (!cluster->initPrimary())
                        qFatal("cannot start PostgreSQL: %s", qPrintable(cluster->lastError()));
                    qputenv("PGPASSFILE", cluster->passFile().toLocal8Bit());
                }
                const QString database = QStringLiteral("c%1").arg(QString::fromLatin1(
                    QCryptographicHash::hash(dir.toUtf8(), QCryptographicHash::Sha1)
                        .toHex()
                        .left(16)));
                if (cluster->psql(QStringLiteral("SELECT 1 FROM pg_database WHERE datname = '%1'")
                                      .arg(database),
                        QStringLiteral("postgres"))
                        != "1"
                    && !cluster->createDatabase(database))
                    qFatal("cannot create %s: %s", qPrintable(database),
                        qPrintable(cluster->lastError()));
                // No breakStorage: this store does not latch (a failed transaction leaves
                // nothing behind); tst_postgres_* prove its failures against a real cluster.
                made.store = std::make_unique<PostgresBetStore>(
                    cluster->connectionString(database), agencies);
                return made;
            },
            false},
    };
    return factories;
}

// One batch of `count` bets of `agency`; `variant` changes the content (not the count).
struct TestBatch {
    std::string rows;
    std::vector<protocol::Bet> bets;
    BatchToStore toStore;
};

std::shared_ptr<TestBatch> makeBatch(
    quint32 agency, quint64 sequence, int count, int variant = 0, int winners = 0)
{
    auto batch = std::make_shared<TestBatch>();
    for (int i = 0; i < count; ++i) {
        const std::string document = std::to_string(agency * 1000000 + sequence * 1000
            + static_cast<quint64>(i) + static_cast<quint64>(variant) * 100);
        batch->bets.push_back(protocol::Bet {"Ana", "Paz", document, "1990-05-17",
            static_cast<std::uint16_t>(i < winners ? protocol::kWinningNumber : 1)});
    }
    for (const protocol::Bet &bet : batch->bets) {
        appendStoredBetRow(batch->rows, agency, bet);
        if (protocol::isWinner(bet))
            batch->toStore.winners.push_back(bet.document);
    }
    batch->toStore.sequence = sequence;
    batch->toStore.betCount = static_cast<quint32>(count);
    batch->toStore.crc
        = static_cast<quint32>(::crc32(0L, reinterpret_cast<const Bytef *>(batch->rows.data()),
            static_cast<uInt>(batch->rows.size())));
    batch->toStore.csvRows = batch->rows;
    for (const protocol::Bet &bet : batch->bets)
        batch->toStore.bets.push_back(protocol::BetView {
            bet.firstName, bet.lastName, bet.document, bet.birthdate, bet.number});
    return batch;
}

std::vector<BatchDecision> appendOne(BetStore &store, quint32 agency, const TestBatch &batch)
{
    return store.append(agency, {batch.toStore});
}

AgencyProgress progressOf(BetStore &store, quint32 agency)
{
    QString error;
    const auto progress = store.welcome(agency, QDeadlineTimer(10000), &error);
    if (!progress)
        qWarning("welcome: %s", qPrintable(error));
    return progress.value_or(AgencyProgress {quint64(-1), quint64(-1), false});
}

// One row per store; `latchingOnly`: only the stores that latch after a storage failure.
void addStoreRows(bool latchingOnly = false)
{
    QTest::addColumn<int>("factory");
    for (std::size_t i = 0; i < storeFactories().size(); ++i) {
        if (!latchingOnly || storeFactories()[i].latchesOnFailure)
            QTest::newRow(storeFactories()[i].name) << int(i);
    }
}

} // namespace

class TestStoreContract : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void appendDecides_data();
    void appendDecides();
    void oneAppendDecidesInOrder_data();
    void oneAppendDecidesInOrder();
    void markDoneFirstRepeatAllDone_data();
    void markDoneFirstRepeatAllDone();
    void drawGivesWinnersPerAgency_data();
    void drawGivesWinnersPerAgency();
    void reopenRecoversEverything_data();
    void reopenRecoversEverything();
    void applyDecidesManyAgenciesInOneJob_data();
    void applyDecidesManyAgenciesInOneJob();
    void applyFailureAcknowledgesNothing_data();
    void applyFailureAcknowledgesNothing();
    void failureLatches_data();
    void failureLatches();
    void stopRefusesWhatFollows_data();
    void stopRefusesWhatFollows();

private:
    // Opens the factory's store over this test's directory (again: a reopen).
    BetStore *openStore(quint32 agencies = 2)
    {
        QFETCH(int, factory);
        if (m_current.store)
            m_current.store->close();
        m_current = {};
        QString skip;
        m_current = storeFactories()[std::size_t(factory)].make(m_dir->path(), agencies, &skip);
        if (!m_current.store) {
            m_skip = skip;
            return nullptr;
        }
        if (!m_current.store->open()) {
            qWarning("open: %s", qPrintable(m_current.store->errorString()));
            return nullptr;
        }
        return m_current.store.get();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    StoreUnderTest m_current;
    QString m_skip;
};

#define OPEN_STORE(var, agencies)                                                                  \
    BetStore *var = openStore(agencies);                                                           \
    if (!var && !m_skip.isEmpty())                                                                 \
        QFAIL(qPrintable(m_skip));                                                                 \
    QVERIFY(var)

void TestStoreContract::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_skip.clear();
}

void TestStoreContract::cleanup()
{
    if (m_current.store)
        m_current.store->close();
    m_current = {};
    m_dir.reset();
}

void TestStoreContract::appendDecides_data()
{
    // Agency 1 has stored batches 1 (3 bets) and 2 (3 bets); then one more batch is offered.
    QTest::addColumn<int>("factory");
    QTest::addColumn<quint64>("sequence");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("variant");
    QTest::addColumn<bool>("doneFirst");
    QTest::addColumn<Kind>("expected");
    QTest::addColumn<quint64>("expectedSequence");
    QTest::addColumn<quint64>("storedBetsAfter");

    for (std::size_t f = 0; f < storeFactories().size(); ++f) {
        const auto row = [f](const char *name) {
            return &QTest::newRow(
                qPrintable(QStringLiteral("%1: %2").arg(storeFactories()[f].name, name)));
        };
        const int i = int(f);
        *row("next sequence stored")
            << i << quint64(3) << 2 << 0 << false << Kind::Stored << quint64(0) << quint64(8);
        *row("same batch again is a duplicate")
            << i << quint64(2) << 3 << 0 << false << Kind::Duplicate << quint64(0) << quint64(6);
        *row("first batch again is a duplicate")
            << i << quint64(1) << 3 << 0 << false << Kind::Duplicate << quint64(0) << quint64(6);
        *row("stored sequence, other count: conflict")
            << i << quint64(2) << 4 << 0 << false << Kind::Conflict << quint64(3) << quint64(6);
        *row("stored sequence, same count, other rows: conflict")
            << i << quint64(2) << 3 << 1 << false << Kind::Conflict << quint64(3) << quint64(6);
        *row("sequence 0 refused")
            << i << quint64(0) << 3 << 0 << false << Kind::ZeroSequence << quint64(3) << quint64(6);
        *row("gap refused") << i << quint64(5) << 3 << 0 << false << Kind::Gap << quint64(3)
                            << quint64(6);
        *row("after DONE refused")
            << i << quint64(3) << 3 << 0 << true << Kind::AfterDone << quint64(0) << quint64(6);
    }
}

void TestStoreContract::appendDecides()
{
    QFETCH(quint64, sequence);
    QFETCH(int, count);
    QFETCH(int, variant);
    QFETCH(bool, doneFirst);
    QFETCH(Kind, expected);
    QFETCH(quint64, expectedSequence);
    QFETCH(quint64, storedBetsAfter);

    OPEN_STORE(store, 2);
    for (quint64 s = 1; s <= 2; ++s) {
        const auto decisions = appendOne(*store, 1, *makeBatch(1, s, 3));
        QCOMPARE(decisions.size(), std::size_t(1));
        QCOMPARE(decisions[0].kind, Kind::Stored);
    }
    if (doneFirst)
        QVERIFY(store->markDone(1).ok);

    const auto decisions = appendOne(*store, 1, *makeBatch(1, sequence, count, variant));
    QCOMPARE(decisions.size(), std::size_t(1));
    QCOMPARE(decisions[0].kind, expected);
    if (expected != Kind::Stored && expected != Kind::Duplicate)
        QVERIFY2(!decisions[0].error.isEmpty(), "a refusal says why");
    if (expectedSequence != 0)
        QCOMPARE(decisions[0].expectedSequence, expectedSequence);
    const AgencyProgress progress = progressOf(*store, 1);
    QCOMPARE(progress.storedBets, storedBetsAfter);
    QCOMPARE(progress.lastSequence, expected == Kind::Stored ? quint64(3) : quint64(2));
    // Another agency is not affected.
    QCOMPARE(progressOf(*store, 2).lastSequence, quint64(0));
}

void TestStoreContract::oneAppendDecidesInOrder_data()
{
    addStoreRows();
}

void TestStoreContract::oneAppendDecidesInOrder()
{
    OPEN_STORE(store, 2);
    // Batches of one append are decided in order, each seeing the ones before it.
    const std::vector<std::shared_ptr<TestBatch>> batches
        = {makeBatch(1, 1, 2), makeBatch(1, 2, 2), makeBatch(1, 2, 2), makeBatch(1, 4, 2),
            makeBatch(1, 2, 5), makeBatch(1, 0, 1), makeBatch(1, 3, 2)};
    std::vector<BatchToStore> toStore;
    for (const auto &batch : batches)
        toStore.push_back(batch->toStore);
    const auto decisions = store->append(1, toStore);
    const std::vector<Kind> expected = {Kind::Stored, Kind::Stored, Kind::Duplicate, Kind::Gap,
        Kind::Conflict, Kind::ZeroSequence, Kind::Stored};
    QCOMPARE(decisions.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        QCOMPARE(decisions[i].kind, expected[i]);
    QCOMPARE(progressOf(*store, 1).lastSequence, quint64(3));
    QCOMPARE(progressOf(*store, 1).storedBets, quint64(6));
    // Nothing to store: no decision.
    QVERIFY(store->append(1, {}).empty());
}

void TestStoreContract::markDoneFirstRepeatAllDone_data()
{
    addStoreRows();
}

void TestStoreContract::markDoneFirstRepeatAllDone()
{
    OPEN_STORE(store, 2);
    DoneDecision done = store->markDone(1);
    QVERIFY2(done.ok, qPrintable(done.error));
    QVERIFY(done.firstTime);
    QVERIFY(!done.allDone);
    done = store->markDone(1);
    QVERIFY(done.ok);
    QVERIFY(!done.firstTime);
    QVERIFY(!done.allDone);
    QVERIFY(progressOf(*store, 1).done);
    QVERIFY(!progressOf(*store, 2).done);
    done = store->markDone(2);
    QVERIFY(done.ok);
    QVERIFY(done.firstTime);
    QVERIFY(done.allDone);
    done = store->markDone(1);
    QVERIFY(done.ok && !done.firstTime && done.allDone);
}

void TestStoreContract::drawGivesWinnersPerAgency_data()
{
    addStoreRows();
}

void TestStoreContract::drawGivesWinnersPerAgency()
{
    OPEN_STORE(store, 2);
    const auto a1 = makeBatch(1, 1, 5, 0, 2);
    const auto a2 = makeBatch(1, 2, 5, 0, 1);
    const auto b1 = makeBatch(2, 1, 4, 0, 0);
    QCOMPARE(appendOne(*store, 1, *a1)[0].kind, Kind::Stored);
    QCOMPARE(appendOne(*store, 2, *b1)[0].kind, Kind::Stored);
    QCOMPARE(appendOne(*store, 1, *a2)[0].kind, Kind::Stored);
    // A refused batch's winners never count.
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 2, 5, 1, 5))[0].kind, Kind::Conflict);
    QVERIFY(store->markDone(1).ok);

    DrawResult draw = store->draw();
    QVERIFY2(draw.error.isEmpty(), qPrintable(draw.error));
    QVERIFY2(!draw.completed, "agency 2 is not done yet");

    QVERIFY(store->markDone(2).allDone);
    draw = store->draw();
    QVERIFY2(draw.completed, qPrintable(draw.error));
    QCOMPARE(draw.bets, quint64(14));
    QCOMPARE(draw.winnerCount, quint64(3));
    std::vector<std::string> expected = a1->toStore.winners;
    expected.insert(expected.end(), a2->toStore.winners.begin(), a2->toStore.winners.end());
    QCOMPARE(draw.winners.value(1), expected);
    QVERIFY(draw.winners.value(2).empty());
}

void TestStoreContract::reopenRecoversEverything_data()
{
    addStoreRows();
}

void TestStoreContract::reopenRecoversEverything()
{
    {
        OPEN_STORE(store, 2);
        QCOMPARE(appendOne(*store, 1, *makeBatch(1, 1, 3, 0, 1))[0].kind, Kind::Stored);
        QCOMPARE(appendOne(*store, 1, *makeBatch(1, 2, 2))[0].kind, Kind::Stored);
        QCOMPARE(appendOne(*store, 2, *makeBatch(2, 1, 4, 0, 2))[0].kind, Kind::Stored);
        QVERIFY(store->markDone(1).ok);
    }
    OPEN_STORE(store, 2);
    AgencyProgress progress = progressOf(*store, 1);
    QCOMPARE(progress.lastSequence, quint64(2));
    QCOMPARE(progress.storedBets, quint64(5));
    QVERIFY(progress.done);
    progress = progressOf(*store, 2);
    QCOMPARE(progress.lastSequence, quint64(1));
    QCOMPARE(progress.storedBets, quint64(4));
    QVERIFY(!progress.done);
    // The operator's counts at start (durableProgress) agree with WELCOME's, for every agency.
    const QHash<quint32, AgencyProgress> all = store->durableProgress();
    QCOMPARE(all.value(1).lastSequence, quint64(2));
    QCOMPARE(all.value(1).storedBets, quint64(5));
    QVERIFY(all.value(1).done);
    QCOMPARE(all.value(2).lastSequence, quint64(1));
    QCOMPARE(all.value(2).storedBets, quint64(4));
    QVERIFY(!all.value(2).done);
    // The fingerprints survive too: duplicate and conflict are told apart after a reopen.
    QCOMPARE(appendOne(*store, 2, *makeBatch(2, 1, 4, 0, 2))[0].kind, Kind::Duplicate);
    QCOMPARE(appendOne(*store, 2, *makeBatch(2, 1, 4, 1, 2))[0].kind, Kind::Conflict);
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 3, 1))[0].kind, Kind::AfterDone);
    QCOMPARE(appendOne(*store, 2, *makeBatch(2, 2, 1))[0].kind, Kind::Stored);
    QVERIFY(store->markDone(2).allDone);

    OPEN_STORE(again, 2);
    const DrawResult draw = again->draw();
    QVERIFY2(draw.completed, qPrintable(draw.error));
    QCOMPARE(draw.bets, quint64(10));
    QCOMPARE(draw.winnerCount, quint64(3));
    QCOMPARE(draw.winners.value(1), makeBatch(1, 1, 3, 0, 1)->toStore.winners);
    QCOMPARE(draw.winners.value(2), makeBatch(2, 1, 4, 0, 2)->toStore.winners);
}

// A job as the server's StoreJobQueue makes it: several agencies' batches and DONEs in one
// apply(), each decided as its own append() / markDone() would be, in order.
// The request's batches are views into the TestBatches: `keep` holds them for the test's length.
StoreRequest batchesRequest(quint32 agency, const std::vector<std::shared_ptr<TestBatch>> &batches,
    std::vector<std::shared_ptr<TestBatch>> &keep)
{
    StoreRequest request;
    request.agency = agency;
    for (const auto &batch : batches) {
        request.batches.push_back(batch->toStore);
        keep.push_back(batch);
    }
    return request;
}

StoreRequest doneRequest(quint32 agency)
{
    StoreRequest request;
    request.agency = agency;
    request.done = true;
    return request;
}

void TestStoreContract::applyDecidesManyAgenciesInOneJob_data()
{
    addStoreRows();
}

void TestStoreContract::applyDecidesManyAgenciesInOneJob()
{
    OPEN_STORE(store, 3);
    std::vector<std::shared_ptr<TestBatch>> keep;
    QCOMPARE(appendOne(*store, 3, *makeBatch(3, 1, 2, 0, 1))[0].kind, Kind::Stored);
    const auto a1 = makeBatch(1, 1, 4, 0, 1);
    const auto a2 = makeBatch(1, 2, 3, 0, 2);
    const auto b1 = makeBatch(2, 1, 5);
    std::vector<StoreRequest> job;
    job.push_back(batchesRequest(1, {a1, a2, makeBatch(1, 2, 3, 0, 2)}, keep));
    job.push_back(batchesRequest(2, {makeBatch(2, 2, 1), b1, makeBatch(2, 0, 1)}, keep));
    job.push_back(batchesRequest(3, {makeBatch(3, 1, 2, 1, 1), makeBatch(3, 1, 2, 0, 1)}, keep));
    job.push_back(doneRequest(3));
    const std::vector<StoreAnswer> answers = store->apply(std::move(job));
    QCOMPARE(answers.size(), std::size_t(4));

    const std::vector<Kind> agency1 = {Kind::Stored, Kind::Stored, Kind::Duplicate};
    const std::vector<Kind> agency2 = {Kind::Gap, Kind::Stored, Kind::ZeroSequence};
    const std::vector<Kind> agency3 = {Kind::Conflict, Kind::Duplicate};
    const std::vector<std::vector<Kind>> expected = {agency1, agency2, agency3};
    for (std::size_t r = 0; r < expected.size(); ++r) {
        QCOMPARE(answers[r].batches.size(), expected[r].size());
        for (std::size_t b = 0; b < expected[r].size(); ++b) {
            QVERIFY2(answers[r].batches[b].kind == expected[r][b],
                qPrintable(QStringLiteral("request %1 batch %2: %3")
                               .arg(r)
                               .arg(b)
                               .arg(answers[r].batches[b].error)));
        }
    }
    QVERIFY2(answers[3].done.ok, qPrintable(answers[3].done.error));
    QVERIFY(answers[3].done.firstTime);
    QVERIFY(!answers[3].done.allDone);

    QCOMPARE(progressOf(*store, 1).lastSequence, quint64(2));
    QCOMPARE(progressOf(*store, 1).storedBets, quint64(7));
    QCOMPARE(progressOf(*store, 2).storedBets, quint64(5));
    QVERIFY(progressOf(*store, 3).done);

    // The last two DONEs in one job: both recorded, and the job tells the draw can be read.
    std::vector<StoreRequest> last;
    last.push_back(doneRequest(1));
    last.push_back(doneRequest(2));
    last.push_back(batchesRequest(1, {makeBatch(1, 3, 1)}, keep));
    const std::vector<StoreAnswer> finished = store->apply(std::move(last));
    QVERIFY(finished[0].done.ok && finished[0].done.firstTime);
    QVERIFY(finished[1].done.ok && finished[1].done.allDone);
    QCOMPARE(finished[2].batches[0].kind, Kind::AfterDone);
    const DrawResult draw = store->draw();
    QVERIFY2(draw.completed, qPrintable(draw.error));
    QCOMPARE(draw.bets, quint64(14));
    QCOMPARE(draw.winnerCount, quint64(4));
    std::vector<std::string> winners1 = a1->toStore.winners;
    winners1.insert(winners1.end(), a2->toStore.winners.begin(), a2->toStore.winners.end());
    QCOMPARE(draw.winners.value(1), winners1);

    // And all of it survives a reopen.
    OPEN_STORE(again, 3);
    QCOMPARE(progressOf(*again, 1).storedBets, quint64(7));
    QCOMPARE(progressOf(*again, 2).lastSequence, quint64(1));
    QVERIFY(progressOf(*again, 2).done);
    QVERIFY(again->draw().completed);
}

void TestStoreContract::applyFailureAcknowledgesNothing_data()
{
    // PostgreSQL's failures are tested in tst_postgres_store and tst_postgres_failover.
    addStoreRows(true);
}

void TestStoreContract::applyFailureAcknowledgesNothing()
{
    OPEN_STORE(store, 2);
    std::vector<std::shared_ptr<TestBatch>> keep;
    QVERIFY2(m_current.breakStorage, "a latching store's factory must give breakStorage");
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 1, 2))[0].kind, Kind::Stored);
    m_current.breakStorage();
    std::vector<StoreRequest> job;
    job.push_back(batchesRequest(1, {makeBatch(1, 1, 2), makeBatch(1, 2, 2)}, keep));
    job.push_back(batchesRequest(2, {makeBatch(2, 1, 3)}, keep));
    job.push_back(doneRequest(2));
    const std::vector<StoreAnswer> answers = store->apply(std::move(job));
    // Not even the duplicate: its ACK would vouch for a store that can vouch for nothing now.
    QCOMPARE(answers[0].batches[0].kind, Kind::Failed);
    QCOMPARE(answers[0].batches[1].kind, Kind::Failed);
    QCOMPARE(answers[1].batches[0].kind, Kind::Failed);
    QVERIFY(!answers[2].done.ok);
    QVERIFY(!answers[2].done.error.isEmpty());
    QVERIFY(store->hasFailed());

    // After a restart on healthy storage, only the batch acknowledged before the failure is
    // certain; the failed job's batches are stored again (or found durable) on resend.
    OPEN_STORE(again, 2);
    const AgencyProgress progress = progressOf(*again, 1);
    QVERIFY(progress.lastSequence >= 1);
    const auto resent = appendOne(*again, 1, *makeBatch(1, 2, 2));
    QVERIFY(resent[0].kind == Kind::Stored || resent[0].kind == Kind::Duplicate);
    QCOMPARE(progressOf(*again, 1).storedBets, quint64(4));
}

void TestStoreContract::failureLatches_data()
{
    // PostgreSQL does not latch (docs/DESIGN.md); tst_postgres_store and tst_postgres_failover
    // test its failures.
    addStoreRows(true);
}

void TestStoreContract::failureLatches()
{
    OPEN_STORE(store, 1);
    QVERIFY2(m_current.breakStorage, "a latching store's factory must give breakStorage");
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 1, 2))[0].kind, Kind::Stored);
    QVERIFY(!store->hasFailed());
    m_current.breakStorage();
    const auto failed = appendOne(*store, 1, *makeBatch(1, 2, 2));
    QCOMPARE(failed[0].kind, Kind::Failed);
    QVERIFY(!failed[0].error.isEmpty());
    QVERIFY(store->hasFailed());
    // Nothing is acknowledged any more: not a new batch, not a duplicate, not DONE, no welcome.
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 3, 2))[0].kind, Kind::Failed);
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 1, 2))[0].kind, Kind::Failed);
    QVERIFY(!store->markDone(1).ok);
    QString error;
    QVERIFY(!store->welcome(1, QDeadlineTimer(1000), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!store->draw().completed);
}

void TestStoreContract::stopRefusesWhatFollows_data()
{
    addStoreRows();
}

void TestStoreContract::stopRefusesWhatFollows()
{
    OPEN_STORE(store, 1);
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 1, 2))[0].kind, Kind::Stored);
    store->requestStop();
    QCOMPARE(appendOne(*store, 1, *makeBatch(1, 2, 2))[0].kind, Kind::Stopped);
    QVERIFY(!store->markDone(1).ok);
    QString error;
    QVERIFY(!store->welcome(1, QDeadlineTimer(1000), &error));
    QVERIFY(!store->hasFailed());
    // What was stored before the stop is there after a reopen.
    OPEN_STORE(again, 1);
    QCOMPARE(progressOf(*again, 1).lastSequence, quint64(1));
}

QTEST_GUILESS_MAIN(TestStoreContract)
#include "tst_store_contract.moc"
