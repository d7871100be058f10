// lottery-bench on tiny data: it runs the real programs, reports a ratio to the raw floor and
// checks the winners itself. Only the shape and the correctness of the report are asserted.
#include "support/postgres_cluster.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

class TestBenchSmoke : public QObject
{
    Q_OBJECT

private slots:
    void generatedDataReportsRatioAndCorrectWinners();
    void datasetWithAnInvalidRowIsCountedFromTheFiles();
    void courseDataset();
    void missingDatasetIsAClearError();
    void postgresRunAgainstTheCopyFloor_data();
    void postgresRunAgainstTheCopyFloor();
    void postgresOptionsAreChecked_data();
    void postgresOptionsAreChecked();
    void relativeDatasetPathIsResolved();
    void codecBenchTimesEveryStep();
    void loadgenRunsTheCurveWithCorrectWinners_data();
    void loadgenRunsTheCurveWithCorrectWinners();
    void loadgenRefusesABadCurve();

private:
    // Runs the bench with `arguments` and returns its exit code; stdout and stderr are kept.
    int runBench(const QStringList &arguments);
    QJsonObject jsonReport() const;

    QByteArray m_stdout;
    QByteArray m_stderr;
};

int TestBenchSmoke::runBench(const QStringList &arguments)
{
    QProcess bench;
    bench.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-bench"), arguments);
    if (!bench.waitForFinished(240000)) {
        bench.kill();
        bench.waitForFinished();
    }
    m_stdout = bench.readAllStandardOutput();
    m_stderr = bench.readAllStandardError();
    return bench.exitStatus() == QProcess::NormalExit ? bench.exitCode() : -1;
}

QJsonObject TestBenchSmoke::jsonReport() const
{
    return QJsonDocument::fromJson(m_stdout.trimmed()).object();
}

void TestBenchSmoke::generatedDataReportsRatioAndCorrectWinners()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const int exitCode = runBench({QStringLiteral("--agencies"), QStringLiteral("2"),
        QStringLiteral("--bets"), QStringLiteral("3000"), QStringLiteral("--json"),
        QStringLiteral("--work"), work.path()});
    QVERIFY2(exitCode == 0, m_stderr.constData());
    const QJsonObject report = jsonReport();
    QVERIFY2(!report.isEmpty(), m_stdout.constData());
    QCOMPARE(report.value(QStringLiteral("agencies")).toInt(), 2);
    QCOMPARE(report.value(QStringLiteral("bets")).toInteger(), 6000);
    QVERIFY(report.value(QStringLiteral("winners_correct")).toBool());
    // lottery-datagen makes every 997th row a winner, so each 3000-row file has some.
    QVERIFY(report.value(QStringLiteral("winners")).toInteger() >= 6);
    QVERIFY(report.value(QStringLiteral("ratio_to_floor")).toDouble() > 0);
    QVERIFY(report.value(QStringLiteral("floor_seconds")).toDouble() > 0);
    QVERIFY(report.value(QStringLiteral("batches")).toInteger() >= 60); // 100 bets per batch
    QVERIFY(report.value(QStringLiteral("fsyncs")).toInteger() > 0);
    QVERIFY(report.value(QStringLiteral("ack_p99_ms")).toDouble()
        >= report.value(QStringLiteral("ack_p50_ms")).toDouble());
    QVERIFY(report.value(QStringLiteral("server_peak_rss_kib")).toInteger() > 0);
    QVERIFY(report.value(QStringLiteral("agency_peak_rss_kib")).toInteger() > 0);
}

