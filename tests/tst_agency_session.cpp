// AgencySession against a fake server written here (QTcpServer + the protocol codec) on 127.0.0.1
// with a kernel-chosen port: the whole flow, batching limits, the window, resume, every way the
// session can fail, cancel, and retries while the server is not up yet.
#include "lottery/agency/agency_session.h"
#include "lottery/protocol/codec.h"
#include "support/free_port.h"

#include <QFile>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <deque>
#include <functional>

using lottery::agency::AgencySession;
using lottery::agency::AgencySessionOptions;
namespace protocol = lottery::protocol;
using Phase = AgencySession::Phase;
using Kind = AgencySession::FailureKind;

namespace {

// Scripted server: answers HELLO with `welcome`, acknowledges batches (at once, or when the test
// says), DONE with DONE_ACK and GET_WINNERS with `winnerChunks`. `hook` sees each message first
// and may take it over by returning true.
class FakeServer : public QObject
{
public:
    FakeServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++connections;
                client = socket;
                m_splitter = protocol::FrameSplitter();
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onRead(socket); });
            }
        });
    }

    bool listen(quint16 port = 0) { return m_server.listen(QHostAddress::LocalHost, port); }
    quint16 port() const { return m_server.serverPort(); }
    void close() { m_server.close(); }

    void send(const protocol::Message &message)
    {
        const std::string frame = protocol::encodeFrame(message);
        client->write(frame.data(), static_cast<qint64>(frame.size()));
    }

    void ack(const protocol::Batch &batch, bool duplicate = false)
    {
        send(protocol::Ack {batch.sequence, static_cast<quint16>(batch.bets.size()), duplicate});
        --unacked;
    }

    void ackNext()
    {
        ack(pendingAcks.front());
        pendingAcks.pop_front();
        // As the real server: what came behind the batches is answered after them, in order.
        while (pendingAcks.empty() && !heldBehindAcks.empty()) {
            const protocol::Message next = heldBehindAcks.front();
            heldBehindAcks.pop_front();
            answer(next);
        }
    }

    QList<protocol::Batch> batches() const
    {
        QList<protocol::Batch> out;
        for (const protocol::Message &m : received) {
            if (const auto *batch = std::get_if<protocol::Batch>(&m))
                out.append(*batch);
        }
        return out;
    }

    QStringList types() const
    {
        QStringList out;
        for (const protocol::Message &m : received)
            out << QString::fromLatin1(protocol::toString(protocol::typeOf(m)));
        return out;
    }

    protocol::Welcome welcome {protocol::kProtocolVersion, 0, 0};
    bool autoAck = true;
    std::vector<protocol::Winners> winnerChunks {protocol::Winners {true, {}}};
    std::function<bool(const protocol::Message &)> hook;

    std::vector<protocol::Message> received;
    std::deque<protocol::Batch> pendingAcks;
    std::deque<protocol::Message> heldBehindAcks; // DONE / GET_WINNERS sent before the ACKs
    QList<int> frameSizes; // of every BATCH frame
    int unacked = 0;
    int maxUnacked = 0;
    int connections = 0;
    QPointer<QTcpSocket> client;
    QString decodeError;

private:
    void onRead(QTcpSocket *socket)
    {
        const QByteArray bytes = socket->readAll();
        m_splitter.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
        protocol::RawFrame frame;
        while (m_splitter.next(frame) == protocol::DecodeStatus::Ok) {
            auto result = protocol::decodeFrame(frame);
            if (!result.message) {
                decodeError = QString::fromStdString(result.error->toString());
                return;
            }
            if (frame.type == static_cast<std::uint8_t>(protocol::MessageType::Batch))
                frameSizes.append(static_cast<int>(protocol::kFrameHeaderSize + frame.body.size()));
            received.push_back(*result.message);
            handle(*result.message);
            if (!client)
                return;
        }
    }

    void handle(const protocol::Message &message)
    {
        if (std::holds_alternative<protocol::Batch>(message)) {
            ++unacked;
            maxUnacked = std::max(maxUnacked, unacked);
        }
        if (hook && hook(message))
            return;
        if (!pendingAcks.empty() && !std::holds_alternative<protocol::Batch>(message)) {
            heldBehindAcks.push_back(message);
            return;
        }
        answer(message);
    }

    void answer(const protocol::Message &message)
    {
        if (std::holds_alternative<protocol::Hello>(message)) {
            send(welcome);
        } else if (const auto *batch = std::get_if<protocol::Batch>(&message)) {
            if (autoAck)
                ack(*batch);
            else
                pendingAcks.push_back(*batch);
        } else if (std::holds_alternative<protocol::Done>(message)) {
            send(protocol::DoneAck {});
        } else if (std::holds_alternative<protocol::GetWinners>(message)) {
            for (const protocol::Winners &chunk : winnerChunks)
                send(chunk);
        }
    }

    QTcpServer m_server;
    protocol::FrameSplitter m_splitter;
};

protocol::Bet betFor(int i)
{
    return protocol::Bet {"Nombre" + std::to_string(i), "Núñez", std::to_string(10000000 + i),
        "1990-01-01", static_cast<std::uint16_t>(i % 10000)};
}

QByteArray csvRow(const protocol::Bet &bet)
{
    return QByteArray::fromStdString(bet.firstName + "," + bet.lastName + "," + bet.document + ","
               + bet.birthdate + "," + std::to_string(bet.number))
        + "\r\n";
}

