// The lottery-server executable: it starts on port 0 and says which port it got, serves an
// agency, exits 2 on a bad setting, and stops cleanly on SIGTERM even with an agency parked.
#include "tst_server_client.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace lottery::protocol;

class TestServerProcess : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void servesAnAgencyAndStopsOnSigterm();
    void sigtermWhileAgencyWaitsForDraw();
    void badSettingExitsWithTwo_data();
    void badSettingExitsWithTwo();
    void listensOnTheAddressOfAHostName();
    void unresolvableHostExitsWithTwo();

private:
    // Starts the server and returns the port from its `action: listen` line (0 on failure).
    quint16 startServer(const QStringList &extraArguments)
    {
        m_process.setWorkingDirectory(m_dir->path());
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-server"),
            QStringList {"--port", "0", "--storage", m_dir->filePath("bets.csv")} + extraArguments);
        if (!m_process.waitForStarted())
            return 0;
        static const QRegularExpression listen(
            QStringLiteral("action: listen \\| result: success \\|.* port: (\\d+)"));
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired()) {
            while (m_process.canReadLine()) {
                const QString line = QString::fromUtf8(m_process.readLine());
                m_output += line;
                const auto match = listen.match(line);
                if (match.hasMatch())
                    return static_cast<quint16>(match.captured(1).toUInt());
            }
            if (m_process.state() != QProcess::Running)
                return 0;
            m_process.waitForReadyRead(100);
        }
        return 0;
    }
    // Reads the server's output until it holds `needle` (true) or the time runs out.
    bool waitForOutput(const QString &needle, int timeoutMs = 10000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (true) {
            m_output += QString::fromUtf8(m_process.readAll());
            if (m_output.contains(needle))
                return true;
            if (deadline.hasExpired() || m_process.state() != QProcess::Running)
                return false;
            m_process.waitForReadyRead(100);
        }
    }
    QString finish()
    {
        m_process.waitForFinished(10000);
        m_output += QString::fromUtf8(m_process.readAll());
        return m_output;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QProcess m_process;
    QString m_output;
};

void TestServerProcess::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_output.clear();
}

void TestServerProcess::cleanup()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished();
    }
}

void TestServerProcess::servesAnAgencyAndStopsOnSigterm()
{
    const quint16 port = startServer({"--agencies", "1", "--workers", "2"});
    QVERIFY2(port != 0, qPrintable(m_output));
    QVERIFY(m_output.contains(QStringLiteral("action: config | result: success")));

    TestClient client;
    QVERIFY(client.connectTo(port));
    client.send(Hello {kProtocolVersion, 1, {}});
    QVERIFY(client.receiveAs<Welcome>());
    client.send(Batch {1, {makeBet("Ana", "Gomez", "42", kWinningNumber)}});
    QCOMPARE(client.receiveAs<Ack>(), std::optional<Ack>(Ack {1, 1, false}));
    client.send(Done {});
    QVERIFY(client.receiveAs<DoneAck>());
    client.send(GetWinners {});
    QCOMPARE(client.receiveAs<Winners>(), std::optional<Winners>(Winners {true, {"42"}}));

    ::kill(static_cast<pid_t>(m_process.processId()), SIGTERM);
    const QString output = finish();
    QCOMPARE(m_process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_process.exitCode(), 0);
    QVERIFY2(
        output.contains(QStringLiteral("action: sorteo | result: success")), qPrintable(output));
    QVERIFY(
        output.contains(QStringLiteral("action: consulta_ganadores | result: success | agency: 1 "
                                       "| cant_ganadores: 1")));
    QVERIFY(output.contains(QStringLiteral("step: stop_listening")));
    QVERIFY(output.contains(QStringLiteral("step: files_closed")));
    QVERIFY(output.contains(QStringLiteral("action: shutdown | result: success")));
}

