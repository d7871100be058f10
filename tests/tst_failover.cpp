// Failover along a list of servers, with the real lottery-server and agency-cli processes over
// loopback. There is no shared store yet (the PostgreSQL store comes later): a "second server"
// here is either a server that alone holds everything, or a new process on the first one's
// storage, so that exactly once can be checked in the one bets.csv.
#include "support/free_port.h"
#include "support/program_runner.h"

#include <QFile>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using lottery::testing::AgencyProcess;
using lottery::testing::countWinnersInFile;
using lottery::testing::ServerProcess;
using lottery::testing::winnerDocumentsInFile;
using lottery::testing::writeAgencyFile;

class TestFailover : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void firstServerDownBeforeTheUpload();
    void shuttingDownServerFailsOverToTheNext();
    void killedMidUploadResumesExactlyOnceOnTheNext();

private:
    QString storagePath() const { return m_dir->filePath(QStringLiteral("bets.csv")); }
    static quint16 unusedPort();
    int storedRows() const;
    void expectWinners(AgencyProcess &agency, const QString &file);
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestFailover::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

quint16 TestFailover::unusedPort()
{
    // The server listens on 0.0.0.0; see free_port.h for why not an ephemeral port.
    return testsupport::portOutsideEphemeralRange();
}

int TestFailover::storedRows() const
{
    QFile stored(storagePath());
    if (!stored.open(QIODevice::ReadOnly))
        return -1;
    int rows = 0;
    while (!stored.atEnd()) {
        stored.readLine();
        ++rows;
    }
    return rows;
}

void TestFailover::expectWinners(AgencyProcess &agency, const QString &file)
{
    QCOMPARE(agency.exitStatus(), QProcess::NormalExit);
    QVERIFY2(agency.exitCode() == 0, agency.output().right(3000).constData());
    QCOMPARE(agency.reportedWinners(), countWinnersInFile(file));
    for (const QString &document : winnerDocumentsInFile(file))
        QVERIFY2(agency.output().contains(document.toUtf8()), qPrintable(document));
}

void TestFailover::firstServerDownBeforeTheUpload()
{
    const QString file = m_dir->filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(writeAgencyFile(file, 1, 300, 30));
    const quint16 dead = unusedPort();
    QVERIFY(dead != 0);
    ServerProcess server;
    QVERIFY2(server.start(1, storagePath()), server.output().right(700).constData());
    AgencyProcess agency;
    agency.start(1, QStringLiteral("127.0.0.1:%1,%2").arg(dead).arg(server.address()), file,
        {QStringLiteral("--batch-max"), QStringLiteral("40"), QStringLiteral("--log-level"),
            QStringLiteral("DEBUG")});
    QVERIFY2(agency.waitForFinished(60000), agency.output().right(3000).constData());
    expectWinners(agency, file);
    const QByteArray log = agency.output();
    // Refused by the first, connected to the second at once (no backoff within a round).
    QVERIFY2(log.contains("action: conexion | result: in_progress | intento: 1"), log.constData());
    QVERIFY2(
        log.contains("action: conexion | result: success | server: " + server.address().toUtf8()),
        log.constData());
    QCOMPARE(storedRows(), 300);
    QVERIFY(server.terminate());
}