std::vector<protocol::Bet> allBets(const QList<protocol::Batch> &batches)
{
    std::vector<protocol::Bet> bets;
    for (const auto &batch : batches)
        bets.insert(bets.end(), batch.bets.begin(), batch.bets.end());
    return bets;
}

QList<qulonglong> sequences(const QList<protocol::Batch> &batches)
{
    QList<qulonglong> out;
    for (const auto &batch : batches)
        out.append(batch.sequence);
    return out;
}

QList<int> sizes(const QList<protocol::Batch> &batches)
{
    QList<int> out;
    for (const auto &batch : batches)
        out.append(static_cast<int>(batch.bets.size()));
    return out;
}

} // namespace

class TestAgencySession : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void olderServerIsSpokenVersionOne();
    void fullFlow();
    void batchesStayWithinTheFrameLimit();
    void windowBoundsUnacknowledgedBatches();
    void resumeSkipsStoredBets();
    void duplicateAckCountsAsAcknowledged();
    void invalidRowsAreReportedAndSkipped();
    void winnersInSeveralChunks();
    void rejectFails();
    void serverErrorFails();
    void serverClosingMidUploadFails();
    void malformedFrameFails();
    void outOfOrderAckFails();
    void silentServerTimesOut();
    void connectsOnceTheServerListens();
    void nothingListeningFailsAfterConnectTimeout();
    void cancelMidUpload();
    void missingFileFails();
    void invalidOptionsFail();
    void reconnectsAfterLostConnection_data();
    void reconnectsAfterLostConnection();
    void transientServerErrorIsRetried_data();
    void transientServerErrorIsRetried();
    void finalErrorsAreNotRetried_data();
    void finalErrorsAreNotRetried();
    void givesUpAfterReconnectTimeout();
    void lostAcknowledgedBetsAreDetected();
    void failsOverToTheNextServer_data();
    void failsOverToTheNextServer();
    void alwaysFailingStorageGivesUpWithTheCode();
    void sequenceConflictResyncsBounded_data();
    void sequenceConflictResyncsBounded();

private:
    // A fake server that stores like the real one: WELCOME reports what was acknowledged.
    void storeLikeTheServer(FakeServer &server, std::function<bool(const protocol::Batch &)> drop,
        bool storeDropped = false)
    {
        m_stored.clear();
        server.hook = [this, &server, drop, storeDropped](const protocol::Message &m) {
            const auto *batch = std::get_if<protocol::Batch>(&m);
            if (!batch)
                return false;
            const bool expected = batch->sequence == server.welcome.lastSequence + 1;
            const auto store = [&] {
                server.welcome.lastSequence = batch->sequence;
                server.welcome.storedBets += batch->bets.size();
                m_stored.insert(m_stored.end(), batch->bets.begin(), batch->bets.end());
            };
            if (!drop(*batch)) {
                if (expected)
                    store();
                server.ack(*batch, !expected);
                return true;
            }
            if (storeDropped && expected) // stored, but the ACK is lost with the connection
                store();
            server.client->abort();
            server.client = nullptr; // read nothing more from this connection
            return true;
        };
    }

    QString writeBets(int count, const QMap<int, QByteArray> &extraLines = {})
    {
        // extraLines: file line number -> raw line inserted there (invalid rows, blanks)
        const QString path = m_dir.filePath(QStringLiteral("bets-%1.csv").arg(++m_files));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write test file");
        int next = 0;
        for (int line = 1; next < count || extraLines.contains(line); ++line) {
            if (extraLines.contains(line))
                file.write(extraLines.value(line) + "\r\n");
            else
                file.write(csvRow(betFor(next++)));
        }
        return path;
    }

    AgencySessionOptions options(quint16 port, const QString &file) const
    {
        AgencySessionOptions o;
        o.servers = {lottery::agency::ServerAddress {QStringLiteral("127.0.0.1"), port}};
        o.agency = 3;
        o.token = QStringLiteral("tok");
        o.dataFile = file;
        o.batchMaxBets = 100;
        o.window = 8;
        o.connectTimeout = std::chrono::milliseconds(5000);
        o.initialRetryDelay = std::chrono::milliseconds(20);
        o.maxRetryDelay = std::chrono::milliseconds(100);
        o.responseTimeout = std::chrono::milliseconds(10000);
        o.today = QDate(2024, 6, 1);
        return o;
    }

    QTemporaryDir m_dir;
    int m_files = 0;
    std::vector<protocol::Bet> m_stored; // by storeLikeTheServer(), in order
};

// A server older than the agency (version 1 only, as the course's) refuses HELLO version 2 with
// ERROR(unsupported_version): the agency says HELLO again, version 1, and uploads as before.
void TestAgencySession::olderServerIsSpokenVersionOne()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &message) {
        const auto *hello = std::get_if<protocol::Hello>(&message);
        if (!hello || hello->version == protocol::kProtocolVersion1)
            return false;
        server.send(protocol::ErrorMessage {protocol::ErrorCode::UnsupportedVersion,
            "protocol version 2 is not supported (server speaks 1)"});
        server.client->disconnectFromHost();
        return true;
    };
    AgencySession session(options(server.port(), writeBets(120)));
    QSignalSpy agreed(&session, &AgencySession::protocolAgreed);
    QSignalSpy finished(&session, &AgencySession::finished);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(finished.count() + failed.count(), 1);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(server.connections, 2);
    QCOMPARE(
        std::get<protocol::Hello>(server.received.front()).version, protocol::kProtocolVersion2);
    QCOMPARE(
        server.types(), (QStringList {"HELLO", "HELLO", "BATCH", "BATCH", "DONE", "GET_WINNERS"}));
    QCOMPARE(session.protocolVersion(), protocol::kProtocolVersion1);
    QCOMPARE(agreed.count(), 1);
    QVERIFY(!session.receipt().isValid());
    QCOMPARE(allBets(server.batches()).size(), std::size_t(120));
}

