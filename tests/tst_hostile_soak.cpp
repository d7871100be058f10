// Issue 21: every kind of hostile peer at once against one real lottery-server (credentials on,
// operator console on), while honest agency-cli processes upload. Bounded to about a minute.
// Asserted: every honest agency stores its whole file exactly once (rows counted in bets.csv)
// and gets its winners, the server stays under kMaxResidentKib, and /api/status answers
// throughout.
//
// The hostile peers, each from its own loopback address:
//   - a pipeliner (authenticated): HELLO, then 20,000 GET_WINNERS, reads nothing; again;
//   - a REJECT flooder (authenticated): HELLO, then 6 MB of invalid batches, reads nothing;
//   - 40 slot holders (authenticated): a 1.2 MiB burst of batches each, then half park on
//     GET_WINNERS without DONE and half go quiet; they hold their connections to the end;
//   - a HELLO flood: wrong tokens, 100 connections a second that close at once;
//   - a held HELLO flood: 100 connections with wrong tokens that stay open, again and again.
#include "server/credentials.h"
#include "support/program_runner.h"

#include "lottery/protocol/codec.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <QScopeGuard>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace lottery::protocol;
using lottery::testing::AgencyProcess;
using lottery::testing::countStoredRows;
using lottery::testing::countWinnersInFile;
using lottery::testing::ServerProcess;

namespace {

// Honest agencies come in rounds, one every kRoundMs, while the hostile peers go on.
constexpr int kRounds = 4;
constexpr int kPerRound = 4;
constexpr int kRoundMs = 12000;
constexpr int kHonest = kRounds * kPerRound; // agencies 1..16
constexpr int kPipeliner = kHonest + 1;
constexpr int kFlooder = kHonest + 2;
constexpr int kFirstHolder = kHonest + 3;
constexpr int kHolders = 40; // the issue: 37-40 such agencies held the whole 32 MiB budget
constexpr int kAgencies = kFirstHolder + kHolders - 1;
constexpr int kHonestBets = 5000;
// The server's resident memory must stay under this during the whole soak (it starts at ~25 MB,
// the upload budget is 32 MiB; measured peak ~50 MB).
// Under AddressSanitizer freed memory waits in a 256 MiB quarantine per thread cache and every
// byte touched has shadow: measured 1,045 MiB there. The bound is the plain build's (make test);
// the sanitizer builds look for memory errors and keep a bound only against runaway growth.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr qint64 kMaxResidentKib = 12 * 150 * 1024;
#else
constexpr qint64 kMaxResidentKib = 150 * 1024;
#endif
// The stated bound on a round of honest agencies (docs/SECURITY.md; measured ~0.5 s): the slot
// holders give their slots back within a second, the token checks go round-robin by address.
constexpr qint64 kMaxRoundMs = 20000;

[[nodiscard]] bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size() && file.flush();
}

Bet bet(int i, std::uint16_t number)
{
    return Bet {"Ana", "Perez", std::to_string(40000000 + i), "1999-03-17", number};
}

// Valid batches from sequence 1 until `bytes` of frames.
std::string validBurst(std::size_t bytes)
{
    std::string frames;
    for (std::uint64_t sequence = 1; frames.size() < bytes; ++sequence) {
        Batch batch {sequence, {}};
        for (int i = 0; i < 200; ++i)
            batch.bets.push_back(bet(static_cast<int>(sequence) * 1000 + i, 1234));
        frames += encodeFrame(batch);
    }
    return frames;
}

// One hostile connection that reconnects after each close, driven by the event loop.
class HostilePeer : public QObject
{
public:
    enum class Kind { Pipeliner, RejectFlooder, Parker, Quiet, WrongToken, DoneOnly };

    HostilePeer(Kind kind, quint16 port, const QHostAddress &local, quint32 agency,
        QByteArray token, bool reconnect)
        : m_kind(kind), m_port(port), m_local(local), m_agency(agency), m_token(std::move(token)),
          m_reconnect(reconnect)
    {
        connectNow();
    }

    // Stops reconnecting.
    void stop() { m_reconnect = false; }
    // The attack is over: the agency says DONE, on its connection if it is a holder that is
    // still welcomed there, else on a new one.
    void finishUpload()
    {
        const bool holder = m_kind == Kind::Parker || m_kind == Kind::Quiet;
        m_kind = Kind::DoneOnly;
        m_reconnect = true;
        if (holder && m_welcomed && m_socket
            && m_socket->state() == QAbstractSocket::ConnectedState) {
            send(Done {});
            return;
        }
        if (m_socket && !m_closing)
            m_socket->abort(); // onClosed() connects again
        else if (!m_socket)
            connectNow();
    }
    bool welcomed() const { return m_welcomed; }
    bool doneAcked() const { return m_doneAcked; }
    int connections() const { return m_connections; }
    QTcpSocket *socket() const { return m_socket.get(); }
    void send(const Message &message)
    {
        const std::string bytes = encodeFrame(message);
        m_socket->write(bytes.data(), static_cast<qint64>(bytes.size()));
    }

private:
    bool reads() const
    {
        return m_kind == Kind::Parker || m_kind == Kind::Quiet || m_kind == Kind::DoneOnly;
    }

