// The real programs on PostgreSQL: two lottery-server instances on one database (a cluster the
// test starts itself), agency-cli processes listing both servers. Faults: kill -9 of one
// instance mid-upload at seeded points (the agencies fail over and finish; every bet stored
// exactly once, one draw, the right winners for everyone), PostgreSQL restarted with
// `pg_ctl restart -m immediate` mid-upload, and the start-up errors (unreachable database, wrong
// password, newer schema: exit code 2 and a `result: fail` line).
#include "support/postgres_cluster.h"
#include "support/program_runner.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using lottery::testing::AgencyProcess;
using lottery::testing::countWinnersInFile;
using lottery::testing::PostgresCluster;
using lottery::testing::ServerProcess;
using lottery::testing::writeAgencyFile;

class PostgresServersTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void killOneOfTwoServersMidUpload_data();
    void killOneOfTwoServersMidUpload();
    void databaseRestartedMidUpload();
    void startErrorsExitWith2_data();
    void startErrorsExitWith2();

private:
    QString conninfo() const { return m_cluster->connectionString(m_database); }
    QByteArray sql(const QString &statement) { return m_cluster->psql(statement, m_database); }
    bool startServer(ServerProcess &server, int agencies);
    // Starts `count` agencies of `bets` each, agency k listing the servers in `orders[k % 2]`.
    void startAgencies(int count, int bets, const QStringList &orders);
    void expectEverythingOnce(int agencies, int bets);

    std::unique_ptr<PostgresCluster> m_cluster;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_database;
    int m_databases = 0;
    std::vector<std::unique_ptr<AgencyProcess>> m_agencies;
    QStringList m_files;
};

void PostgresServersTest::initTestCase()
{
    QString why;
    if (!PostgresCluster::available(&why))
        QFAIL(qPrintable(why));
    m_cluster = std::make_unique<PostgresCluster>();
    QVERIFY2(m_cluster->initPrimary(), qPrintable(m_cluster->lastError()));
    // The servers are children: they inherit the pass file, as a service would its environment.
    qputenv("PGPASSFILE", m_cluster->passFile().toLocal8Bit());
}

void PostgresServersTest::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_database = QStringLiteral("s%1").arg(++m_databases);
    QVERIFY2(m_cluster->createDatabase(m_database), qPrintable(m_cluster->lastError()));
    m_agencies.clear();
    m_files.clear();
}

bool PostgresServersTest::startServer(ServerProcess &server, int agencies)
{
    // --storage is ignored with --database; it points into the test folder anyway.
    return server.start(agencies, m_dir->filePath(QStringLiteral("unused.csv")),
        {QStringLiteral("--database"), conninfo()});
}

void PostgresServersTest::startAgencies(int count, int bets, const QStringList &orders)
{
    for (int agency = 1; agency <= count; ++agency) {
        const QString file = m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY2(writeAgencyFile(file, agency, bets, 97), qPrintable(file));
        m_files.append(file);
        auto process = std::make_unique<AgencyProcess>();
        process->start(agency, orders[agency % orders.size()], file);
        m_agencies.push_back(std::move(process));
    }
}

void PostgresServersTest::expectEverythingOnce(int agencies, int bets)
{
    for (std::size_t i = 0; i < m_agencies.size(); ++i) {
        AgencyProcess &agency = *m_agencies[i];
        QVERIFY2(agency.waitForFinished(240000), agency.output().right(2000).constData());
        QVERIFY2(agency.exitCode() == 0, agency.output().right(2000).constData());
        QCOMPARE(agency.reportedWinners(), countWinnersInFile(m_files[int(i)]));
    }
    QCOMPARE(
        sql(QStringLiteral("SELECT count(*) FROM bets")).toLongLong(), qint64(agencies) * bets);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM (SELECT 1 FROM bets GROUP BY agency, "
                                "sequence, ordinal HAVING count(*) > 1) d")),
        QByteArray("0"));
    QCOMPARE(sql(QStringLiteral("SELECT count(DISTINCT document) FROM bets")).toLongLong(),
        qint64(agencies) * bets);
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM draw")), QByteArray("1"));
}

void PostgresServersTest::killOneOfTwoServersMidUpload_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed = 1; seed <= 3; ++seed)
        QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(seed))) << seed;
}

void PostgresServersTest::killOneOfTwoServersMidUpload()
{
    QFETCH(quint32, seed);
    QRandomGenerator random(seed);
    constexpr int kAgencies = 4;
    constexpr int kBets = 30000;
    ServerProcess a;
    ServerProcess b;
    QVERIFY2(startServer(a, kAgencies), a.output().constData());
    QVERIFY2(startServer(b, kAgencies), b.output().constData());
    // Half the agencies start on A, half on B; each lists both.
    startAgencies(
        kAgencies, kBets, {b.address() + u',' + a.address(), a.address() + u',' + b.address()});
    if (QTest::currentTestFailed())
        return;
    // Kill A once a seeded share of the bets is stored (somewhere between 5 % and 85 %).
    const qint64 threshold = qint64(kAgencies) * kBets * (5 + random.bounded(80)) / 100;
    QTRY_VERIFY_WITH_TIMEOUT(
        sql(QStringLiteral("SELECT coalesce(sum(stored_bets), 0) FROM agencies")).toLongLong()
            >= threshold,
        120000);
    // Mid-upload for A's own agencies (odd ones list A first): one of them still running when
    // A dies can only finish (checked below) by failing over to B.
    int onAStillRunning = 0;
    for (std::size_t i = 0; i < m_agencies.size(); ++i)
        onAStillRunning += ((i + 1) % 2 == 1 && m_agencies[i]->isRunning()) ? 1 : 0;
    a.kill();
    qInfo("seed %u: killed server A after %lld stored bets, %d of its agencies uploading", seed,
        threshold, onAStillRunning);
    QVERIFY(onAStillRunning > 0);
    expectEverythingOnce(kAgencies, kBets);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(b.isRunning());
}