void TestAgencySession::fullFlow()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.winnerChunks = {protocol::Winners {true, {"10000001", "10000042"}}};
    AgencySession session(options(server.port(), writeBets(250)));
    QSignalSpy phases(&session, &AgencySession::phaseChanged);
    QSignalSpy welcomed(&session, &AgencySession::welcomed);
    QSignalSpy acks(&session, &AgencySession::batchAcknowledged);
    QSignalSpy uploaded(&session, &AgencySession::uploadCompleted);
    QSignalSpy winners(&session, &AgencySession::winnersReceived);
    QSignalSpy finished(&session, &AgencySession::finished);
    QSignalSpy failed(&session, &AgencySession::failed);

    session.start();
    QCOMPARE(session.phase(), Phase::Idle); // nothing happens inside start()
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(failed.count(), 0);

    QCOMPARE(
        server.types(), (QStringList {"HELLO", "BATCH", "BATCH", "BATCH", "DONE", "GET_WINNERS"}));
    const auto &hello = std::get<protocol::Hello>(server.received.front());
    QCOMPARE(hello.version, protocol::kLatestProtocolVersion);
    QCOMPARE(hello.agency, 3u);
    QCOMPARE(hello.token, std::string("tok"));
    const auto batches = server.batches();
    QCOMPARE(sequences(batches), (QList<qulonglong> {1, 2, 3}));
    QCOMPARE(sizes(batches), (QList<int> {100, 100, 50}));
    const auto bets = allBets(batches);
    QCOMPARE(bets.size(), std::size_t(250));
    for (int i = 0; i < 250; ++i)
        QVERIFY2(bets[std::size_t(i)] == betFor(i), qPrintable(QString::number(i)));

    QCOMPARE(welcomed.count(), 1);
    QCOMPARE(welcomed.at(0).at(0).toULongLong(), 0ull);
    QCOMPARE(acks.count(), 3);
    QCOMPARE(acks.at(2).at(0).toULongLong(), 3ull);
    QCOMPARE(acks.at(2).at(1).toInt(), 50);
    QCOMPARE(acks.at(2).at(2).toLongLong(), 250);
    QCOMPARE(acks.at(2).at(3).toBool(), false);
    QCOMPARE(uploaded.count(), 1);
    QCOMPARE(winners.count(), 1);
    QCOMPARE(winners.at(0).at(0).toStringList(), (QStringList {"10000001", "10000042"}));
    QList<Phase> seen;
    for (const auto &args : phases)
        seen << args.at(0).value<Phase>();
    QCOMPARE(seen,
        (QList<Phase> {Phase::Connecting, Phase::Sending, Phase::WaitingForDraw, Phase::Done}));
    QCOMPARE(session.phase(), Phase::Done);
    QCOMPARE(session.betsSent(), 250);
    QCOMPARE(session.betsAcknowledged(), 250);
    QCOMPARE(session.batchesSent(), 3);
    QCOMPARE(session.batchesAcknowledged(), 3);
    QCOMPARE(session.invalidRows(), 0);
    QCOMPARE(session.rowsSkipped(), 0);
    QCOMPARE(session.connectAttempts(), 1);
    QCOMPARE(session.winners(), (QStringList {"10000001", "10000042"}));
    QCOMPARE(session.failureKind(), Kind::None);
    // The session closes the connection once it has its winners.
    QTRY_VERIFY(server.client && server.client->state() == QAbstractSocket::UnconnectedState);
}

void TestAgencySession::batchesStayWithinTheFrameLimit()
{
    // ~470-byte bets: 1000 per batch would be ~470 KB, so the 8 KiB frame limit decides.
    const QString path = m_dir.filePath(QStringLiteral("long-names.csv"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < 100; ++i) {
            file.write(QByteArray(230, 'a') + "," + QByteArray(230, 'b') + ","
                + QByteArray::number(i) + ",1990-01-01,1\n");
        }
    }
    FakeServer server;
    QVERIFY(server.listen());
    auto o = options(server.port(), path);
    o.batchMaxBets = 1000;
    AgencySession session(o);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    const auto batches = server.batches();
    QVERIFY(batches.size() > 1);
    for (int size : server.frameSizes)
        QVERIFY2(size <= int(protocol::kMaxFrameSize), qPrintable(QString::number(size)));
    // Each batch is as full as the frame allows: one more bet would not have fitted.
    for (int i = 0; i + 1 < batches.size(); ++i) {
        QVERIFY(server.frameSizes[i] + int(protocol::encodedBetSize(batches[i + 1].bets[0]))
            > int(protocol::kMaxFrameSize));
    }
    const auto bets = allBets(batches);
    QCOMPARE(bets.size(), std::size_t(100));
    for (std::size_t i = 0; i < bets.size(); ++i)
        QCOMPARE(bets[i].document, std::to_string(i));
}