void TestBenchSmoke::datasetWithAnInvalidRowIsCountedFromTheFiles()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString data = QDir(work.path()).filePath(QStringLiteral("data"));
    QVERIFY(QDir().mkpath(data));
    QFile file(QDir(data).filePath(QStringLiteral("agency-1.csv")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("Ana,Pérez,30111222,1990-05-01,7574\r\n"
               "Luis,Gómez,30111223,1985-02-30,7574\r\n" // no such date: skipped by the agency
               "\r\n"
               "Eva,Díaz,30111224,1970-12-31,12\r\n"
               "\"Juan, Jr\",Ruiz,30111225,2000-01-01,7574\r\n");
    file.close();
    const int exitCode = runBench({QStringLiteral("--dataset"), data, QStringLiteral("--json"),
        QStringLiteral("--work"), QDir(work.path()).filePath(QStringLiteral("run"))});
    QVERIFY2(exitCode == 0, m_stdout + m_stderr);
    const QJsonObject report = jsonReport();
    QCOMPARE(report.value(QStringLiteral("agencies")).toInt(), 1);
    QCOMPARE(report.value(QStringLiteral("bets")).toInteger(), 3);
    QCOMPARE(report.value(QStringLiteral("winners")).toInteger(), 2);
    QVERIFY(report.value(QStringLiteral("winners_correct")).toBool());
}

void TestBenchSmoke::courseDataset()
{
    const QString data = QStringLiteral(LOTTERY_SHARED_DATA_DIR);
    if (!QFile::exists(QDir(data).filePath(QStringLiteral("agency-1.csv"))))
        QSKIP("the course dataset is not on this machine");
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const int exitCode = runBench({QStringLiteral("--dataset"), data, QStringLiteral("--json"),
        QStringLiteral("--work"), work.path()});
    QVERIFY2(exitCode == 0, m_stdout + m_stderr);
    const QJsonObject report = jsonReport();
    QCOMPARE(report.value(QStringLiteral("agencies")).toInt(), 5);
    QVERIFY(report.value(QStringLiteral("winners_correct")).toBool());
    QVERIFY(report.value(QStringLiteral("ratio_to_floor")).toDouble() > 0);
}

void TestBenchSmoke::missingDatasetIsAClearError()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const int exitCode = runBench({QStringLiteral("--dataset"),
        QDir(work.path()).filePath(QStringLiteral("nothing-here")), QStringLiteral("--agencies"),
        QStringLiteral("2"), QStringLiteral("--work"), work.path()});
    QCOMPARE(exitCode, 1);
    QVERIFY2(m_stderr.contains("agency-1.csv does not exist"), m_stderr.constData());
}

// --postgres: a scratch cluster, the COPY floor and N instances on one database in the same run
// as the file store; every figure of the report is there and the database holds every bet once.
void TestBenchSmoke::postgresRunAgainstTheCopyFloor_data()
{
    QTest::addColumn<int>("servers");
    QTest::addColumn<int>("agencies");
    QTest::addColumn<bool>("givenCluster"); // --database on the test's own cluster
    QTest::newRow("two instances, three agencies spread over both") << 2 << 3 << false;
    QTest::newRow("one instance") << 1 << 2 << false;
    QTest::newRow("--database: a cluster the bench did not start") << 2 << 2 << true;
}

