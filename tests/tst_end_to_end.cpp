// The real lottery-server and real agency-cli processes over real loopback sockets.
#include "support/program_runner.h"

#include "common/stored_bet_row.h"
#include "lottery/agency/agency_csv_row.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using lottery::testing::AgencyProcess;
using lottery::testing::countWinnersInFile;
using lottery::testing::ServerProcess;
using lottery::testing::winnerDocumentsInFile;
using lottery::testing::writeAgencyFile;

namespace {

// A stored row's fields as text, for comparing with what the agency file says.
QStringList storedFields(quint32 agency, const lottery::protocol::Bet &bet)
{
    return {QString::number(agency), QString::fromStdString(bet.firstName),
        QString::fromStdString(bet.lastName), QString::fromStdString(bet.document),
        QString::fromStdString(bet.birthdate), QString::number(bet.number)};
}

} // namespace

class TestEndToEnd : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void fiveAgenciesGetTheirOwnWinners();
    void courseDatasetEndToEnd();
    void fiftyAgenciesOnTenWorkers();
    void uploadSlotsQueueAgenciesWithoutLosingAny();
    void invalidRowIsSkippedAndReported();
    void getWinnersIsHeldUntilTheLastAgencyIsDone();
    void sigtermStopsServerWhileAgenciesWait();
    void sigtermStopsAgencyCleanly();
    void restartAfterDrawGivesTheSameWinners();

private:
    // Runs one agency per file against `server` and checks every exit code and winner count.
    void runAgencies(ServerProcess &server, const QStringList &files, int timeoutMs);
    QString storagePath() const { return m_dir->filePath(QStringLiteral("bets.csv")); }
    // The agencies whose GET_WINNERS the server has parked until the draw (its log says so).
    static QSet<int> heldForTheDraw(ServerProcess &server);
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestEndToEnd::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

QSet<int> TestEndToEnd::heldForTheDraw(ServerProcess &server)
{
    static const QRegularExpression held(
        QStringLiteral("action: consulta_ganadores \\| result: in_progress \\| agency: (\\d+) .*"
                       "\\| waiting_for: sorteo"));
    QSet<int> agencies;
    for (auto it = held.globalMatch(QString::fromUtf8(server.output())); it.hasNext();)
        agencies.insert(it.next().captured(1).toInt());
    return agencies;
}

void TestEndToEnd::runAgencies(ServerProcess &server, const QStringList &files, int timeoutMs)
{
    std::vector<std::unique_ptr<AgencyProcess>> agencies;
    for (int i = 0; i < files.size(); ++i) {
        agencies.push_back(std::make_unique<AgencyProcess>());
        agencies.back()->start(i + 1, server.address(), files[i],
            {QStringLiteral("--log-level"), QStringLiteral("DEBUG")});
    }
    for (int i = 0; i < files.size(); ++i) {
        AgencyProcess &agency = *agencies[i];
        QVERIFY2(agency.waitForFinished(timeoutMs), agency.output().right(2000).constData());
        QVERIFY2(agency.exitStatus() == QProcess::NormalExit && agency.exitCode() == 0,
            agency.output().right(2000).constData());
        QCOMPARE(agency.reportedWinners(), countWinnersInFile(files[i]));
        // The documents themselves, not only their count: each agency gets its own winners.
        for (const QString &document : winnerDocumentsInFile(files[i]))
            QVERIFY2(agency.output().contains(document.toUtf8()), qPrintable(document));
    }
    QTRY_COMPARE(server.countLines("action: sorteo | result: success"), 1);
}

