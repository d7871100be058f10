// The reconnect race, over real sockets against a LotteryServer in this process: session A
// pipelines 80 batches of 100 bets and, once the server is busy with them, its connection drops
// or a second HELLO for the same agency supersedes it; session B says HELLO 0-10 ms later and
// resumes exactly as docs/PROTOCOL.md section 7 says (skip `storedBets` rows, number from
// `lastSequence + 1`) with another batch size. A's batches still in a worker must be counted by
// B's WELCOME: otherwise B stores rows twice (smaller batches) or is acknowledged for rows that
// were never stored (larger ones). Checked on bets.csv itself: every bet exactly once, the
// winners exact.
#include "server/lottery_server.h"
#include "tst_server_client.h"

#include "common/stored_bet_row.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <memory>

using namespace lottery::protocol;
using lottery::parseStoredBetRow;
using lottery::server::LotteryServer;
using lottery::server::ServerConfig;

namespace {

constexpr int kFirstBatches = 80;
constexpr int kFirstBatchSize = 100;
constexpr int kTotalBets = 12000; // A sends 8,000; B sends whatever WELCOME says is missing

std::string documentOf(int index)
{
    return std::to_string(1000000 + index);
}

bool isWinnerIndex(int index)
{
    return index % 97 == 0;
}

Bet betAt(int index)
{
    return makeBet("Ana", "Paz", documentOf(index), isWinnerIndex(index) ? kWinningNumber : 1);
}

// Batches of `size` bets over bets [from, kTotalBets), numbered from `firstSequence`.
std::string batchFrames(int from, int size, quint64 firstSequence, int maxBatches, int *batches)
{
    std::string bytes;
    quint64 sequence = firstSequence;
    *batches = 0;
    for (int start = from; start < kTotalBets && *batches < maxBatches; start += size) {
        Batch batch {sequence++, {}};
        for (int i = start; i < std::min(kTotalBets, start + size); ++i)
            batch.bets.push_back(betAt(i));
        bytes += encodeFrame(batch);
        ++*batches;
    }
    return bytes;
}

} // namespace

class TestReconnect : public QObject
{
    Q_OBJECT

private slots:
    void resumeAfterQuickReconnect_data();
    void resumeAfterQuickReconnect();
};

void TestReconnect::resumeAfterQuickReconnect_data()
{
    QTest::addColumn<bool>("supersede"); // false: A's connection drops
    QTest::addColumn<int>("resumeBatchSize");
    QTest::addColumn<int>("delayMs");

    for (const bool supersede : {false, true}) {
        for (const int size : {37, 150}) {
            for (const int delay : {0, 10}) {
                const QByteArray name = QByteArray(supersede ? "superseding HELLO" : "drop")
                    + ", resume with " + QByteArray::number(size) + " after "
                    + QByteArray::number(delay) + " ms";
                QTest::newRow(name.constData()) << supersede << size << delay;
            }
        }
    }
}