    void connectNow()
    {
        ++m_connections;
        m_welcomed = false;
        m_decoder = StreamDecoder();
        m_socket = std::make_unique<QTcpSocket>();
        m_socket->bind(m_local, 0);
        if (!reads() && m_kind != Kind::WrongToken) {
            // It means not to read: small buffers, so what the server sends piles up there.
            m_socket->setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
            m_socket->setReadBufferSize(4096);
        }
        connect(m_socket.get(), &QTcpSocket::connected, this, [this] {
            send(Hello {kProtocolVersion, m_agency, m_token.toStdString()});
        });
        connect(m_socket.get(), &QTcpSocket::readyRead, this, [this] { onReadyRead(); });
        connect(m_socket.get(), &QTcpSocket::disconnected, this, [this] { onClosed(); });
        connect(m_socket.get(), &QTcpSocket::errorOccurred, this, [this] { onClosed(); });
        m_socket->connectToHost(QHostAddress::LocalHost, m_port);
    }

    void onReadyRead()
    {
        if (m_welcomed && !reads())
            return; // the point: nothing more is read
        const QByteArray bytes = m_socket->read(m_welcomed ? 1 << 20 : 64);
        m_decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
        Message message;
        while (m_decoder.next(message) == DecodeStatus::Ok) {
            if (!m_welcomed && std::holds_alternative<Welcome>(message)) {
                m_welcomed = true;
                attack();
            } else if (std::holds_alternative<DoneAck>(message)) {
                m_doneAcked = true;
            }
        }
    }

    void attack()
    {
        // Made once: the test process shares the machine with the server.
        static const std::string winners = [] {
            std::string frames;
            for (int i = 0; i < 20000; ++i)
                frames += encodeFrame(GetWinners {});
            return frames;
        }();
        static const std::string rejects = [] {
            std::string frames;
            for (std::uint64_t sequence = 1; frames.size() < 6u * 1024 * 1024; ++sequence)
                frames += encodeFrame(Batch {sequence, {bet(1, 10000)}}); // number out of range
            return frames;
        }();
        static const std::string burst = validBurst(1200 * 1024);
        static const std::string parkingBurst = burst + encodeFrame(GetWinners {});
        const std::string *frames = nullptr;
        switch (m_kind) {
        case Kind::Pipeliner: frames = &winners; break;
        case Kind::RejectFlooder: frames = &rejects; break;
        case Kind::Parker: frames = &parkingBurst; break;
        case Kind::Quiet: frames = &burst; break;
        case Kind::WrongToken: return;
        case Kind::DoneOnly: send(Done {}); return;
        }
        m_socket->write(frames->data(), static_cast<qint64>(frames->size()));
    }

    void onClosed()
    {
        if (m_closing)
            return;
        m_closing = true;
        QTimer::singleShot(500, this, [this] {
            m_closing = false;
            m_socket.release()->deleteLater();
            if (m_reconnect && !(m_kind == Kind::DoneOnly && m_doneAcked))
                connectNow();
        });
    }

    Kind m_kind;
    const quint16 m_port;
    const QHostAddress m_local;
    const quint32 m_agency;
    const QByteArray m_token;
    bool m_reconnect;
    std::unique_ptr<QTcpSocket> m_socket;
    StreamDecoder m_decoder;
    bool m_welcomed = false;
    bool m_closing = false;
    bool m_doneAcked = false;
    int m_connections = 0;
};

// Connect from `local`, send `bytes`, close at once.
bool helloAndClose(quint16 port, const char *local, const std::string &bytes)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    // A connect that waits for a full backlog gives up within a second (SO_SNDTIMEO bounds it).
    timeval timeout {1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in from {};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, local, &from.sin_addr);
    sockaddr_in to {};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool sent = ::bind(fd, reinterpret_cast<sockaddr *>(&from), sizeof from) == 0
        && ::connect(fd, reinterpret_cast<sockaddr *>(&to), sizeof to) == 0
        && ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
    ::close(fd);
    return sent;
}

} // namespace

class TestHostileSoak : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void honestAgenciesFinishAmongEveryHostilePeer();

private:
    QString tokenFile(int agency) const
    {
        return m_dir.filePath(QStringLiteral("agency-%1.token").arg(agency));
    }
    QByteArray token(int agency) const
    {
        QFile file(tokenFile(agency));
        return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray();
    }

    QTemporaryDir m_dir;
};