void TestEndToEnd::fiveAgenciesGetTheirOwnWinners()
{
    QStringList files;
    for (int agency = 1; agency <= 5; ++agency) {
        files << m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(files.back(), agency, 500 + agency * 137, 40 + agency));
    }
    ServerProcess server;
    QVERIFY2(server.start(5, storagePath()), server.output().constData());
    runAgencies(server, files, 60000);
    if (QTest::currentTestFailed())
        return;

    // Every bet is stored once, field for field, in the stored layout (common/stored_bet_row.h):
    // agency, then the agency file's five fields, one LF-terminated row each, no header.
    QMultiMap<QString, QStringList> expected;
    for (int i = 0; i < files.size(); ++i) {
        QFile file(files[i]);
        QVERIFY(file.open(QIODevice::ReadOnly));
        while (!file.atEnd()) {
            const auto row = lottery::agency::parseAgencyCsvLine(file.readLine().toStdString());
            QVERIFY2(row.bet, row.error.c_str());
            expected.insert(
                QString::fromStdString(row.bet->document), storedFields(i + 1, *row.bet));
        }
    }
    QFile stored(storagePath());
    QVERIFY(stored.open(QIODevice::ReadOnly));
    QMultiMap<QString, QStringList> actual;
    int lineNumber = 0;
    while (!stored.atEnd()) {
        const QByteArray line = stored.readLine();
        ++lineNumber;
        QVERIFY2(line.endsWith('\n') && !line.endsWith("\r\n"), line.constData());
        const auto row = lottery::parseStoredBetRow(line.toStdString());
        QVERIFY2(row, qPrintable(QStringLiteral("line %1: %2").arg(lineNumber).arg(line)));
        actual.insert(
            QString::fromStdString(row->bet.document), storedFields(row->agency, row->bet));
    }
    QCOMPARE(lineNumber, 5 * 500 + 137 * 15);
    QCOMPARE(actual, expected);
    QVERIFY(server.terminate());
    QCOMPARE(server.exitCode(), 0);
}

void TestEndToEnd::courseDatasetEndToEnd()
{
    const QString dataDir = QStringLiteral(LOTTERY_SHARED_DATA_DIR);
    if (!QFile::exists(dataDir + QStringLiteral("/agency-1.csv")))
        QSKIP("course dataset not present in ../shared/data");
    QStringList files;
    for (int agency = 1; agency <= 5; ++agency)
        files << dataDir + QStringLiteral("/agency-%1.csv").arg(agency);
    ServerProcess server;
    QVERIFY2(server.start(5, storagePath()), server.output().constData());
    runAgencies(server, files, 120000);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(server.terminate());
    QCOMPARE(server.exitCode(), 0);
}

void TestEndToEnd::fiftyAgenciesOnTenWorkers()
{
    constexpr int kAgencies = 50;
    QStringList files;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        files << m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(files.back(), agency, 200, 30 + agency % 7));
    }
    ServerProcess server;
    QVERIFY2(
        server.start(kAgencies, storagePath(), {QStringLiteral("--workers"), QStringLiteral("10")}),
        server.output().constData());
    runAgencies(server, files, 120000);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(server.terminate());
    QCOMPARE(server.exitCode(), 0);
}

