// The real programs on PostgreSQL: two lottery-server instances on one database (a cluster the
// test starts itself), agency-cli processes listing both servers. Faults: kill -9 of one
// instance mid-upload at seeded points (the agencies fail over and finish; every bet stored
// exactly once, one draw, the right winners for everyone), PostgreSQL restarted with
// `pg_ctl restart -m immediate` mid-upload, and the start-up errors (unreachable database, wrong
// password, newer schema: exit code 2 and a `result: fail` line). The close of sales sent to
// either instance with agencies mid-upload on both (issue 22), and agencies waiting for the draw
// through a database restart (issue 21, point 6).
#include "support/postgres_cluster.h"
#include "support/program_runner.h"
#include "support/sales_fixtures.h"
#include "tst_server_client.h"

#include "lottery/protocol/codec.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using lottery::testing::AgencyProcess;
using lottery::testing::countWinnersInFile;
using lottery::testing::PostgresCluster;
using lottery::testing::ServerProcess;
using lottery::testing::writeAgencyFile;
using lottery::testing::sales::kToken;
using lottery::testing::sales::Reply;

namespace {

// A receipt file's `key value` lines (docs/AUDIT.md).
QHash<QString, QString> readReceipt(const QString &path)
{
    QHash<QString, QString> values;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return values;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QList<QByteArray> parts = line.trimmed().split(' ');
        if (parts.size() == 2)
            values.insert(QString::fromUtf8(parts[0]), QString::fromUtf8(parts[1]));
    }
    return values;
}

} // namespace

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
    void closeSentToEitherInstance_data();
    void closeSentToEitherInstance();
    void databaseRestartWhileAgenciesWaitForTheDraw();
    void auditOfTheDatabase();

private:
    QString conninfo() const { return m_cluster->connectionString(m_database); }
    QByteArray sql(const QString &statement) { return m_cluster->psql(statement, m_database); }
    bool startServer(ServerProcess &server, int agencies, const QStringList &extra = {});
    // Every agency's stored bets and digest, computed by PostgreSQL itself from the bets rows
    // (docs/AUDIT.md's encoding in SQL: not the server's code): "agency bets hex" lines.
    QByteArray digestsFromRows();
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

bool PostgresServersTest::startServer(ServerProcess &server, int agencies, const QStringList &extra)
{
    // --storage is ignored with --database; it points into the test folder anyway.
    return server.start(agencies, m_dir->filePath(QStringLiteral("unused.csv")),
        QStringList {QStringLiteral("--database"), conninfo()} + extra);
}

