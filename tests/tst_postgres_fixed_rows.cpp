// The resume by content on PostgreSQL (issue 20): a real lottery-server on a database of a
// cluster the test starts itself, the real agency-cli. An upload of a file with invalid rows is
// killed (-9) partway; the clerk corrects the rows in place; the next run lists the stored bets
// (LIST_STORED, read by schema 4's index), sends only the rows no stored bet matched, and
// closes: the database then holds every row of the corrected file exactly once.
#include "support/postgres_cluster.h"
#include "support/program_runner.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <set>

using lottery::testing::AgencyProcess;
using lottery::testing::PostgresCluster;
using lottery::testing::ServerProcess;

namespace {

constexpr int kRows = 4000;

// Row i of the agency's file; the rows in `invalid` start with '=' (refused: a formula).
QByteArray fileOf(const std::set<int> &invalid)
{
    QByteArray content;
    for (int i = 0; i < kRows; ++i) {
        content += (invalid.count(i) ? "=Ana" : "Ana") + QByteArray(",Paz,")
            + QByteArray::number(30000000 + i) + ",1990-01-02,"
            + QByteArray::number(i % 50 == 0 ? 7574 : i % 7000) + "\n";
    }
    return content;
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

} // namespace

class PostgresFixedRowsTest : public QObject
{
    Q_OBJECT

private slots:
    void correctedRowsAreSentOnce();
};

void PostgresFixedRowsTest::correctedRowsAreSentOnce()
{
    QString why;
    if (!PostgresCluster::available(&why))
        QFAIL(qPrintable(why));
    PostgresCluster cluster;
    QVERIFY2(cluster.initPrimary(), qPrintable(cluster.lastError()));
    qputenv("PGPASSFILE", cluster.passFile().toLocal8Bit());
    QVERIFY2(cluster.createDatabase(QStringLiteral("fixed")), qPrintable(cluster.lastError()));
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("agency-1.csv"));
    const std::set<int> invalid {3, 700, 1500, 2900};
    QVERIFY(writeFile(file, fileOf(invalid)));
    ServerProcess server;
    QVERIFY(server.start(1, dir.filePath(QStringLiteral("unused.csv")),
        {QStringLiteral("--database"), cluster.connectionString(QStringLiteral("fixed"))}));

    // The first upload, slow (one batch of 10 in flight), killed once 100 batches are stored.
    {
        AgencyProcess agency;
        agency.start(1, server.address(), file,
            {QStringLiteral("--no-progress"), QStringLiteral("--batch-max"), QStringLiteral("10"),
                QStringLiteral("--window"), QStringLiteral("1")});
        QTRY_VERIFY_WITH_TIMEOUT(
            server.countLines("action: apuesta_recibida | result: success") >= 100
                || !agency.isRunning(),
            60000);
        QVERIFY2(agency.isRunning(), agency.output().right(2000).constData());
        ::kill(static_cast<pid_t>(agency.processId()), SIGKILL);
        QVERIFY(agency.waitForFinished(10000));
    }
    const int storedBefore
        = cluster.psql(QStringLiteral("SELECT count(*) FROM bets"), QStringLiteral("fixed"))
              .toInt();
    QVERIFY(storedBefore >= 1000 && storedBefore < kRows - int(invalid.size()));

    // Corrected in place: every row is valid now; the stored ones sit around the corrected.
    QVERIFY(writeFile(file, fileOf({})));
    AgencyProcess again;
    again.start(1, server.address(), file, {QStringLiteral("--no-progress")});
    QVERIFY(again.waitForFinished(120000));
    const QByteArray log = again.output();
    QVERIFY2(again.exitCode() == 0, log.right(3000).constData());
    QVERIFY2(log.contains("modo: por_contenido"), log.right(3000).constData());
    // Every row of the corrected file exactly once, the corrected ones included.
    QCOMPARE(cluster.psql(QStringLiteral("SELECT count(*), count(DISTINCT document) FROM bets"),
                 QStringLiteral("fixed")),
        QByteArray::number(kRows) + "|" + QByteArray::number(kRows));
    for (int row : invalid) {
        QCOMPARE(cluster.psql(QStringLiteral("SELECT count(*) FROM bets WHERE document = '%1'")
                                  .arg(30000000 + row),
                     QStringLiteral("fixed")),
            QByteArray("1"));
    }
    QCOMPARE(again.reportedWinners(), kRows / 50);
    QVERIFY(server.terminate());
}

QTEST_GUILESS_MAIN(PostgresFixedRowsTest)
#include "tst_postgres_fixed_rows.moc"