void TestEndToEnd::uploadSlotsQueueAgenciesWithoutLosingAny()
{
    // One upload slot, and every fdatasync takes 2.5 s (strace): while one agency's task waits
    // for its sync, the others wait for the slot with their batches unread, far longer than
    // their idle timeout (1 s: the agencies themselves must never be that slow to send their
    // next frame, even under a sanitizer). A waiting session must not be closed for being idle, and
    // each must get the slot in turn: all finish with their own winners, every bet stored once.
    const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
    if (strace.isEmpty())
        QFAIL("strace is not installed (make test installs it: scripts/install-deps.sh "
              "--with-tools)");
    constexpr int kAgencies = 4;
    QStringList files;
    int rows = 0;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        files << m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        const int bets = 400 + agency * 23;
        QVERIFY(writeAgencyFile(files.back(), agency, bets, 20 + agency % 5));
        rows += bets;
    }
    qputenv("SERVER_UPLOAD_SLOTS", "1");
    qputenv("SERVER_IDLE_TIMEOUT_MS", "1000");
    // LeakSanitizer cannot run under ptrace (strace): it would end an ASan build's server with
    // exit code 1 after a clean shutdown.
    const QByteArray asanOptions = qgetenv("ASAN_OPTIONS");
    qputenv("ASAN_OPTIONS",
        (asanOptions.isEmpty() ? QByteArray() : asanOptions + ':') + "detect_leaks=0");
    ServerProcess server;
    server.setWrapper({strace, QStringLiteral("-f"), QStringLiteral("-qq"), QStringLiteral("-o"),
        QStringLiteral("/dev/null"), QStringLiteral("-e"),
        QStringLiteral("inject=fdatasync:delay_enter=2500000")});
    const bool started = server.start(kAgencies, storagePath(), {"--log-level", "DEBUG"});
    qunsetenv("SERVER_UPLOAD_SLOTS");
    qunsetenv("SERVER_IDLE_TIMEOUT_MS");
    if (asanOptions.isEmpty())
        qunsetenv("ASAN_OPTIONS");
    else
        qputenv("ASAN_OPTIONS", asanOptions);
    if (!started && !server.output().contains("listen"))
        QFAIL(qPrintable(QStringLiteral("cannot run the server under strace: %1")
                             .arg(QString::fromUtf8(server.output().right(500)))));
    QVERIFY2(server.output().contains("upload_slots: 1"), server.output().constData());

    std::vector<std::unique_ptr<AgencyProcess>> agencies;
    for (int i = 0; i < kAgencies; ++i) {
        agencies.push_back(std::make_unique<AgencyProcess>());
        agencies.back()->start(i + 1, server.address(), files[i]);
    }
    for (int i = 0; i < kAgencies; ++i) {
        AgencyProcess &agency = *agencies[std::size_t(i)];
        QVERIFY2(agency.waitForFinished(180000), agency.output().right(2000).constData());
        QVERIFY2(agency.exitStatus() == QProcess::NormalExit && agency.exitCode() == 0,
            agency.output().right(2000).constData());
        QCOMPARE(agency.reportedWinners(), countWinnersInFile(files[i]));
    }
    // They did wait (each for at least one 2.5 s sync of another's task)...
    QVERIFY2(server.countLines("action: upload_slot | result: in_progress") >= kAgencies - 1,
        server.output().right(3000).constData());
    // ...and none was closed for it.
    QCOMPARE(server.countLines("code: timeout"), 0);
    QTRY_COMPARE(server.countLines("action: sorteo | result: success"), 1);
    QFile stored(storagePath());
    QVERIFY(stored.open(QIODevice::ReadOnly));
    QSet<QByteArray> unique;
    int lines = 0;
    while (!stored.atEnd()) {
        unique.insert(stored.readLine());
        ++lines;
    }
    QCOMPARE(lines, rows);
    QCOMPARE(unique.size(), rows);
    QVERIFY(server.terminate(20000));
    QCOMPARE(server.exitCode(), 0);
}

void TestEndToEnd::invalidRowIsSkippedAndReported()
{
    const QString file = m_dir->filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(writeAgencyFile(file, 1, 100, 10));
    {
        QFile append(file);
        QVERIFY(append.open(QIODevice::Append));
        append.write("Ana,Pérez,12A45,1990-01-01,12\r\n"); // line 101: document
        append.write("Ana,Pérez,1245,1990-02-30,12\r\n"); // line 102: date
        append.write("Ana,Pérez,1245,1990-01-01,7574\r\n"); // line 103: valid winner
    }
    ServerProcess server;
    QVERIFY2(server.start(1, storagePath()), server.output().constData());
    AgencyProcess agency;
    agency.start(1, server.address(), file);
    QVERIFY(agency.waitForFinished(60000));
    const QByteArray log = agency.output();
    QCOMPARE(agency.exitCode(), 2);
    QVERIFY2(log.contains("action: apuesta_invalida | result: fail | linea: 101"), log.constData());
    QVERIFY2(log.contains("action: apuesta_invalida | result: fail | linea: 102"), log.constData());
    QCOMPARE(agency.reportedWinners(), 10 + 1);
    QFile stored(storagePath());
    QVERIFY(stored.open(QIODevice::ReadOnly));
    QCOMPARE(stored.readAll().count('\n'), 101);
}

