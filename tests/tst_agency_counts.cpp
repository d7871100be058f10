// "Counts are the server's": what an agency reports as stored after a reconnection equals what
// the server holds. A real LotteryServer on loopback, an AgencySession (what agency-cli and
// agency-gui run) reaching it through a proxy that cuts the first connection after the WELCOME
// and two ACKs; the session reconnects and resumes. At every WELCOME and at the end, the stored
// count the programs show (AgencySession::betsStoredOnServer(), and serverStoredBets() +
// betsAcknowledged(), agency-cli's summary) equals the server's: the WELCOME's storedBets, then
// the rows of bets.csv. Before the fix, the second WELCOME's storedBets was added to the bets
// this session had already counted: agency-cli said "40 stored (20 in this run)" with 20 held.
// The same through the real agency-cli and lottery-server: the summary agency-cli prints on a
// terminal after a cut connection says what bets.csv holds.
#include "server/lottery_server.h"
#include "support/program_runner.h"

#include "lottery/agency/agency_session.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <pty.h>
#include <unistd.h>

using lottery::agency::AgencySession;
using lottery::agency::AgencySessionOptions;
using lottery::agency::ServerAddress;
using lottery::server::LotteryServer;
using lottery::server::ServerConfig;

namespace {

constexpr int kBets = 3000;
constexpr int kLongWaitMs = 60000;

// Forwards connections to the server; the first one is cut (both sides aborted) right after the
// server's `dropAfterFrames`-th frame reached the agency.
class DroppingProxy : public QObject
{
public:
    DroppingProxy(quint16 target, int dropAfterFrames)
        : m_target(target), m_dropAfterFrames(dropAfterFrames)
    {
        connect(&m_listener, &QTcpServer::newConnection, this, &DroppingProxy::accept);
    }
    bool listen() { return m_listener.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_listener.serverPort(); }
    bool dropped() const { return m_dropped; }
    int connections() const { return m_connections; }

private:
    void accept()
    {
        while (QTcpSocket *client = m_listener.nextPendingConnection()) {
            auto *server = new QTcpSocket(client);
            const bool cut = ++m_connections == 1;
            auto pending = std::make_shared<QByteArray>(); // server bytes not yet forwarded
            auto frames = std::make_shared<int>(0);
            // Writes before the connection is up are buffered by the socket.
            server->connectToHost(QHostAddress::LocalHost, m_target);
            connect(client, &QTcpSocket::readyRead, server,
                [client, server] { server->write(client->readAll()); });
            connect(server, &QTcpSocket::readyRead, client,
                [this, client, server, cut, pending, frames] {
                    if (!cut) {
                        client->write(server->readAll());
                        return;
                    }
                    pending->append(server->readAll());
                    while (pending->size() >= 4) {
                        const auto *b = reinterpret_cast<const uchar *>(pending->constData());
                        const qsizetype size
                            = 4 + ((qsizetype(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3]);
                        if (pending->size() < size)
                            return;
                        client->write(pending->left(size));
                        pending->remove(0, size);
                        if (++*frames == m_dropAfterFrames) {
                            client->flush();
                            m_dropped = true;
                            server->abort();
                            client->abort();
                            client->deleteLater();
                            return;
                        }
                    }
                });
            connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
            connect(server, &QTcpSocket::disconnected, client, [client] { client->close(); });
        }
    }

    QTcpServer m_listener;
    quint16 m_target;
    int m_dropAfterFrames;
    int m_connections = 0;
    bool m_dropped = false;
};

int storedRows(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return static_cast<int>(file.readAll().count('\n'));
}

} // namespace

class TestAgencyCounts : public QObject
{
    Q_OBJECT

private slots:
    void storedCountAfterReconnectIsTheServers_data();
    void storedCountAfterReconnectIsTheServers();
    void cliSummaryAfterReconnectIsTheServers();
};

void TestAgencyCounts::storedCountAfterReconnectIsTheServers_data()
{
    QTest::addColumn<bool>("earlierRun"); // a cancelled run stored some bets first (a retry)
    QTest::newRow("first run") << false;
    QTest::newRow("retry after a cancelled run") << true;
}

void TestAgencyCounts::storedCountAfterReconnectIsTheServers()
{
    QFETCH(bool, earlierRun);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(lottery::testing::writeAgencyFile(file, 1, kBets, 250));
    ServerConfig config;
    config.ip = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.agencies = 1;
    config.storagePath = dir.filePath(QStringLiteral("bets.csv"));
    config.workers = 2;
    LotteryServer server(config);
    QVERIFY2(server.start(), qPrintable(server.errorString()));

    AgencySessionOptions options;
    options.agency = 1;
    options.dataFile = file;
    options.batchMaxBets = 50;
    options.window = 4; // a few batches in flight: the cut leaves most of the file to send
    options.connectTimeout = std::chrono::seconds(10);
    options.reconnectTimeout = std::chrono::seconds(20);

    qint64 storedBefore = 0;
    if (earlierRun) {
        options.servers = {ServerAddress {QStringLiteral("127.0.0.1"), server.serverPort()}};
        AgencySession cancelled(options);
        connect(&cancelled, &AgencySession::batchAcknowledged, &cancelled,
            [&cancelled](quint64, int, qint64 total, bool) {
                if (total >= 500)
                    cancelled.cancel();
            });
        cancelled.start();
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.phase(), AgencySession::Phase::Cancelled, kLongWaitMs);
        storedBefore = cancelled.betsStoredOnServer();
        QVERIFY(storedBefore >= 500);
    }