void TestBenchSmoke::postgresRunAgainstTheCopyFloor()
{
    QFETCH(int, servers);
    QFETCH(int, agencies);
    QFETCH(bool, givenCluster);
    QString why;
    if (!lottery::testing::PostgresCluster::available(&why))
        QFAIL(qPrintable(why)); // make test installs postgresql-15
    QTemporaryDir work;
    QVERIFY(work.isValid());
    QStringList arguments {QStringLiteral("--postgres")};
    std::unique_ptr<lottery::testing::PostgresCluster> cluster;
    if (givenCluster) {
        cluster = std::make_unique<lottery::testing::PostgresCluster>();
        QVERIFY2(cluster->initPrimary(), qPrintable(cluster->lastError()));
        // The password as an operator gives it: a pass file in the environment.
        qputenv("PGPASSFILE", cluster->passFile().toLocal8Bit());
        arguments
            = {QStringLiteral("--database"), cluster->connectionString(QStringLiteral("postgres"))};
    }
    const int exitCode = runBench(arguments
        + QStringList {QStringLiteral("--servers"), QString::number(servers),
            QStringLiteral("--agencies"), QString::number(agencies), QStringLiteral("--bets"),
            QStringLiteral("2500"), QStringLiteral("--json"), QStringLiteral("--work"),
            work.path()});
    if (givenCluster)
        qunsetenv("PGPASSFILE");
    QVERIFY2(exitCode == 0, m_stdout + m_stderr);
    if (givenCluster) {
        // The bench's databases are on the given cluster, the bets in the system one.
        QCOMPARE(cluster->psql(QStringLiteral("SELECT count(*) FROM bets"),
                     QStringLiteral("lottery_bench_system")),
            QByteArray::number(2500 * agencies));
    }
    const QJsonObject report = jsonReport();
    QVERIFY(report.value(QStringLiteral("winners_correct")).toBool()); // the file store's run
    const QJsonObject pg = report.value(QStringLiteral("postgres")).toObject();
    QVERIFY2(!pg.isEmpty(), m_stdout.constData());
    QVERIFY2(pg.value(QStringLiteral("correct")).toBool(), m_stdout.constData());
    const qint64 bets = 2500LL * agencies;
    QCOMPARE(pg.value(QStringLiteral("stored_bets")).toInteger(), bets);
    QCOMPARE(pg.value(QStringLiteral("doubled_bets")).toInteger(), 0);
    QCOMPARE(pg.value(QStringLiteral("draws")).toInteger(), 1);
    QCOMPARE(pg.value(QStringLiteral("copy_floor_commits")).toInteger(), agencies);
    for (const char *field : {"copy_floor_seconds", "copy_floor_bets_per_second", "seconds",
             "bets_per_second", "ratio_to_copy_floor", "ack_p99_ms"})
        QVERIFY2(pg.value(QLatin1String(field)).toDouble() > 0, field);
    // At least one transaction per agency's batches, and the database counted them too.
    QVERIFY(pg.value(QStringLiteral("store_commits")).toInteger() >= agencies);
    QVERIFY(pg.value(QStringLiteral("database_commits")).toInteger()
        >= pg.value(QStringLiteral("store_commits")).toInteger());
    const QJsonArray instances = pg.value(QStringLiteral("servers")).toArray();
    QCOMPARE(instances.size(), servers);
    qint64 stored = 0;
    int drew = 0;
    for (const QJsonValue &value : instances) {
        const QJsonObject instance = value.toObject();
        // Every instance carried agencies: each agency starts with another one.
        QVERIFY(instance.value(QStringLiteral("bets")).toInteger() > 0);
        QVERIFY(instance.value(QStringLiteral("peak_rss_kib")).toInteger() > 0);
        stored += instance.value(QStringLiteral("bets")).toInteger();
        drew += instance.value(QStringLiteral("recorded_draw")).toBool() ? 1 : 0;
    }
    QCOMPARE(stored, bets);
    QCOMPARE(drew, 1);
    const QJsonArray agencyRss = pg.value(QStringLiteral("agency_peak_rss_kib")).toArray();
    QCOMPARE(agencyRss.size(), agencies);
    for (const QJsonValue &value : agencyRss)
        QVERIFY(value.toInteger() > 0);
    const QJsonArray backends = pg.value(QStringLiteral("backends")).toArray();
    QVERIFY(backends.size() >= servers);
    for (const QJsonValue &value : backends)
        QVERIFY(value.toObject().value(QStringLiteral("peak_rss_kib")).toInteger() > 0);
    QCOMPARE(pg.value(QStringLiteral("copy_floor_backends")).toArray().size(), agencies);
}