void TestAgencySession::windowBoundsUnacknowledgedBatches()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.autoAck = false;
    auto o = options(server.port(), writeBets(20));
    o.batchMaxBets = 2;
    o.window = 3;
    AgencySession session(o);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();

    QTRY_COMPARE(server.batches().size(), 3);
    QCOMPARE(session.batchesInFlight(), 3);
    // The session waits for an ACK: acknowledging one lets exactly one more out.
    server.ackNext();
    QTRY_COMPARE(server.batches().size(), 4);
    QCOMPARE(server.maxUnacked, 3);
    while (finished.isEmpty()) {
        QTRY_VERIFY(!server.pendingAcks.empty() || !finished.isEmpty());
        while (!server.pendingAcks.empty())
            server.ackNext();
        QCoreApplication::processEvents();
    }
    QCOMPARE(server.batches().size(), 10);
    QCOMPARE(server.maxUnacked, 3);
    QCOMPARE(sequences(server.batches()), (QList<qulonglong> {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

void TestAgencySession::resumeSkipsStoredBets()
{
    // Invalid rows among the stored ones must not count: the server counts stored bets.
    FakeServer server;
    QVERIFY(server.listen());
    server.welcome = protocol::Welcome {protocol::kProtocolVersion, 3, 7};
    auto o = options(server.port(), writeBets(20, {{2, "bad,row"}, {5, "x,y,1,1990-01-01,99999"}}));
    o.batchMaxBets = 5;
    AgencySession session(o);
    QSignalSpy welcomed(&session, &AgencySession::welcomed);
    QSignalSpy invalid(&session, &AgencySession::invalidRow);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(welcomed.at(0).at(0).toULongLong(), 3ull);
    QCOMPARE(welcomed.at(0).at(1).toULongLong(), 7ull);
    QCOMPARE(session.rowsSkipped(), 7);
    QCOMPARE(invalid.count(), 2);
    const auto batches = server.batches();
    QCOMPARE(sequences(batches), (QList<qulonglong> {4, 5, 6}));
    QCOMPARE(sizes(batches), (QList<int> {5, 5, 3}));
    QVERIFY(batches.front().bets.front() == betFor(7));
    QVERIFY(batches.back().bets.back() == betFor(19));
    QCOMPARE(session.betsAcknowledged(), 13);
}

void TestAgencySession::duplicateAckCountsAsAcknowledged()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        const auto *batch = std::get_if<protocol::Batch>(&m);
        if (!batch || batch->sequence != 1)
            return false;
        server.ack(*batch, true);
        return true;
    };
    auto o = options(server.port(), writeBets(15));
    o.batchMaxBets = 10;
    AgencySession session(o);
    QSignalSpy acks(&session, &AgencySession::batchAcknowledged);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(acks.count(), 2);
    QCOMPARE(acks.at(0).at(3).toBool(), true);
    QCOMPARE(acks.at(1).at(3).toBool(), false);
    QCOMPARE(session.duplicateBatches(), 1);
    QCOMPARE(session.betsAcknowledged(), 15);
}

void TestAgencySession::invalidRowsAreReportedAndSkipped()
{
    FakeServer server;
    QVERIFY(server.listen());
    auto o = options(server.port(),
        writeBets(
            10, {{3, "Ana,Pérez,12A,1990-01-01,1"}, {4, ""}, {7, "Ana,Pérez,1,2030-01-01,1"}}));
    AgencySession session(o);
    QSignalSpy invalid(&session, &AgencySession::invalidRow);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(invalid.count(), 2);
    QCOMPARE(invalid.at(0).at(0).toLongLong(), 3);
    QCOMPARE(invalid.at(0).at(1).toString(), QStringLiteral("document must contain only digits"));
    QCOMPARE(invalid.at(1).at(0).toLongLong(), 7);
    QCOMPARE(invalid.at(1).at(1).toString(), QStringLiteral("birthdate is in the future"));
    QCOMPARE(session.invalidRows(), 2);
    const auto bets = allBets(server.batches());
    QCOMPARE(bets.size(), std::size_t(10));
    for (int i = 0; i < 10; ++i)
        QVERIFY(bets[std::size_t(i)] == betFor(i));
}

void TestAgencySession::winnersInSeveralChunks()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.winnerChunks = {protocol::Winners {false, {"1", "2"}}, protocol::Winners {false, {"3"}},
        protocol::Winners {false, {}}, protocol::Winners {true, {"4"}}};
    AgencySession session(options(server.port(), writeBets(3)));
    QSignalSpy winners(&session, &AgencySession::winnersReceived);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(winners.count(), 1);
    QCOMPARE(winners.at(0).at(0).toStringList(), (QStringList {"1", "2", "3", "4"}));
}