QByteArray PostgresServersTest::digestsFromRows()
{
    const QString text8
        = QStringLiteral("decode(lpad(to_hex(octet_length(convert_to(%1, 'UTF8'))), 2, '0'), 'hex')"
                         " || convert_to(%1, 'UTF8')");
    return sql(
        QStringLiteral("SELECT agency || ' ' || count(*) || ' ' || encode(sha256("
                       "string_agg(%1 || %2 || %3 || %4 || int2send(number::int2), ''::bytea"
                       " ORDER BY sequence, ordinal)), 'hex') FROM bets GROUP BY agency"
                       " ORDER BY agency")
            .arg(text8.arg(QStringLiteral("first_name")), text8.arg(QStringLiteral("last_name")),
                text8.arg(QStringLiteral("document")),
                text8.arg(QStringLiteral("to_char(birthdate, 'YYYY-MM-DD')"))));
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

void PostgresServersTest::closeSentToEitherInstance_data()
{
    QTest::addColumn<bool>("toB");
    QTest::newRow("close sent to A") << false;
    QTest::newRow("close sent to B") << true;
}

// Issue 22 on PostgreSQL: two instances, the operator's close sent to either while agencies
// upload on both. Every bet acknowledged (each agency's last receipt) is in the seal and none
// after; the seal, recomputed here from the rows, is the one both instances report in
// /api/status and send (SEALED) to their version-2 agencies, which check it against their
// receipts; a version-1 agency is refused with the code it knows and gets its winners.
void PostgresServersTest::closeSentToEitherInstance()
{
    QFETCH(bool, toB);
    constexpr int kAgencies = 5;
    const QString tokenFile = m_dir->filePath(QStringLiteral("admin.token"));
    QFile token(tokenFile);
    QVERIFY(token.open(QIODevice::WriteOnly));
    token.write(kToken + "\n");
    token.close();
    const QStringList admin {QStringLiteral("--admin-port"), QStringLiteral("0"),
        QStringLiteral("--admin-token-file"), tokenFile};
    ServerProcess a;
    ServerProcess b;
    QVERIFY2(startServer(a, kAgencies, admin), a.output().constData());
    QVERIFY2(startServer(b, kAgencies, admin), b.output().constData());
    const quint16 adminA = a.adminPort();
    const quint16 adminB = b.adminPort();
    QVERIFY(adminA != 0 && adminB != 0);

    // Agencies 1 (on A) and 2 (on B) finish and wait for the draw; 3 (A) and 4 (B) are
    // mid-upload at the close; 5 is a version-1 client with one batch stored.
    const int sizes[] = {300, 300, 1000000, 1000000};
    QStringList receipts;
    for (int agency = 1; agency <= 4; ++agency) {
        const QString file = m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(file, agency, sizes[agency - 1], 97));
        m_files.append(file);
        receipts.append(m_dir->filePath(QStringLiteral("receipt-%1.txt").arg(agency)));
        auto process = std::make_unique<AgencyProcess>();
        process->start(agency, agency % 2 == 1 ? a.address() : b.address(), file,
            {QStringLiteral("--receipt"), receipts.back()});
        m_agencies.push_back(std::move(process));
    }
    TestClient old;
    QVERIFY(old.connectTo(b.port()));
    old.send(lottery::protocol::Hello {lottery::protocol::kProtocolVersion1, 5, {}});
    QVERIFY(old.receiveAs<lottery::protocol::Welcome>());
    std::vector<lottery::protocol::Bet> oldBets;
    for (int i = 0; i < 10; ++i)
        oldBets.push_back(makeBet("Eva", "Sosa", std::to_string(5000 + i),
            i == 3 ? lottery::protocol::kWinningNumber : 1));
    old.send(lottery::protocol::Batch {1, oldBets});
    QVERIFY(old.receiveAs<lottery::protocol::Ack>());

    const QByteArray parked("action: consulta_ganadores | result: in_progress");
    QTRY_VERIFY_WITH_TIMEOUT(a.countLines(parked) >= 1 && b.countLines(parked) >= 1, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(sql(QStringLiteral("SELECT count(*) FROM agencies WHERE agency IN "
                                                "(3, 4) AND stored_bets > 0"))
            == "2",
        120000);
    QVERIFY(m_agencies[2]->isRunning() && m_agencies[3]->isRunning()); // mid-upload

    const Reply closed = lottery::testing::sales::post(
        QStringLiteral("http://127.0.0.1:%1/api/sales/close").arg(toB ? adminB : adminA), kToken);
    QCOMPARE(closed.status, 200);
    const QJsonObject answer = QJsonDocument::fromJson(closed.body).object();
    QCOMPARE(answer.value(QStringLiteral("closed_now")).toBool(), true);
    QCOMPARE(answer.value(QStringLiteral("reason")).toString(), QStringLiteral("operador"));
    const QString seal = answer.value(QStringLiteral("seal")).toString();
    QCOMPARE(seal.size(), 64);

    // The uploading agencies are refused (sales closed) and keep their last receipt. One whose
    // last batch got in just before the close (a slow machine: sanitizers) ends as the waiting
    // ones do, its whole file in the sealed draw.
    for (int i : {2, 3}) {
        AgencyProcess &agency = *m_agencies[std::size_t(i)];
        QVERIFY2(agency.waitForFinished(120000), agency.output().right(2000).constData());
        const QByteArray log = agency.output();
        if (agency.exitCode() == 0) {
            QVERIFY2(log.contains("action: envio_apuestas | result: success")
                    && log.contains("action: sorteo_sellado | result: success")
                    && log.contains("sello: " + seal.toLatin1()),
                log.right(2000).constData());
            continue;
        }
        QVERIFY2(agency.exitCode() == 1, log.right(2000).constData());
        QVERIFY2(log.contains("sales_closed"), log.right(2000).constData());
    }
    // The waiting ones get the seal (checked against their receipt) and their winners.
    for (int i : {0, 1}) {
        AgencyProcess &agency = *m_agencies[std::size_t(i)];
        QVERIFY2(agency.waitForFinished(60000), agency.output().right(2000).constData());
        QVERIFY2(agency.exitCode() == 0, agency.output().right(2000).constData());
        QCOMPARE(agency.reportedWinners(), countWinnersInFile(m_files[i]));
        QVERIFY2(agency.output().contains(
                     "action: sorteo_sellado | result: success | apuestas: 300 | apuestas_total: "),
            agency.output().right(2000).constData());
        QVERIFY2(agency.output().contains("sello: " + seal.toLatin1()),
            agency.output().right(2000).constData());
    }
    // Version 1: the refusal it knows, then its winners (no SEALED: it would not know it).
    old.send(lottery::protocol::Batch {2, oldBets});
    const auto refused = old.receiveAs<lottery::protocol::Reject>();
    QVERIFY(refused);
    QCOMPARE(refused->code, lottery::protocol::ErrorCode::BatchAfterDone);
    old.send(lottery::protocol::GetWinners {});
    const auto winners = old.receiveAs<lottery::protocol::Winners>();
    QVERIFY(winners);
    QCOMPARE(winners->documents, std::vector<std::string>({"5003"}));

    // The seal from the rows: each agency's stored bets and digest, computed by PostgreSQL.
    const QList<QByteArray> lines = digestsFromRows().split('\n');
    QCOMPARE(lines.size(), kAgencies);
    std::string sealed;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        const QList<QByteArray> fields = lines[agency - 1].split(' ');
        QCOMPARE(fields.size(), 3);
        QCOMPARE(fields[0].toInt(), agency);
        lottery::protocol::appendU32(sealed, std::uint32_t(agency));
        lottery::protocol::appendU64(sealed, fields[1].toULongLong());
        sealed += QByteArray::fromHex(fields[2]).toStdString();
        if (agency == 3 || agency == 4) {
            // Its last acknowledgement is exactly what is sealed: nothing acknowledged after.
            const QHash<QString, QString> receipt = readReceipt(receipts[agency - 1]);
            QCOMPARE(receipt.value(QStringLiteral("stored_bets")).toULongLong(),
                fields[1].toULongLong());
            QCOMPARE(receipt.value(QStringLiteral("sha256")), QString::fromLatin1(fields[2]));
            // Less than its file, unless its last batch got in just before the close (above).
            QVERIFY(fields[1].toInt() < sizes[agency - 1]
                || (m_agencies[std::size_t(agency - 1)]->exitCode() == 0
                    && fields[1].toInt() == sizes[agency - 1]));
        }
    }
    QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(
                 QByteArray::fromStdString(sealed), QCryptographicHash::Sha256)
                                     .toHex()),
        seal);
    // Both instances report it; it was recorded once, by the instance the close was sent to.
    for (quint16 port : {adminA, adminB}) {
        const Reply status = lottery::testing::sales::request(
            "GET", QStringLiteral("http://127.0.0.1:%1/api/status").arg(port), kToken);
        QCOMPARE(status.status, 200);
        const QJsonObject sales = QJsonDocument::fromJson(status.body)
                                      .object()
                                      .value(QStringLiteral("sales"))
                                      .toObject();
        QCOMPARE(sales.value(QStringLiteral("state")).toString(), QStringLiteral("closed"));
        QCOMPARE(sales.value(QStringLiteral("seal")).toString(), seal);
    }
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM sales_close")), QByteArray("1"));
    ServerProcess &closer = toB ? b : a;
    ServerProcess &other = toB ? a : b;
    QTRY_COMPARE(
        closer.countLines("action: cierre_ventas | result: success | motivo: operador"), 1);
    QTRY_VERIFY(other.output().contains("action: sorteo | result: success"));
    QVERIFY(!a.output().contains("storage_failure") && !b.output().contains("storage_failure"));
}