void TestEndToEnd::getWinnersIsHeldUntilTheLastAgencyIsDone()
{
    QStringList files;
    for (int agency = 1; agency <= 3; ++agency) {
        files << m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(files.back(), agency, 300, 50));
    }
    ServerProcess server;
    QVERIFY2(server.start(3, storagePath()), server.output().constData());
    AgencyProcess first, second, third;
    const QStringList debug {QStringLiteral("--log-level"), QStringLiteral("DEBUG")}; // winners
    first.start(1, server.address(), files[0], debug);
    second.start(2, server.address(), files[1], debug);
    // The server logs `waiting_for: sorteo` when it parks a GET_WINNERS: once both lines are
    // there, both requests have provably reached the server and are held by it.
    // (A draw that runs too early ends the wait at once instead of after the timeout.)
    QTRY_VERIFY_WITH_TIMEOUT(
        heldForTheDraw(server) == (QSet<int> {1, 2}) || server.countLines("action: sorteo") > 0,
        60000);
    QCOMPARE(heldForTheDraw(server), (QSet<int> {1, 2}));
    // With agency 3 missing, nobody may be answered and no draw may have run.
    QCOMPARE(server.countLines("action: sorteo"), 0);
    QCOMPARE(server.countLines("action: consulta_ganadores | result: success"), 0);
    QVERIFY(first.isRunning());
    QVERIFY(second.isRunning());
    QCOMPARE(first.reportedWinners(), -1);
    QCOMPARE(second.reportedWinners(), -1);

    // The last agency's DONE releases everyone, each with its own winners.
    third.start(3, server.address(), files[2], debug);
    const QList<AgencyProcess *> agencies {&first, &second, &third};
    for (int i = 0; i < agencies.size(); ++i) {
        AgencyProcess &agency = *agencies[i];
        QVERIFY2(agency.waitForFinished(60000), agency.output().right(2000).constData());
        QCOMPARE(agency.exitCode(), 0);
        QCOMPARE(agency.reportedWinners(), countWinnersInFile(files[i]));
        for (const QString &document : winnerDocumentsInFile(files[i]))
            QVERIFY2(agency.output().contains(document.toUtf8()), qPrintable(document));
    }
    QTRY_COMPARE(server.countLines("action: sorteo | result: success"), 1);
    QTRY_COMPARE(server.countLines("action: consulta_ganadores | result: success"), 3);
}

void TestEndToEnd::sigtermStopsServerWhileAgenciesWait()
{
    const QString file = m_dir->filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(writeAgencyFile(file, 1, 200, 20));
    ServerProcess server;
    QVERIFY2(server.start(2, storagePath()), server.output().constData());
    AgencyProcess waiting;
    // The agency would ride out a restart for its reconnect timeout; keep that short here.
    waiting.start(
        1, server.address(), file, {QStringLiteral("--reconnect-timeout"), QStringLiteral("2")});
    QTRY_COMPARE_WITH_TIMEOUT(
        server.countLines("action: agencia_finalizada | result: success"), 1, 60000);
    QVERIFY(waiting.isRunning());

    QVERIFY2(server.terminate(10000), "server did not exit within 10 s of SIGTERM");
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);
    const QByteArray log = server.output();
    QVERIFY2(log.contains("action: shutdown | result: success"), log.constData());
    // The waiting agency is told, and fails cleanly rather than hanging.
    QVERIFY(waiting.waitForFinished(20000));
    QVERIFY(waiting.exitCode() != 0);
    QVERIFY2(waiting.output().contains("result: fail"), waiting.output().constData());
}

void TestEndToEnd::sigtermStopsAgencyCleanly()
{
    const QString file = m_dir->filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(writeAgencyFile(file, 1, 50, 10));
    ServerProcess server;
    QVERIFY2(server.start(2, storagePath()), server.output().constData());
    AgencyProcess agency;
    agency.start(1, server.address(), file);
    QTRY_COMPARE_WITH_TIMEOUT(
        server.countLines("action: agencia_finalizada | result: success"), 1, 60000);
    agency.terminate();
    QVERIFY(agency.waitForFinished(10000));
    QCOMPARE(agency.exitStatus(), QProcess::NormalExit);
    QCOMPARE(agency.exitCode(), 0);
    QVERIFY2(agency.output().contains("action: shutdown | result: success"),
        agency.output().constData());
}

void TestEndToEnd::restartAfterDrawGivesTheSameWinners()
{
    QStringList files;
    for (int agency = 1; agency <= 2; ++agency) {
        files << m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(files.back(), agency, 250, 25));
    }
    {
        ServerProcess server;
        QVERIFY2(server.start(2, storagePath()), server.output().constData());
        runAgencies(server, files, 60000);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(server.terminate());
    }
    // Same storage: everything is already stored and DONE, so re-running the agencies sends nothing
    // new and gets the same winners from the recovered draw.
    const qint64 sizeBefore = QFileInfo(storagePath()).size();
    ServerProcess server;
    QVERIFY2(server.start(2, storagePath()), server.output().constData());
    runAgencies(server, files, 60000);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(QFileInfo(storagePath()).size(), sizeBefore);
    QVERIFY(server.terminate());
}

QTEST_GUILESS_MAIN(TestEndToEnd)
#include "tst_end_to_end.moc"