void TestAgencySession::rejectFails()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        const auto *batch = std::get_if<protocol::Batch>(&m);
        if (!batch || batch->sequence != 2)
            return false;
        server.send(protocol::Reject {2, protocol::ErrorCode::InvalidBet, 1, "document too short"});
        return true;
    };
    auto o = options(server.port(), writeBets(30, {{1, "bad"}}));
    o.batchMaxBets = 10;
    o.window = 1;
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(finished.count(), 0);
    QCOMPARE(session.phase(), Phase::Failed);
    QCOMPARE(session.failureKind(), Kind::BatchRejected);
    QCOMPARE(session.lastErrorCode(), std::optional(protocol::ErrorCode::InvalidBet));
    QCOMPARE(session.rejectedSequence(), 2ull);
    const auto error = failed.at(0).at(0).value<lottery::agency::UploadError>();
    QCOMPARE(error.code, std::optional(protocol::ErrorCode::InvalidBet));
    QCOMPARE(error.rejectedSequence, 2ull);
    const QString message = error.message;
    QCOMPARE(message, session.errorString());
    // Batch 2 starts with bet 10, which is on line 12 (line 1 is invalid): its 2nd bet is line 13.
    QCOMPARE(message,
        QStringLiteral("batch 2 rejected by the server: invalid_bet, bet 2 (line 13): "
                       "document too short"));
    QCOMPARE(session.betsAcknowledged(), 10);
}

void TestAgencySession::serverErrorFails()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        if (!std::holds_alternative<protocol::Hello>(m))
            return false;
        server.send(protocol::ErrorMessage {
            protocol::ErrorCode::UnsupportedVersion, "this server speaks version 2"});
        server.client->disconnectFromHost();
        return true;
    };
    AgencySession session(options(server.port(), writeBets(3)));
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::ServerError);
    QCOMPARE(session.lastErrorCode(), std::optional(protocol::ErrorCode::UnsupportedVersion));
    QCOMPARE(failed.at(0).at(0).value<lottery::agency::UploadError>().message,
        QStringLiteral("server error unsupported_version: this server speaks version 2"));
}

void TestAgencySession::serverClosingMidUploadFails()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        const auto *batch = std::get_if<protocol::Batch>(&m);
        if (!batch || batch->sequence != 2)
            return false;
        server.client->abort();
        return true;
    };
    auto o = options(server.port(), writeBets(50));
    o.batchMaxBets = 10;
    o.window = 1;
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::ConnectionLost);
    const auto error = failed.at(0).at(0).value<lottery::agency::UploadError>();
    QVERIFY2(error.message.startsWith("connection to 127.0.0.1:"), qPrintable(error.message));
    QCOMPARE(error.kind, Kind::ConnectionLost);
    QCOMPARE(error.server, QStringLiteral("127.0.0.1:%1").arg(server.port()));
    QVERIFY(!session.lastErrorCode());
    QCOMPARE(session.betsAcknowledged(), 10);
}

void TestAgencySession::malformedFrameFails()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        if (!std::holds_alternative<protocol::Hello>(m))
            return false;
        server.client->write(QByteArray("\x00\x00\x00\x02\x63\x00", 6)); // unknown type 0x63
        return true;
    };
    AgencySession session(options(server.port(), writeBets(3)));
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::ProtocolViolation);
    QVERIFY2(session.errorString().startsWith("malformed frame from the server: unknown message"),
        qPrintable(session.errorString()));
    // The session tells the server why before it hangs up.
    QTRY_VERIFY(!server.received.empty()
        && std::holds_alternative<protocol::ErrorMessage>(server.received.back()));
    QCOMPARE(std::get<protocol::ErrorMessage>(server.received.back()).code,
        protocol::ErrorCode::UnknownMessageType);
}

void TestAgencySession::outOfOrderAckFails()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        const auto *batch = std::get_if<protocol::Batch>(&m);
        if (!batch)
            return false;
        server.send(protocol::Ack {batch->sequence + 1, 1, false});
        return true;
    };
    AgencySession session(options(server.port(), writeBets(3)));
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::ProtocolViolation);
    QCOMPARE(session.errorString(),
        QStringLiteral("ACK of batch 2 (1 bets) out of order: "
                       "expected batch 1 of 3 bets"));
}

void TestAgencySession::silentServerTimesOut()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.autoAck = false;
    auto o = options(server.port(), writeBets(3));
    o.responseTimeout = std::chrono::milliseconds(200);
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::ResponseTimeout);
    QCOMPARE(session.errorString(),
        QStringLiteral("no answer from the server within 200 ms "
                       "while waiting for ACK of batch 1"));
}

void TestAgencySession::connectsOnceTheServerListens()
{
    // A free port below the ephemeral range; nothing listens on it until the test says so.
    const quint16 port = testsupport::portOutsideEphemeralRange(QHostAddress::LocalHost);
    QVERIFY(port != 0);
    AgencySession session(options(port, writeBets(5)));
    QSignalSpy retries(&session, &AgencySession::connectRetry);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_VERIFY(retries.count() >= 3);
    QCOMPARE(retries.at(0).at(0).toInt(), 1);
    QCOMPARE(retries.at(0).at(2).toInt(), 20); // backoff: 20, 40, 80, 100, 100 ...
    QCOMPARE(retries.at(1).at(2).toInt(), 40);
    QCOMPARE(retries.at(2).at(2).toInt(), 80);
    QVERIFY(!retries.at(0).at(1).toString().isEmpty());
    QCOMPARE(session.phase(), Phase::Connecting);

    FakeServer server;
    QVERIFY(server.listen(port));
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(server.connections, 1);
    QVERIFY(session.connectAttempts() >= 4);
    QCOMPARE(allBets(server.batches()).size(), std::size_t(5));
}