void TestBenchSmoke::postgresOptionsAreChecked_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("error");
    QTest::newRow("several servers need a database")
        << QStringList {QStringLiteral("--servers"), QStringLiteral("2")}
        << QStringLiteral("--servers: several instances need --postgres or --database");
    QTest::newRow("a scratch cluster or this one, not both") << QStringList {
        QStringLiteral("--postgres"), QStringLiteral("--database"),
        QStringLiteral("host=127.0.0.1")} << QStringLiteral("exclude each other");
    QTest::newRow("a URI cannot take the bench's dbname")
        << QStringList {QStringLiteral("--database"), QStringLiteral("postgresql://127.0.0.1/x")}
        << QStringLiteral("give the keyword=value form");
    QTest::newRow("servers out of range") << QStringList {QStringLiteral("--postgres"),
        QStringLiteral("--servers"),
        QStringLiteral("0")} << QStringLiteral("--servers: '0' is not a number in 1..8");
}

void TestBenchSmoke::postgresOptionsAreChecked()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, error);
    QCOMPARE(runBench(arguments), 1);
    QVERIFY2(m_stderr.contains(error.toUtf8()), m_stderr.constData());
}

QTEST_GUILESS_MAIN(TestBenchSmoke)
// The agencies run in the work directory: relative --dataset, --work and --bin must still name
// the same places.
void TestBenchSmoke::relativeDatasetPathIsResolved()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString data = QDir(work.path()).filePath(QStringLiteral("data"));
    QVERIFY(QDir().mkpath(data));
    QFile file(QDir(data).filePath(QStringLiteral("agency-1.csv")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("Ana,Pérez,30111222,1990-05-01,7574\nEva,Díaz,30111224,1970-12-31,12\n");
    file.close();
    const QString previous = QDir::currentPath();
    QVERIFY(QDir::setCurrent(work.path()));
    // --bin too, relative to the same directory.
    const QString bin = QDir(work.path()).relativeFilePath(QStringLiteral(LOTTERY_BIN_DIR));
    const int exitCode
        = runBench({QStringLiteral("--dataset"), QStringLiteral("data"), QStringLiteral("--json"),
            QStringLiteral("--work"), QStringLiteral("run"), QStringLiteral("--bin"), bin});
    QDir::setCurrent(previous);
    QVERIFY2(exitCode == 0, m_stdout + m_stderr);
    const QJsonObject report = jsonReport();
    QCOMPARE(report.value(QStringLiteral("bets")).toInteger(), 2);
    QCOMPARE(report.value(QStringLiteral("winners")).toInteger(), 1);
    QVERIFY(report.value(QStringLiteral("winners_correct")).toBool());
}

// lottery-codec-bench counts the valid bets (invalid rows are left out) and times every step.
void TestBenchSmoke::codecBenchTimesEveryStep()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString path = QDir(work.path()).filePath(QStringLiteral("agency.csv"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    for (int i = 0; i < 250; ++i)
        file.write("Ana,Pérez," + QByteArray::number(30000000 + i) + ",1990-05-01,"
            + QByteArray::number(i % 100 == 0 ? 7574 : i) + "\r\n");
    file.write("Luis,Gómez,30111223,1985-02-30,1\r\n"); // no such date
    file.write("bad row\r\n");
    file.close();
    QProcess bench;
    bench.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-codec-bench"),
        {path, QStringLiteral("--repeat"), QStringLiteral("2")});
    QVERIFY(bench.waitForFinished(60000));
    const QByteArray out = bench.readAllStandardOutput();
    QVERIFY2(bench.exitCode() == 0, out + bench.readAllStandardError());
    QVERIFY2(out.startsWith("bets 250 (best of 2 runs"), out.constData());
    for (const char *step : {"parse", "validate", "encode", "decode", "row+crc", "total"})
        QVERIFY2(out.contains(step), step);

    QProcess missing;
    missing.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-codec-bench"),
        {QDir(work.path()).filePath(QStringLiteral("nothing.csv"))});
    QVERIFY(missing.waitForFinished(10000));
    QCOMPARE(missing.exitCode(), 2);
    QVERIFY(missing.readAllStandardError().contains("cannot read"));
}