void TestReconnect::resumeAfterQuickReconnect()
{
    QFETCH(bool, supersede);
    QFETCH(int, resumeBatchSize);
    QFETCH(int, delayMs);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerConfig config;
    config.ip = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.agencies = 1;
    config.storagePath = dir.filePath(QStringLiteral("bets.csv"));
    config.workers = 4;
    LotteryServer server(config);
    QVERIFY2(server.start(), qPrintable(server.errorString()));

    auto first = std::make_unique<TestClient>();
    QVERIFY(first->connectTo(server.serverPort()));
    first->send(Hello {kProtocolVersion, 1, {}});
    QCOMPARE(first->receiveAs<Welcome>(), std::optional<Welcome>(Welcome {kProtocolVersion, 0, 0}));
    int sent = 0;
    first->sendRaw(batchFrames(0, kFirstBatchSize, 1, kFirstBatches, &sent));
    QCOMPARE(sent, kFirstBatches);
    // The server is storing A's batches now: the next task is on its way to a worker.
    const auto firstAck = first->receiveAs<Ack>();
    QVERIFY(firstAck);
    QCOMPARE(firstAck->sequence, 1u);
    if (!supersede)
        first->socket().abort();
    if (delayMs > 0)
        QTest::qWait(delayMs);

    TestClient second;
    QVERIFY(second.connectTo(server.serverPort()));
    second.send(Hello {kProtocolVersion, 1, {}});
    const auto welcome = second.receiveAs<Welcome>();
    QVERIFY(welcome);
    QVERIFY(welcome->lastSequence >= 1 && welcome->lastSequence <= quint64(kFirstBatches));
    // Every batch A got stored has 100 bets: a WELCOME that disagrees is out of date.
    QCOMPARE(welcome->storedBets, welcome->lastSequence * kFirstBatchSize);
    if (supersede) {
        // A reads the ACKs sent before B took over, then ERROR(Superseded); none of those ACKs
        // may be of a batch B's WELCOME does not count.
        quint64 lastAcked = firstAck->sequence;
        std::optional<ErrorMessage> error;
        while (!error) {
            const auto message = first->receive();
            QVERIFY2(message, "A got neither ERROR(Superseded) nor an ACK");
            if (const auto *ack = std::get_if<Ack>(&*message)) {
                QCOMPARE(ack->sequence, lastAcked + 1);
                lastAcked = ack->sequence;
            } else {
                QVERIFY(std::holds_alternative<ErrorMessage>(*message));
                error = std::get<ErrorMessage>(*message);
            }
        }
        QVERIFY2(error->code == ErrorCode::Superseded, error->message.c_str());
        QVERIFY2(lastAcked <= welcome->lastSequence,
            qPrintable(QStringLiteral("A was acknowledged through %1, B welcomed at %2")
                           .arg(lastAcked)
                           .arg(welcome->lastSequence)));
    }

    // Resume exactly as PROTOCOL.md section 7 says.
    int batches = 0;
    int duplicates = 0; // B sent only what WELCOME said is missing: none may be a duplicate
    second.sendRaw(batchFrames(int(welcome->storedBets), resumeBatchSize, welcome->lastSequence + 1,
        kTotalBets, &batches));
    for (int i = 0; i < batches; ++i) {
        const auto ack = second.receiveAs<Ack>(30000);
        QVERIFY2(
            ack, qPrintable(QStringLiteral("no ACK for batch %1 of %2").arg(i + 1).arg(batches)));
        QCOMPARE(ack->sequence, welcome->lastSequence + 1 + quint64(i));
        duplicates += ack->duplicate ? 1 : 0;
    }
    second.send(Done {});
    QVERIFY(second.receiveAs<DoneAck>());
    second.send(GetWinners {});
    const auto winners = second.receiveAs<Winners>(30000);
    QVERIFY(winners);

    // bets.csv: every bet exactly once.
    QFile file(config.storagePath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    std::map<std::string, int> stored;
    int rows = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        const auto row = parseStoredBetRow(std::string_view(line.constData(), line.size()));
        QVERIFY2(row, line.constData());
        ++stored[row->bet.document];
        ++rows;
    }
    int doubled = 0;
    int missing = 0;
    for (int i = 0; i < kTotalBets; ++i) {
        const int count = stored.count(documentOf(i)) ? stored[documentOf(i)] : 0;
        doubled += count > 1 ? count - 1 : 0;
        missing += count == 0 ? 1 : 0;
    }
    QVERIFY2(doubled == 0 && missing == 0 && rows == kTotalBets,
        qPrintable(QStringLiteral("%1 rows stored twice, %2 missing, %3 rows for %4 bets")
                       .arg(doubled)
                       .arg(missing)
                       .arg(rows)
                       .arg(kTotalBets)));
    QCOMPARE(duplicates, 0);

    std::vector<std::string> expectedWinners;
    for (int i = 0; i < kTotalBets; ++i) {
        if (isWinnerIndex(i))
            expectedWinners.push_back(documentOf(i));
    }
    std::vector<std::string> got = winners->documents;
    std::sort(got.begin(), got.end());
    QCOMPARE(got, expectedWinners);
    QVERIFY(winners->final);
}

QTEST_GUILESS_MAIN(TestReconnect)
#include "tst_reconnect.moc"