void TestAgencySession::nothingListeningFailsAfterConnectTimeout()
{
    const quint16 port = testsupport::portOutsideEphemeralRange(QHostAddress::LocalHost);
    QVERIFY(port != 0);
    auto o = options(port, writeBets(5));
    o.connectTimeout = std::chrono::milliseconds(400);
    AgencySession session(o);
    QSignalSpy retries(&session, &AgencySession::connectRetry);
    QSignalSpy failed(&session, &AgencySession::failed);
    QElapsedTimer clock;
    clock.start();
    session.start();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
    QVERIFY(clock.elapsed() >= 250); // retried for (nearly) the whole connect timeout
    QCOMPARE(session.failureKind(), Kind::ConnectTimeout);
    QVERIFY(retries.count() >= 3);
    QCOMPARE(session.connectAttempts(), retries.count() + 1);
    QVERIFY2(session.errorString().startsWith(
                 QStringLiteral("could not connect to 127.0.0.1:%1 within 400 ms").arg(port)),
        qPrintable(session.errorString()));
}

void TestAgencySession::cancelMidUpload()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.autoAck = false;
    auto o = options(server.port(), writeBets(100));
    o.batchMaxBets = 10;
    o.window = 2;
    AgencySession session(o);
    QSignalSpy phases(&session, &AgencySession::phaseChanged);
    QSignalSpy failed(&session, &AgencySession::failed);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(server.batches().size(), 2);
    const int phasesBefore = phases.count();
    session.cancel();
    QCOMPARE(session.phase(), Phase::Cancelled);
    QCOMPARE(phases.count(), phasesBefore + 1);
    QCOMPARE(phases.last().at(0).value<Phase>(), Phase::Cancelled);
    QVERIFY(!session.isRunning());
    // The server sees the connection close; acknowledging now changes nothing.
    QTRY_VERIFY(!server.client || server.client->state() == QAbstractSocket::UnconnectedState);
    session.cancel(); // no effect once ended
    QCOMPARE(phases.count(), phasesBefore + 1);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(finished.count(), 0);
    QCOMPARE(server.batches().size(), 2);
}

void TestAgencySession::missingFileFails()
{
    AgencySession session(options(1, m_dir.filePath(QStringLiteral("absent.csv"))));
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QCOMPARE(failed.count(), 0); // reported from the event loop, not inside start()
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::FileError);
    QVERIFY(session.errorString().contains("absent.csv"));
}

void TestAgencySession::invalidOptionsFail()
{
    auto o = options(1, writeBets(1));
    o.agency = 0;
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::InvalidOptions);
    QCOMPARE(
        session.errorString(), QStringLiteral("invalid options: agency number must be 1 or more"));
}

void TestAgencySession::reconnectsAfterLostConnection_data()
{
    QTest::addColumn<bool>("storedBeforeTheLoss");
    QTest::newRow("batch-lost-with-the-connection") << false;
    QTest::newRow("batch-stored-ack-lost") << true;
}

void TestAgencySession::reconnectsAfterLostConnection()
{
    QFETCH(bool, storedBeforeTheLoss);
    FakeServer server;
    QVERIFY(server.listen());
    bool dropped = false;
    storeLikeTheServer(
        server,
        [&dropped](const protocol::Batch &batch) {
            if (dropped || batch.sequence != 3)
                return false;
            dropped = true; // the connection dies once, at batch 3
            return true;
        },
        storedBeforeTheLoss);
    auto o = options(server.port(), writeBets(55, {{7, "not,a,valid,row"}}));
    o.batchMaxBets = 10;
    o.window = 2;
    o.reconnectTimeout = std::chrono::milliseconds(5000);
    AgencySession session(o);
    QSignalSpy reconnecting(&session, &AgencySession::reconnecting);
    QSignalSpy invalid(&session, &AgencySession::invalidRow);
    QSignalSpy finished(&session, &AgencySession::finished);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(server.connections, 2);
    QCOMPARE(reconnecting.count(), 1);
    QVERIFY(reconnecting.at(0).at(0).toString().contains("lost"));
    QCOMPARE(session.reconnections(), 1);
    // Exactly once: what the server stored, in order, is the file's valid rows.
    QCOMPARE(m_stored.size(), std::size_t(55));
    for (int i = 0; i < 55; ++i)
        QVERIFY2(m_stored[std::size_t(i)] == betFor(i), qPrintable(QString::number(i)));
    QCOMPARE(server.welcome.storedBets, 55ull);
    QCOMPARE(session.betsAcknowledged(), 55);
    QCOMPARE(session.invalidRows(), 1); // reported once, although the file was read twice
    QCOMPARE(invalid.count(), 1);
    QCOMPARE(session.rowsSkipped(), 0);
    QCOMPARE(session.phase(), Phase::Done);
}

void TestAgencySession::transientServerErrorIsRetried_data()
{
    QTest::addColumn<protocol::ErrorCode>("code");
    QTest::newRow("shutting-down") << protocol::ErrorCode::ShuttingDown;
    QTest::newRow("server-busy") << protocol::ErrorCode::ServerBusy;
    QTest::newRow("timeout") << protocol::ErrorCode::Timeout;
    QTest::newRow("storage-failure") << protocol::ErrorCode::StorageFailure;
}

void TestAgencySession::transientServerErrorIsRetried()
{
    QFETCH(protocol::ErrorCode, code);
    FakeServer server;
    QVERIFY(server.listen());
    int hellos = 0;
    server.hook = [&server, &hellos, code](const protocol::Message &m) {
        if (!std::holds_alternative<protocol::Hello>(m) || ++hellos > 1)
            return false;
        server.send(protocol::ErrorMessage {code, "try again later"});
        server.client->disconnectFromHost();
        return true;
    };
    auto o = options(server.port(), writeBets(12));
    o.reconnectTimeout = std::chrono::milliseconds(5000);
    AgencySession session(o);
    QSignalSpy finished(&session, &AgencySession::finished);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(hellos, 2);
    QCOMPARE(session.reconnections(), 1);
    QCOMPARE(allBets(server.batches()).size(), std::size_t(12));
}