void TestFailover::shuttingDownServerFailsOverToTheNext()
{
    // Agency 1 uploads everything to A and waits for the draw; A is stopped (ERROR shutting_down
    // to the held GET_WINNERS); B comes up on A's storage at another address. Agency 1 fails over
    // to B, resumes from its WELCOME (nothing left to send: DONE again), and agency 2 completes
    // the draw on B.
    QStringList files;
    for (int agency = 1; agency <= 2; ++agency) {
        files << m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(files.back(), agency, 400, 25));
    }
    const quint16 portB = unusedPort();
    QVERIFY(portB != 0);
    auto a = std::make_unique<ServerProcess>();
    QVERIFY2(a->start(2, storagePath()), a->output().right(700).constData());
    const QString list = QStringLiteral("%1,127.0.0.1:%2").arg(a->address()).arg(portB);
    AgencyProcess first;
    first.start(1, list, files[0],
        {QStringLiteral("--reconnect-timeout"), QStringLiteral("60"), QStringLiteral("--log-level"),
            QStringLiteral("DEBUG")});
    QTRY_COMPARE_WITH_TIMEOUT(
        a->countLines("action: agencia_finalizada | result: success"), 1, 60000);
    QVERIFY2(a->terminate(10000), a->output().right(700).constData());
    QTRY_VERIFY_WITH_TIMEOUT(first.output().contains("codigo: shutting_down")
            || first.output().contains("action: reconexion | result: in_progress"),
        20000);
    QVERIFY(first.isRunning());

    ServerProcess b;
    QVERIFY2(b.start(2, storagePath(), {QStringLiteral("--port"), QString::number(portB)}),
        b.output().right(700).constData()); // QTest cuts long messages: the end says why
    QCOMPARE(b.port(), portB);
    AgencyProcess second;
    second.start(
        2, b.address(), files[1], {QStringLiteral("--log-level"), QStringLiteral("DEBUG")});
    QVERIFY2(first.waitForFinished(60000), first.output().right(3000).constData());
    QVERIFY2(second.waitForFinished(60000), second.output().right(3000).constData());
    expectWinners(first, files[0]);
    expectWinners(second, files[1]);
    const QByteArray log = first.output();
    QVERIFY2(log.contains("action: reconexion | result: in_progress"), log.constData());
    QVERIFY2(log.contains("server: " + b.address().toUtf8() + " | intentos"), log.constData());
    QVERIFY2(log.contains("ultima_secuencia: 4 | apuestas_guardadas: 400"), log.constData());
    QCOMPARE(storedRows(), 800);
    QVERIFY(b.terminate());
}

void TestFailover::killedMidUploadResumesExactlyOnceOnTheNext()
{
    // A is killed (-9) while the upload is under way; B starts on the same storage at the next
    // address of the list. The agency resumes from B's WELCOME with another batch size than the
    // one A saw stored (36 -> resumed numbering is by bets, not batches): every row exactly once.
    const QString file = m_dir->filePath(QStringLiteral("agency-1.csv"));
    constexpr int kBets = 60000;
    QVERIFY(writeAgencyFile(file, 1, kBets, 997));
    const quint16 portB = unusedPort();
    QVERIFY(portB != 0);
    auto a = std::make_unique<ServerProcess>();
    QVERIFY2(a->start(1, storagePath()), a->output().right(700).constData());
    AgencyProcess agency;
    agency.start(1, QStringLiteral("%1,127.0.0.1:%2").arg(a->address()).arg(portB), file,
        {QStringLiteral("--batch-max"), QStringLiteral("36"), QStringLiteral("--window"),
            QStringLiteral("4"), QStringLiteral("--reconnect-timeout"), QStringLiteral("60"),
            QStringLiteral("--log-level"), QStringLiteral("DEBUG")});
    QTRY_VERIFY_WITH_TIMEOUT(
        a->countLines("action: apuesta_recibida | result: success") >= 50, 60000);
    a->kill();
    const int storedByA = storedRows();
    QVERIFY(storedByA > 0);
    if (storedByA >= kBets)
        QSKIP("the upload finished before the kill: nothing to resume on this machine");

    ServerProcess b;
    QVERIFY2(b.start(1, storagePath(), {QStringLiteral("--port"), QString::number(portB)}),
        b.output().right(700).constData()); // QTest cuts long messages: the end says why
    QVERIFY2(agency.waitForFinished(120000), agency.output().right(3000).constData());
    expectWinners(agency, file);
    const QByteArray log = agency.output();
    QVERIFY2(log.contains("action: reconexion | result: in_progress"), log.constData());
    QVERIFY2(log.contains("server: " + b.address().toUtf8()), log.constData());
    QCOMPARE(storedRows(), kBets); // nothing doubled, nothing missing
    QVERIFY(b.terminate());
}

QTEST_GUILESS_MAIN(TestFailover)
#include "tst_failover.moc"