// Issue 21, point 6: agencies wait for the draw on instance B and on A, the database restarts
// (`pg_ctl restart -m immediate`: every pooled connection stale), then the last DONE comes on
// A. Each instance's first WELCOME, DONE and draw read after the restart meet a stale
// connection and retry it: everyone gets the winners, no agency sees storage_failure.
void PostgresServersTest::databaseRestartWhileAgenciesWaitForTheDraw()
{
    constexpr int kAgencies = 4;
    ServerProcess a;
    ServerProcess b;
    QVERIFY2(startServer(a, kAgencies), a.output().constData());
    QVERIFY2(startServer(b, kAgencies), b.output().constData());
    for (int agency = 1; agency <= kAgencies; ++agency) {
        const QString file = m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(file, agency, 2000, 97));
        m_files.append(file);
    }
    // 1 and 2 on B, 3 on A: they finish and wait for the draw.
    for (int agency = 1; agency <= 3; ++agency) {
        auto process = std::make_unique<AgencyProcess>();
        process->start(agency, agency == 3 ? a.address() : b.address(), m_files[agency - 1]);
        m_agencies.push_back(std::move(process));
    }
    const QByteArray parked("action: consulta_ganadores | result: in_progress");
    QTRY_VERIFY_WITH_TIMEOUT(b.countLines(parked) >= 2 && a.countLines(parked) >= 1, 60000);
    QVERIFY2(m_cluster->restartImmediate(), qPrintable(m_cluster->lastError()));
    // The last agency on A, after the restart: its WELCOME and DONE meet A's stale connections.
    auto last = std::make_unique<AgencyProcess>();
    last->start(4, a.address(), m_files[3]);
    m_agencies.push_back(std::move(last));
    for (std::size_t i = 0; i < m_agencies.size(); ++i) {
        AgencyProcess &agency = *m_agencies[i];
        QVERIFY2(agency.waitForFinished(90000), agency.output().right(2000).constData());
        QVERIFY2(agency.exitCode() == 0, agency.output().right(2000).constData());
        QCOMPARE(agency.reportedWinners(), countWinnersInFile(m_files[int(i)]));
        QVERIFY2(!agency.output().contains("storage_failure"), agency.output().constData());
    }
    for (ServerProcess *server : {&a, &b}) {
        const QByteArray log = server->output();
        QVERIFY2(!log.contains("storage_failure") && !log.contains("action: sorteo | result: fail"),
            log.right(4000).constData());
        QVERIFY(log.contains("action: sorteo | result: success"));
    }
    QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM sales_close")), QByteArray("1"));
    QVERIFY(a.isRunning() && b.isRunning());
    // The restart was met: some store call found its pooled connection stale and retried it.
    const QByteArray retried("result: in_progress | error: connection to the database lost");
    QVERIFY2(a.output().contains(retried) || b.output().contains(retried),
        (a.output().right(3000) + b.output().right(3000)).constData());
}