void TestAgencySession::finalErrorsAreNotRetried_data()
{
    QTest::addColumn<bool>("reject");
    QTest::addColumn<protocol::ErrorCode>("code");
    QTest::newRow("reject-invalid-bet") << true << protocol::ErrorCode::InvalidBet;
    QTest::newRow("reject-batch-after-done") << true << protocol::ErrorCode::BatchAfterDone;
    QTest::newRow("error-authentication") << false << protocol::ErrorCode::AuthenticationFailed;
    QTest::newRow("error-internal") << false << protocol::ErrorCode::Internal;
    QTest::newRow("error-version") << false << protocol::ErrorCode::UnsupportedVersion;
    QTest::newRow("error-agency") << false << protocol::ErrorCode::InvalidAgency;
    QTest::newRow("error-superseded") << false << protocol::ErrorCode::Superseded;
    QTest::newRow("error-agency-disabled") << false << protocol::ErrorCode::AgencyDisabled;
}

void TestAgencySession::finalErrorsAreNotRetried()
{
    QFETCH(bool, reject);
    QFETCH(protocol::ErrorCode, code);
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server, reject, code](const protocol::Message &m) {
        if (const auto *batch = std::get_if<protocol::Batch>(&m); batch && reject) {
            server.send(protocol::Reject {batch->sequence, code, protocol::kNoBetIndex, "no"});
            return true;
        }
        if (std::holds_alternative<protocol::Hello>(m) && !reject) {
            server.send(protocol::ErrorMessage {code, "no"});
            server.client->disconnectFromHost();
            return true;
        }
        return false;
    };
    auto o = options(server.port(), writeBets(5));
    o.reconnectTimeout = std::chrono::milliseconds(5000);
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    QSignalSpy reconnecting(&session, &AgencySession::reconnecting);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), reject ? Kind::BatchRejected : Kind::ServerError);
    QCOMPARE(session.lastErrorCode(), std::optional(code));
    // unsupported_version to a HELLO of version 2 is tried once more in version 1 (an older
    // server); refused again, it is final like the others.
    const int retries = code == protocol::ErrorCode::UnsupportedVersion && !reject ? 1 : 0;
    QCOMPARE(reconnecting.count(), retries);
    QCOMPARE(server.connections, 1 + retries);
}

void TestAgencySession::givesUpAfterReconnectTimeout()
{
    FakeServer server;
    QVERIFY(server.listen());
    storeLikeTheServer(server, [&server](const protocol::Batch &batch) {
        if (batch.sequence != 2)
            return false;
        server.close(); // the server is gone for good
        return true;
    });
    const quint16 port = server.port();
    auto o = options(port, writeBets(50));
    o.batchMaxBets = 10;
    o.window = 1;
    o.reconnectTimeout = std::chrono::milliseconds(400);
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    QSignalSpy retries(&session, &AgencySession::connectRetry);
    QElapsedTimer clock;
    clock.start();
    session.start();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
    QVERIFY(clock.elapsed() >= 250);
    QVERIFY(retries.count() >= 2);
    QCOMPARE(session.failureKind(), Kind::ConnectTimeout);
    QVERIFY2(session.errorString().startsWith(
                 QStringLiteral("gave up reconnecting to 127.0.0.1:%1 after 400 ms").arg(port)),
        qPrintable(session.errorString()));
    QCOMPARE(session.betsAcknowledged(), 10);
}

void TestAgencySession::lostAcknowledgedBetsAreDetected()
{
    // A server that comes back with less than it acknowledged (storage replaced, or a durability
    // bug): the agency must say so instead of silently uploading again.
    FakeServer server;
    QVERIFY(server.listen());
    storeLikeTheServer(server, [&server](const protocol::Batch &batch) {
        if (batch.sequence != 3)
            return false;
        server.welcome = protocol::Welcome {protocol::kProtocolVersion, 1, 10};
        return true;
    });
    auto o = options(server.port(), writeBets(50));
    o.batchMaxBets = 10;
    o.window = 1;
    o.reconnectTimeout = std::chrono::milliseconds(5000);
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::AcknowledgedBetsLost);
    QCOMPARE(session.errorString(),
        QStringLiteral("the server now stores 10 bets of agency 3 but had acknowledged 20: "
                       "acknowledged bets were lost"));
}

void TestAgencySession::failsOverToTheNextServer_data()
{
    QTest::addColumn<QString>("firstServer"); // how the first address of the list fails
    QTest::newRow("nothing-listening") << "down";
    QTest::newRow("error-shutting-down") << "shutting_down";
    QTest::newRow("error-server-busy") << "server_busy";
    QTest::newRow("reject-storage-failure") << "storage_failure";
    QTest::newRow("connection-dropped") << "drop";
}