// lottery-loadgen: many sessions in one process against the real server; each point of the curve
// completes, every agency gets exactly the winners of the bets it sent, the figures are there.
void TestBenchSmoke::loadgenRunsTheCurveWithCorrectWinners_data()
{
    QTest::addColumn<QString>("curve");
    QTest::addColumn<int>("betsPerAgency");
    QTest::addColumn<int>("window");
    QTest::addColumn<bool>("strict"); // DONE after the last ACK instead of pipelined behind it
    // The winners (every 997th bet) are checked by the load generator against what it sent.
    QTest::newRow("few agencies, many batches, small window") << "2,5" << 1200 << 4 << false;
    QTest::newRow("hundreds of agencies") << "300" << 30 << 128 << false;
    QTest::newRow("hundreds of agencies, strict conversation") << "300" << 30 << 128 << true;
}

void TestBenchSmoke::loadgenRunsTheCurveWithCorrectWinners()
{
    QFETCH(QString, curve);
    QFETCH(int, betsPerAgency);
    QFETCH(int, window);
    QFETCH(bool, strict);
    QTemporaryDir work;
    QVERIFY(work.isValid());
    QProcess loadgen;
    QStringList arguments {QStringLiteral("--curve"), curve, QStringLiteral("--bets"),
        QString::number(betsPerAgency), QStringLiteral("--batch"), QStringLiteral("50"),
        QStringLiteral("--window"), QString::number(window), QStringLiteral("--json"),
        QStringLiteral("--work"), work.path(), QStringLiteral("--timeout"), QStringLiteral("200")};
    if (strict)
        arguments << QStringLiteral("--strict");
    loadgen.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-loadgen"), arguments);
    QVERIFY(loadgen.waitForFinished(240000));
    const QByteArray out = loadgen.readAllStandardOutput();
    QVERIFY2(loadgen.exitCode() == 0, out + loadgen.readAllStandardError());
    const QJsonObject report = QJsonDocument::fromJson(out.trimmed()).object();
    QVERIFY2(report.value(QStringLiteral("all_correct")).toBool(), out.constData());
    QCOMPARE(report.value(QStringLiteral("conversation")).toString(),
        strict ? QStringLiteral("strict") : QStringLiteral("pipelined"));
    const QJsonArray points = report.value(QStringLiteral("points")).toArray();
    const QStringList agencies = curve.split(QLatin1Char(','));
    QCOMPARE(points.size(), agencies.size());
    for (int i = 0; i < points.size(); ++i) {
        const QJsonObject point = points.at(i).toObject();
        QCOMPARE(point.value(QStringLiteral("agencies")).toInt(), agencies.at(i).toInt());
        QCOMPARE(point.value(QStringLiteral("bets")).toInteger(),
            qint64(agencies.at(i).toInt()) * betsPerAgency);
        QVERIFY(point.value(QStringLiteral("winners_correct")).toBool());
        QVERIFY(point.value(QStringLiteral("server_cpu_seconds")).toDouble() >= 0);
        QVERIFY(point.value(QStringLiteral("server_peak_rss_kib")).toInteger() > 0);
        QVERIFY(point.value(QStringLiteral("ack_p99_ms")).toDouble()
            >= point.value(QStringLiteral("ack_p50_ms")).toDouble());
    }
}

void TestBenchSmoke::loadgenRefusesABadCurve()
{
    QProcess loadgen;
    loadgen.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-loadgen"),
        {QStringLiteral("--curve"), QStringLiteral("5,0")});
    QVERIFY(loadgen.waitForFinished(10000));
    QCOMPARE(loadgen.exitCode(), 2);
    QVERIFY(loadgen.readAllStandardError().contains("--curve: '0'"));
}

#include "tst_bench_smoke.moc"