    DroppingProxy proxy(server.serverPort(), 3); // WELCOME and two ACKs
    QVERIFY(proxy.listen());
    options.servers = {ServerAddress {QStringLiteral("127.0.0.1"), proxy.port()}};
    AgencySession session(options);
    // At each WELCOME, what the session reports is what the WELCOME says the server holds.
    QStringList mismatches;
    connect(&session, &AgencySession::welcomed, &session,
        [&session, &mismatches](quint64, quint64 storedBets) {
            const qint64 reported = session.betsStoredOnServer();
            const qint64 summary
                = static_cast<qint64>(session.serverStoredBets()) + session.betsAcknowledged();
            if (reported != qint64(storedBets) || summary != qint64(storedBets))
                mismatches << QStringLiteral("WELCOME storedBets %1, betsStoredOnServer %2, "
                                             "serverStoredBets + betsAcknowledged %3")
                                  .arg(storedBets)
                                  .arg(reported)
                                  .arg(summary);
        });
    QSignalSpy welcomes(&session, &AgencySession::welcomed);
    session.start();
    QTRY_VERIFY_WITH_TIMEOUT(!session.isRunning(), kLongWaitMs);
    QVERIFY2(session.phase() == AgencySession::Phase::Done, qPrintable(session.errorString()));
    QVERIFY(proxy.dropped());
    QCOMPARE(session.reconnections(), 1);
    QCOMPARE(welcomes.size(), 2);
    QVERIFY2(welcomes.at(1).at(1).toULongLong() > quint64(storedBefore),
        "the cut came before any ACK: nothing to count twice");
    QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join(QLatin1Char('\n'))));

    const int held = storedRows(config.storagePath);
    QCOMPARE(held, kBets);
    QCOMPARE(session.betsStoredOnServer(), qint64(held));
    // The cancelled run's batches still in flight may have been stored after its last ACK: what
    // the server held when this run began is what its first WELCOME said.
    const auto firstWelcome = static_cast<qint64>(welcomes.at(0).at(1).toULongLong());
    QVERIFY(firstWelcome >= storedBefore);
    QCOMPARE(static_cast<qint64>(session.serverStoredBets()), firstWelcome);
    // agency-cli's summary: "<stored> bets stored on the server (<this run> in this run)".
    QCOMPARE(
        static_cast<qint64>(session.serverStoredBets()) + session.betsAcknowledged(), qint64(held));
    QCOMPARE(session.betsAcknowledged(), qint64(held) - firstWelcome);
}

// agency-cli with stderr on a pseudo-terminal (so that it prints its summary), through the proxy
// to a lottery-server process: the summary's stored count is bets.csv's.
void TestAgencyCounts::cliSummaryAfterReconnectIsTheServers()
{
    constexpr int kCliBets = 900;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(lottery::testing::writeAgencyFile(file, 1, kCliBets, 250));
    const QString storage = dir.filePath(QStringLiteral("bets.csv"));
    lottery::testing::ServerProcess server;
    QVERIFY(server.start(1, storage));
    DroppingProxy proxy(server.port(), 3); // WELCOME and two ACKs
    QVERIFY(proxy.listen());

    int master = -1;
    int slave = -1;
    winsize size {};
    size.ws_col = 200;
    size.ws_row = 24;
    QVERIFY(::openpty(&master, &slave, nullptr, nullptr, &size) == 0);
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    QByteArray terminal;
    const auto drain = [master, &terminal] {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(master, buffer, sizeof buffer);
            if (n > 0)
                terminal.append(buffer, n);
            else if (!(n < 0 && errno == EINTR))
                return; // EAGAIN: nothing now; EIO: the child side is closed
        }
    };
    QProcess cli;
    cli.setProgram(lottery::testing::binaryPath(QStringLiteral("agency-cli")));
    cli.setArguments({QStringLiteral("--agency"), QStringLiteral("1"), QStringLiteral("--server"),
        QStringLiteral("127.0.0.1:%1").arg(proxy.port()), QStringLiteral("--file"), file,
        QStringLiteral("--batch-max"), QStringLiteral("50"), QStringLiteral("--window"),
        QStringLiteral("4"), QStringLiteral("--lang"), QStringLiteral("en")});
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LC_NUMERIC"})
        environment.remove(QString::fromLatin1(name));
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    cli.setProcessEnvironment(environment);
    cli.setChildProcessModifier([slave] { ::dup2(slave, STDERR_FILENO); });
    cli.start();
    const bool started = cli.waitForStarted(kLongWaitMs);
    ::close(slave);
    QVERIFY(started);
    QDeadlineTimer deadline(kLongWaitMs);
    while (cli.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        QTest::qWait(20); // the proxy forwards meanwhile
        drain();
    }
    drain();
    ::close(master);
    const QString shown = QString::fromUtf8(terminal);
    QCOMPARE(cli.state(), QProcess::NotRunning);
    QVERIFY2(cli.exitCode() == 0, qPrintable(shown + QString::fromUtf8(cli.readAll())));
    QVERIFY(proxy.dropped());
    QVERIFY2(shown.contains(QStringLiteral("Upload interrupted")), qPrintable(shown));
    QVERIFY(server.terminate());
    QCOMPARE(storedRows(storage), kCliBets);
    const QString summary
        = QStringLiteral("Agency 1: %1 bets stored on the server (%1 in this run").arg(kCliBets);
    QVERIFY2(shown.contains(summary), qPrintable(shown));
}

QTEST_GUILESS_MAIN(TestAgencyCounts)
#include "tst_agency_counts.moc"