void PostgresServersTest::databaseRestartedMidUpload()
{
    constexpr int kAgencies = 3;
    constexpr int kBets = 200000;
    ServerProcess a;
    ServerProcess b;
    QVERIFY2(startServer(a, kAgencies), a.output().constData());
    QVERIFY2(startServer(b, kAgencies), b.output().constData());
    // Each agency on one server: the servers, not a failover, must ride out the restart.
    startAgencies(kAgencies, kBets, {b.address(), a.address()});
    if (QTest::currentTestFailed())
        return;
    QTRY_VERIFY_WITH_TIMEOUT(
        sql(QStringLiteral("SELECT coalesce(sum(stored_bets), 0) FROM agencies")).toLongLong()
            >= kAgencies * kBets / 3,
        120000);
    const auto stillUploading = [this] {
        int running = 0;
        for (const auto &agency : m_agencies)
            running += agency->isRunning() ? 1 : 0;
        return running;
    };
    QVERIFY(stillUploading() > 0); // the restart lands mid-upload
    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    expectEverythingOnce(kAgencies, kBets);
    if (QTest::currentTestFailed())
        return;
    // The servers held the batches across the restart (reconnecting), and said so.
    const QByteArray held("action: almacenamiento | result: in_progress");
    QVERIFY2(
        a.output().contains(held) || b.output().contains(held), a.output().right(3000).constData());
    QVERIFY(a.isRunning() && b.isRunning());
}

void PostgresServersTest::startErrorsExitWith2_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unreachable") << "unreachable"
                                 << "cannot connect to the database";
    QTest::newRow("wrong password") << "password"
                                    << "password authentication failed";
    QTest::newRow("newer schema") << "schema"
                                  << "newer than";
    // The lottery's identity: an instance configured for 1 agency beside one running for 2.
    QTest::newRow("other agency count")
        << "agencies"
        << "was recorded for 2 agencies, but this instance is configured for 1";
}

void PostgresServersTest::startErrorsExitWith2()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QString database = conninfo();
    const QByteArray passFile = qgetenv("PGPASSFILE");
    if (kind == u"unreachable") {
        database = QStringLiteral("host=127.0.0.1 port=1 dbname=x user=lottery connect_timeout=3");
    } else if (kind == u"password") {
        QFile wrong(m_dir->filePath(QStringLiteral("wrong-pgpass")));
        QVERIFY(wrong.open(QIODevice::WriteOnly));
        wrong.write("*:*:*:lottery:not-the-password\n");
        wrong.close();
        QVERIFY(wrong.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
        qputenv("PGPASSFILE", wrong.fileName().toLocal8Bit());
    }
    ServerProcess running;
    if (kind == u"agencies") {
        QVERIFY2(startServer(running, 2), running.output().constData()); // records 2 agencies
        QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("2"));
    } else if (kind == u"schema") {
        ServerProcess first;
        QVERIFY2(startServer(first, 1), first.output().constData()); // creates the schema
        QVERIFY(first.terminate());
        QVERIFY(!sql(QStringLiteral("UPDATE schema_version SET version = version + 1")).isNull());
    }
    ServerProcess server;
    QVERIFY(!server.start(1, m_dir->filePath(QStringLiteral("unused.csv")),
        {QStringLiteral("--database"), database}));
    qputenv("PGPASSFILE", passFile);
    QTRY_VERIFY(!server.isRunning());
    QCOMPARE(server.exitCode(), 2);
    const QByteArray log = server.output();
    QVERIFY2(log.contains("result: fail"), log.constData());
    QVERIFY2(log.contains(expected.toUtf8()), log.constData());
    QVERIFY(!log.contains("not-the-password"));
    if (kind == u"agencies") {
        QVERIFY2(log.contains("action: identidad | result: fail"), log.constData());
        QVERIFY(running.isRunning()); // the instance on the recorded count is unaffected
        QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("2"));
        QVERIFY(running.terminate());
        // The operator's explicit change, recorded in the database; then 1 is the count.
        QProcess change;
        change.setProcessChannelMode(QProcess::MergedChannels);
        change.start(lottery::testing::binaryPath(QStringLiteral("lottery-server")),
            {QStringLiteral("--database"), conninfo(), QStringLiteral("--set-agencies"),
                QStringLiteral("1")});
        QVERIFY(change.waitForFinished(60000));
        const QByteArray changeLog = change.readAll();
        QVERIFY2(change.exitCode() == 0, changeLog.constData());
        QVERIFY2(changeLog.contains("action: identidad | result: success"), changeLog.constData());
        QCOMPARE(sql(QStringLiteral("SELECT agencies FROM lottery")), QByteArray("1"));
        ServerProcess again;
        QVERIFY2(startServer(again, 1), again.output().constData());
        QVERIFY(again.terminate());
    }
}

QTEST_GUILESS_MAIN(PostgresServersTest)
#include "tst_postgres_servers.moc"
