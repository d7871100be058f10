// lottery-server as systemd's Type=notify service sees it: the real program, started with
// NOTIFY_SOCKET naming a datagram socket this test owns (what systemd does), and WATCHDOG_USEC.
// READY=1 must come only once the port accepts connections, WATCHDOG=1 keep coming, and
// STOPPING=1 follow SIGTERM. Skipped when the server was built without libsystemd.
#include "support/program_runner.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace lottery::testing;

class TestServerSystemd : public QObject
{
    Q_OBJECT

private slots:
    void readyWatchdogStopping_data();
    void readyWatchdogStopping();
};

void TestServerSystemd::readyWatchdogStopping_data()
{
    QTest::addColumn<bool>("watchdog");
    QTest::newRow("with WatchdogSec (WATCHDOG_USEC=400000)") << true;
    QTest::newRow("without a watchdog") << false;
}

void TestServerSystemd::readyWatchdogStopping()
{
#if !defined(LOTTERY_HAVE_SYSTEMD) && defined(LOTTERY_SYSTEMD_WANTED)
    QFAIL("lottery-server built without libsystemd: libsystemd-dev is missing (make test "
          "installs it: scripts/install-deps.sh)");
#elif !defined(LOTTERY_HAVE_SYSTEMD)
    QSKIP("lottery-server built with -DLOTTERY_SYSTEMD=OFF");
#endif
    QFETCH(bool, watchdog);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray socketPath = QFile::encodeName(dir.filePath(QStringLiteral("notify")));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    QVERIFY(fd >= 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    QVERIFY(static_cast<std::size_t>(socketPath.size()) < sizeof address.sun_path);
    std::memcpy(address.sun_path, socketPath.constData(), socketPath.size());
    QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);

    QStringList messages;
    QSocketNotifier notifier(fd, QSocketNotifier::Read);
    connect(&notifier, &QSocketNotifier::activated, this, [fd, &messages] {
        char buffer[4096];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
            messages << QString::fromUtf8(buffer, n);
    });

    QProcess server;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("NOTIFY_SOCKET"), QString::fromUtf8(socketPath));
    if (watchdog)
        environment.insert(QStringLiteral("WATCHDOG_USEC"), QStringLiteral("400000"));
    server.setProcessEnvironment(environment);
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(binaryPath(QStringLiteral("lottery-server")),
        {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--agencies"),
            QStringLiteral("1"), QStringLiteral("--storage"),
            dir.filePath(QStringLiteral("bets.csv"))});
    QVERIFY(server.waitForStarted());

    QTRY_VERIFY_WITH_TIMEOUT(!messages.filter(QStringLiteral("READY=1")).isEmpty(), 20000);
    // READY carries the port, and the port accepts a connection at that moment.
    const QString ready = messages.filter(QStringLiteral("READY=1")).constFirst();
    const QRegularExpressionMatch port
        = QRegularExpression(QStringLiteral("STATUS=listening on port (\\d+)")).match(ready);
    QVERIFY2(port.hasMatch(), qPrintable(ready));
    QTcpSocket probe;
    probe.connectToHost(
        QStringLiteral("127.0.0.1"), static_cast<quint16>(port.captured(1).toUInt()));
    QVERIFY(probe.waitForConnected(5000));
    probe.abort();

    if (watchdog) // half of 400 ms: a few pings within two seconds
        QTRY_VERIFY_WITH_TIMEOUT(messages.filter(QStringLiteral("WATCHDOG=1")).size() >= 3, 5000);
    else
        QVERIFY(messages.filter(QStringLiteral("WATCHDOG=1")).isEmpty());

    server.terminate(); // SIGTERM
    QTRY_VERIFY_WITH_TIMEOUT(!messages.filter(QStringLiteral("STOPPING=1")).isEmpty(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(server.state(), QProcess::NotRunning, 15000);
    QCOMPARE(server.exitCode(), 0);
    // STOPPING after READY, never a READY again.
    QCOMPARE(messages.filter(QStringLiteral("READY=1")).size(), 1);
    ::close(fd);
}

QTEST_GUILESS_MAIN(TestServerSystemd)
#include "tst_server_systemd.moc"