void TestHostileSoak::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QByteArray lines;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        QByteArray secret(24, '\0');
        QRandomGenerator::system()->generate(secret.begin(), secret.end());
        const QByteArray token = secret.toHex();
        QVERIFY(writeFile(tokenFile(agency), token + '\n'));
        // 10,000 iterations, a tenth of the default: 46 agencies' records and their checks in
        // a CI minute on a loaded machine (tst_peer_limits floods at the real cost).
        lines += lottery::server::credentials::formatRecord(
                     lottery::server::credentials::makeRecord(
                         static_cast<quint32>(agency), token, 10000))
                     .toUtf8()
            + '\n';
    }
    QVERIFY(writeFile(m_dir.filePath(QStringLiteral("credentials")), lines));
}

void TestHostileSoak::honestAgenciesFinishAmongEveryHostilePeer()
{
    const QString bets = m_dir.filePath(QStringLiteral("bets.csv"));
    QVERIFY(writeFile(
        m_dir.filePath(QStringLiteral("server.ini")), "[DEFAULT]\nSERVER_LISTEN_BACKLOG = 128\n"));
    ServerProcess server;
    QVERIFY(server.start(kAgencies, bets,
        {QStringLiteral("--config"), m_dir.filePath(QStringLiteral("server.ini")),
            QStringLiteral("--credentials"), m_dir.filePath(QStringLiteral("credentials")),
            QStringLiteral("--admin-port"), QStringLiteral("0")}));
    QTRY_VERIFY(server.adminPort() != 0);
    const quint16 port = server.port();
    const QUrl statusUrl(QStringLiteral("http://127.0.0.1:%1/api/status").arg(server.adminPort()));

    // The server's memory, sampled all along.
    qint64 peakKib = 0;
    QTimer sampler;
    QObject::connect(&sampler, &QTimer::timeout, &sampler,
        [&] { peakKib = qMax(peakKib, server.residentKib()); });
    sampler.start(100);

    // The operator console, asked every second: every answer must come, and be 200.
    QNetworkAccessManager http;
    int statusAsked = 0;
    int statusAnswered = 0;
    qint64 slowestStatusMs = 0;
    QTimer console;
    QObject::connect(&console, &QTimer::timeout, &console, [&] {
        ++statusAsked;
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        QNetworkReply *reply = http.get(QNetworkRequest(statusUrl));
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply, clock] {
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200)
                ++statusAnswered;
            slowestStatusMs = qMax(slowestStatusMs, clock->elapsed());
            reply->deleteLater();
        });
    });
    console.start(1000);

    // Every hostile peer at once.
    using Kind = HostilePeer::Kind;
    std::vector<std::unique_ptr<HostilePeer>> hostile;
    hostile.push_back(std::make_unique<HostilePeer>(
        Kind::Pipeliner, port, QHostAddress("127.0.0.2"), kPipeliner, token(kPipeliner), true));
    hostile.push_back(std::make_unique<HostilePeer>(
        Kind::RejectFlooder, port, QHostAddress("127.0.0.3"), kFlooder, token(kFlooder), true));
    std::vector<HostilePeer *> holders;
    for (int i = 0; i < kHolders; ++i) {
        const int agency = kFirstHolder + i;
        hostile.push_back(std::make_unique<HostilePeer>(i % 2 == 0 ? Kind::Parker : Kind::Quiet,
            port, QHostAddress(QStringLiteral("127.0.1.%1").arg(1 + i)), agency, token(agency),
            true));
        holders.push_back(hostile.back().get());
    }
    for (int i = 0; i < 100; ++i) {
        hostile.push_back(std::make_unique<HostilePeer>(Kind::WrongToken, port,
            QHostAddress("127.0.0.5"), 1 + i % kHonest, QByteArray("not-the-token"), true));
    }
    // Its own thread: a blocking connect must not stall the test's event loop.
    std::atomic<bool> flooding {true};
    std::atomic<int> flooded {0};
    std::thread flood([&, port] {
        const std::string wrongHello = encodeFrame(Hello {kProtocolVersion, 1, "not-the-token"});
        while (flooding) {
            for (int i = 0; i < 10 && flooding; ++i)
                flooded += helloAndClose(port, "127.0.0.6", wrongHello) ? 1 : 0;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    auto stopFlood = qScopeGuard([&] {
        flooding = false;
        flood.join();
    });

    // The holders are in, with their bursts, before the honest agencies start.
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(holders.cbegin(), holders.cend(),
                                 [](const HostilePeer *peer) { return peer->welcomed(); }),
        60000);
    qInfo("the %d slot holders are in", kHolders);

    QElapsedTimer clock;
    clock.start();
    std::vector<std::unique_ptr<AgencyProcess>> honest;
    qint64 slowestRoundMs = 0;
    for (int round = 0; round < kRounds; ++round) {
        // Pacing the rounds over the soak, not a wait for an outcome.
        if (clock.elapsed() < round * kRoundMs)
            QTest::qWait(static_cast<int>(round * kRoundMs - clock.elapsed()));
        QElapsedTimer roundClock;
        roundClock.start();
        const int first = round * kPerRound + 1;
        for (int agency = first; agency < first + kPerRound; ++agency) {
            const QString file = m_dir.filePath(QStringLiteral("agency-%1.csv").arg(agency));
            QVERIFY(lottery::testing::writeAgencyFile(file, agency, kHonestBets, 101));
            honest.push_back(std::make_unique<AgencyProcess>());
            honest.back()->start(agency, server.address(), file,
                {QStringLiteral("--no-progress"), QStringLiteral("--token-file"),
                    tokenFile(agency)});
        }
        // Every honest agency's file stored and its DONE recorded, among the hostile peers,
        // within the stated bound (and a margin for a loaded machine).
        const QDeadlineTimer roundDeadline(2 * kMaxRoundMs);
        for (int agency = first; agency < first + kPerRound; ++agency) {
            const int remainingMs
                = static_cast<int>(qMax<qint64>(1000, roundDeadline.remainingTime()));
            const QByteArray done
                = QByteArrayLiteral("action: agencia_finalizada | result: success | agency: ")
                + QByteArray::number(agency) + " |";
            QTRY_VERIFY2_WITH_TIMEOUT(server.countLines(done) == 1,
                honest.at(static_cast<std::size_t>(agency - 1))->output().right(2000).constData(),
                remainingMs);
        }
        slowestRoundMs = qMax(slowestRoundMs, roundClock.elapsed());
        qInfo("round %d: %d honest agencies stored everything in %lld ms", round + 1, kPerRound,
            static_cast<long long>(roundClock.elapsed()));
    }
    const qint64 honestMs = slowestRoundMs;
    QVERIFY(server.isRunning());

    // The attack ends; the hostile agencies say DONE so that the draw runs.
    stopFlood.dismiss();
    flooding = false;
    flood.join();
    std::vector<HostilePeer *> agencies;
    for (auto &peer : hostile) {
        peer->stop();
        if (peer.get() == hostile.at(0).get() || peer.get() == hostile.at(1).get()
            || std::find(holders.cbegin(), holders.cend(), peer.get()) != holders.cend())
            agencies.push_back(peer.get());
    }
    for (HostilePeer *peer : agencies)
        peer->finishUpload();
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(agencies.cbegin(), agencies.cend(),
                                 [](const HostilePeer *peer) { return peer->doneAcked(); }),
        60000);
    qInfo("every hostile agency said DONE");
    QTRY_VERIFY_WITH_TIMEOUT(server.countLines("action: sorteo | result: success") == 1, 60000);

    for (int agency = 1; agency <= kHonest; ++agency) {
        AgencyProcess &process = *honest.at(static_cast<std::size_t>(agency - 1));
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, process.output().right(2000).constData());
        const QString file = m_dir.filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QCOMPARE(process.reportedWinners(), countWinnersInFile(file));
        // Exactly once: every row, none twice.
        QCOMPARE(countStoredRows(bets, agency), kHonestBets);
    }
    sampler.stop();
    console.stop();
    qInfo("slowest round of honest agencies %lld ms; server peak RSS %lld KiB; /api/status "
          "%d of %d answered, slowest %lld ms; %d wrong-token HELLOs closed at once",
        static_cast<long long>(honestMs), static_cast<long long>(peakKib), statusAnswered,
        statusAsked, static_cast<long long>(slowestStatusMs), flooded.load());
    QVERIFY2(peakKib > 0 && peakKib < kMaxResidentKib, qPrintable(QString::number(peakKib)));
    QVERIFY2(slowestRoundMs < kMaxRoundMs, qPrintable(QString::number(slowestRoundMs)));
    QVERIFY(statusAsked > 0);
    // Every request asked before the last second was answered.
    QTRY_VERIFY(statusAnswered >= statusAsked - 1);
    // The attacks met their limits (the server says so in its log).
    QVERIFY(server.countLines("GET_WINNERS sent twice on one connection") > 0
        || server.countLines("action: log_rate_limited | result: success | for: sesion") > 0);
    QVERIFY(server.countLines("the peer does not read its answers") > 0);
    QVERIFY(
        server.countLines("action: log_rate_limited | result: success | for: autenticacion") > 0);
    QVERIFY(server.terminate());
    QCOMPARE(server.exitCode(), 0);
}

QTEST_MAIN(TestHostileSoak)
#include "tst_hostile_soak.moc"