void TestAgencySession::failsOverToTheNextServer()
{
    QFETCH(QString, firstServer);
    FakeServer first;
    FakeServer second;
    QVERIFY(second.listen());
    quint16 firstPort = 0;
    if (firstServer == "down") {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        firstPort = probe.serverPort();
    } else {
        QVERIFY(first.listen());
        firstPort = first.port();
        first.hook = [&first, firstServer](const protocol::Message &m) {
            if (std::holds_alternative<protocol::Hello>(m) && firstServer != "storage_failure"
                && firstServer != "drop") {
                const auto code = firstServer == "shutting_down" ? protocol::ErrorCode::ShuttingDown
                                                                 : protocol::ErrorCode::ServerBusy;
                first.send(protocol::ErrorMessage {code, "go elsewhere"});
                first.client->disconnectFromHost();
                return true;
            }
            if (const auto *batch = std::get_if<protocol::Batch>(&m)) {
                if (firstServer == "drop") {
                    first.client->abort();
                } else {
                    first.send(protocol::Reject {batch->sequence,
                        protocol::ErrorCode::StorageFailure, protocol::kNoBetIndex, "disk"});
                }
                return true;
            }
            return false;
        };
    }
    auto o = options(second.port(), writeBets(30));
    o.servers = {lottery::agency::ServerAddress {QStringLiteral("127.0.0.1"), firstPort},
        lottery::agency::ServerAddress {QStringLiteral("127.0.0.1"), second.port()}};
    o.reconnectTimeout = std::chrono::milliseconds(5000);
    AgencySession session(o);
    QSignalSpy finished(&session, &AgencySession::finished);
    QSignalSpy failed(&session, &AgencySession::failed);
    QSignalSpy retries(&session, &AgencySession::connectRetry);
    session.start();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(second.connections, 1);
    QCOMPARE(session.currentServer().port, second.port());
    // The next address at once: no backoff before trying the second server of the list.
    QVERIFY(retries.count() >= 1);
    QCOMPARE(retries.at(0).at(2).toInt(), 0);
    QCOMPARE(allBets(second.batches()).size(), std::size_t(30));
    QCOMPARE(session.betsAcknowledged(), 30);
}

void TestAgencySession::alwaysFailingStorageGivesUpWithTheCode()
{
    // The server welcomes every time, then refuses every batch: WELCOME alone does not end the
    // outage (no restarted clock, no endless loop); the failure names storage_failure.
    FakeServer server;
    QVERIFY(server.listen());
    server.hook = [&server](const protocol::Message &m) {
        const auto *batch = std::get_if<protocol::Batch>(&m);
        if (!batch)
            return false;
        server.send(protocol::Reject {
            batch->sequence, protocol::ErrorCode::StorageFailure, protocol::kNoBetIndex, "EIO"});
        return true;
    };
    auto o = options(server.port(), writeBets(5));
    o.reconnectTimeout = std::chrono::milliseconds(400);
    AgencySession session(o);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QCOMPARE(session.reconnections(), 1);
    QVERIFY(server.connections >= 2);
    QCOMPARE(session.failureKind(), Kind::ConnectTimeout);
    QCOMPARE(session.lastErrorCode(), std::optional(protocol::ErrorCode::StorageFailure));
    QVERIFY2(session.errorString().contains("storage_failure"), qPrintable(session.errorString()));
}

void TestAgencySession::sequenceConflictResyncsBounded_data()
{
    QTest::addColumn<int>("conflicts"); // REJECT(sequence_conflict) answers before accepting
    QTest::addColumn<bool>("succeeds");
    QTest::newRow("once") << 1 << true;
    QTest::newRow("at-the-limit") << lottery::agency::kMaxResyncs << true;
    QTest::newRow("beyond-the-limit") << lottery::agency::kMaxResyncs + 1 << false;
}

void TestAgencySession::sequenceConflictResyncsBounded()
{
    QFETCH(int, conflicts);
    QFETCH(bool, succeeds);
    FakeServer server;
    QVERIFY(server.listen());
    int refused = 0;
    int hellos = 0;
    server.hook = [&](const protocol::Message &m) {
        if (std::holds_alternative<protocol::Hello>(m))
            ++hellos;
        const auto *batch = std::get_if<protocol::Batch>(&m);
        if (!batch || refused >= conflicts)
            return false;
        ++refused;
        server.send(protocol::Reject {batch->sequence, protocol::ErrorCode::SequenceConflict,
            protocol::kNoBetIndex, "stored with another CRC"});
        return true;
    };
    auto o = options(server.port(), writeBets(12));
    o.window = 1;
    // reconnectTimeout 0: a resync is not an outage, it happens without failover too.
    AgencySession session(o);
    QSignalSpy finished(&session, &AgencySession::finished);
    QSignalSpy failed(&session, &AgencySession::failed);
    session.start();
    if (succeeds) {
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(hellos, conflicts + 1); // a new HELLO (and WELCOME) after each conflict
        QCOMPARE(session.resyncs(), conflicts);
        QCOMPARE(allBets(server.batches()).size(), std::size_t(12 + 12 * conflicts));
        return;
    }
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(session.failureKind(), Kind::ResyncLimit);
    QCOMPARE(session.lastErrorCode(), std::optional(protocol::ErrorCode::SequenceConflict));
    QCOMPARE(hellos, lottery::agency::kMaxResyncs + 1);
    QVERIFY2(
        session.errorString().startsWith(
            QStringLiteral("gave up after resuming %1 times").arg(lottery::agency::kMaxResyncs)),
        qPrintable(session.errorString()));
}

QTEST_GUILESS_MAIN(TestAgencySession)
#include "tst_agency_session.moc"