void TestServerProcess::sigtermWhileAgencyWaitsForDraw()
{
    const quint16 port = startServer({"--agencies", "3"});
    QVERIFY2(port != 0, qPrintable(m_output));
    TestClient client;
    QVERIFY(client.connectTo(port));
    client.send(Hello {kProtocolVersion, 2, {}});
    QVERIFY(client.receiveAs<Welcome>());
    client.send(Done {});
    QVERIFY(client.receiveAs<DoneAck>());
    client.send(GetWinners {});
    // The server says it holds the request: the SIGTERM below meets a parked GET_WINNERS.
    QVERIFY2(waitForOutput(QStringLiteral("action: consulta_ganadores | result: in_progress | "
                                          "agency: 2 | ip: 127.0.0.1 | waiting_for: sorteo")),
        qPrintable(m_output));

    ::kill(static_cast<pid_t>(m_process.processId()), SIGTERM);
    const auto error = client.receiveAs<ErrorMessage>();
    QVERIFY(error);
    QVERIFY(error->code == ErrorCode::ShuttingDown);
    const QString output = finish();
    QCOMPARE(m_process.state(), QProcess::NotRunning);
    QCOMPARE(m_process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_process.exitCode(), 0);
    // The parked agency held up none of the shutdown's deadlines, in the server's own words:
    // its socket closed on the ERROR (none aborted at the close deadline), nothing was still in
    // flight at the drain deadline, and the workers stopped in time.
    QVERIFY2(
        output.contains(QStringLiteral("step: close_sockets | sessions: 1")), qPrintable(output));
    QVERIFY2(
        output.contains(QStringLiteral("step: sockets_closed | aborted: 0")), qPrintable(output));
    QVERIFY2(!output.contains(QStringLiteral("drain_timeout")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("step: workers_stopped")), qPrintable(output));
    QVERIFY2(!output.contains(QStringLiteral("workers still busy")), qPrintable(output));
    QVERIFY2(!output.contains(QStringLiteral("action: sorteo")), qPrintable(output));
    QVERIFY2(
        output.contains(QStringLiteral("action: shutdown | result: success")), qPrintable(output));
}

void TestServerProcess::badSettingExitsWithTwo_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");
    QTest::newRow("workers 11") << QStringList {"--workers", "11"} << "--workers";
    QTest::newRow("port 70000") << QStringList {"--port", "70000"} << "--port";
    QTest::newRow("missing config") << QStringList {"--config", "absent.ini"} << "absent.ini";
}

void TestServerProcess::badSettingExitsWithTwo()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setWorkingDirectory(m_dir->path());
    process.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-server"), arguments);
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitCode(), 2);
    const QString output = QString::fromUtf8(process.readAll());
    QVERIFY2(output.contains(QStringLiteral("action: config | result: fail")), qPrintable(output));
    QVERIFY2(output.contains(expected), qPrintable(output));
}

// SERVER_IP = a host name (the course's compose file says `server`): resolved at start, and the
// listen line names both the address and the name.
void TestServerProcess::listensOnTheAddressOfAHostName()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("SERVER_IP"), QStringLiteral("localhost"));
    m_process.setProcessEnvironment(environment);
    const quint16 port = startServer({"--agencies", "1"});
    QVERIFY2(port != 0, qPrintable(m_output));
    QVERIFY2(m_output.contains(QStringLiteral("action: listen | result: success | ip: 127.0.0.1 | "
                                              "host: localhost | port: ")),
        qPrintable(m_output));
    QVERIFY2(m_output.contains(QStringLiteral("host: localhost | host_addresses: ")),
        qPrintable(m_output));
    TestClient client;
    QVERIFY(client.connectTo(port));
    client.send(Hello {kProtocolVersion, 1, {}});
    QVERIFY(client.receiveAs<Welcome>());
}

void TestServerProcess::unresolvableHostExitsWithTwo()
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setWorkingDirectory(m_dir->path());
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    // .invalid never resolves (RFC 6761).
    environment.insert(QStringLiteral("SERVER_IP"), QStringLiteral("no-such-host.invalid"));
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-server"), {"--port", "0"});
    QVERIFY(process.waitForFinished(30000));
    QCOMPARE(process.exitCode(), 2);
    const QString output = QString::fromUtf8(process.readAll());
    QVERIFY2(output.contains(QStringLiteral("action: config | result: fail | error: environment "
                                            "variable SERVER_IP: cannot resolve the host name "
                                            "'no-such-host.invalid'")),
        qPrintable(output));
    QVERIFY2(!output.contains(QStringLiteral("action: listen")), qPrintable(output));
}

QTEST_GUILESS_MAIN(TestServerProcess)
#include "tst_server_process.moc"