// lottery-audit --database (docs/AUDIT.md): an intact lottery, written by the real server and
// agency-cli, agrees with itself and with the agencies' receipts (exit 0); each kind of tampering,
// on a copy of it, is reported naming the agency and the sequence (exit 1).
void PostgresServersTest::auditOfTheDatabase()
{
    constexpr int kAgencies = 3;
    ServerProcess server;
    QVERIFY2(startServer(server, kAgencies), server.output().constData());
    QStringList receipts;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        const QString file = m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(writeAgencyFile(file, agency, 6000, 97));
        receipts.append(m_dir->filePath(QStringLiteral("receipt-%1.txt").arg(agency)));
        auto process = std::make_unique<AgencyProcess>();
        process->start(
            agency, server.address(), file, {QStringLiteral("--receipt"), receipts.back()});
        m_agencies.push_back(std::move(process));
    }
    for (const auto &agency : m_agencies) {
        QVERIFY2(agency->waitForFinished(60000), agency->output().right(2000).constData());
        QVERIFY2(agency->exitCode() == 0, agency->output().right(2000).constData());
    }
    QVERIFY(server.terminate());
    QVERIFY(sql(QStringLiteral("SELECT min(last_sequence) FROM agencies")).toInt() >= 3);
    const QString seal = QString::fromLatin1(sql(QStringLiteral("SELECT encode(seal, 'hex') FROM "
                                                                "sales_close")));
    QCOMPARE(seal.size(), 64);

    const auto audit = [&](const QString &database, QByteArray *output) {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        QStringList arguments {QStringLiteral("--database"), m_cluster->connectionString(database)};
        for (const QString &receipt : receipts)
            arguments << QStringLiteral("--receipt") << receipt;
        process.start(lottery::testing::binaryPath(QStringLiteral("lottery-audit")), arguments);
        if (!process.waitForFinished(60000))
            return -1;
        *output = process.readAll();
        return process.exitCode();
    };
    QByteArray output;
    QCOMPARE(audit(m_database, &output), 0);
    QVERIFY2(output.contains("result: everything agrees"), output.constData());
    QVERIFY2(output.contains("seal: recorded " + seal.toLatin1() + " (match)"), output.constData());
    QVERIFY2(output.contains("agency 2, 6000 bets: honoured"), output.constData());

    struct Tampering {
        const char *name;
        const char *sql;
        QList<QByteArray> needles;
    };
    const Tampering tamperings[] = {
        {"a row changed",
            "UPDATE bets SET document = document || '9' WHERE agency = 1 AND sequence = 2 AND "
            "ordinal = 3",
            {"agency 1 sequence 2: its rows are not the rows stored (CRC)",
                "agency 1 sequence 2: its receipt", "receipt-1.txt: agency 1's first 6000"}},
        {"a row removed", "DELETE FROM bets WHERE agency = 2 AND sequence = 1 AND ordinal = 1",
            {"agency 2 sequence 1: holds"}},
        {"a row added",
            "INSERT INTO bets SELECT agency, sequence, 100000, first_name, last_name, document, "
            "birthdate, number FROM bets WHERE agency = 3 AND sequence = 1 AND ordinal = 1",
            {"agency 3 sequence 1: holds"}},
        {"rows reordered",
            "UPDATE bets SET ordinal = 3 - ordinal WHERE agency = 1 AND sequence = 1 AND ordinal "
            "IN (1, 2)",
            {"agency 1 sequence 1: its rows are not the rows stored (CRC)"}},
        {"a batch removed",
            "DELETE FROM bets WHERE agency = 2 AND sequence = 2; DELETE FROM batches WHERE agency "
            "= 2 AND sequence = 2",
            {"agency 2 sequence 3: follows its batch 1"}},
        {"acknowledged bets gone, the store edited to match",
            "DELETE FROM bets WHERE agency = 3 AND sequence = (SELECT last_sequence FROM agencies "
            "WHERE agency = 3); DELETE FROM batches WHERE agency = 3 AND sequence = (SELECT "
            "last_sequence FROM agencies WHERE agency = 3); UPDATE agencies a SET last_sequence = "
            "b.sequence, stored_bets = b.stored_bets, digest = b.digest FROM batches b WHERE "
            "a.agency = 3 AND b.agency = 3 AND b.sequence = a.last_sequence - 1",
            {"the seal recorded at the close", "receipt-3.txt: agency 3 was told 6000 bets"}},
        {"the seal replaced", "UPDATE sales_close SET seal = sha256('forged')",
            {"the seal recorded at the close"}},
    };
    int copy = 0;
    for (const Tampering &tampering : tamperings) {
        const QString database = QStringLiteral("%1_t%2").arg(m_database).arg(++copy);
        QVERIFY2(
            !m_cluster
                 ->psql(QStringLiteral("CREATE DATABASE %1 TEMPLATE %2").arg(database, m_database),
                     QStringLiteral("postgres"))
                 .isNull(),
            qPrintable(m_cluster->lastError()));
        QVERIFY2(!m_cluster->psql(QString::fromLatin1(tampering.sql), database).isNull(),
            qPrintable(m_cluster->lastError()));
        QCOMPARE(audit(database, &output), 1);
        for (const QByteArray &needle : tampering.needles) {
            QVERIFY2(output.contains("DISCREPANCY: ") && output.contains(needle),
                qPrintable(QStringLiteral("%1: no '%2' in:\n%3")
                               .arg(QLatin1String(tampering.name), QString::fromLatin1(needle),
                                   QString::fromUtf8(output))));
        }
    }
}

QTEST_GUILESS_MAIN(PostgresServersTest)
#include "tst_postgres_servers.moc"
