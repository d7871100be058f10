// The operator's switch of an agency (docs/OPERATIONS.md, "Disabling a shop") with two real
// lottery-server instances on one PostgreSQL database (a cluster the test starts itself): the
// switch recorded through one instance's console is refused at the agency's next HELLO on the
// other (the store reads agency_switches at every welcome), survives a restart, can be undone,
// and is refused (409) once the draw is recorded. PostgreSQL speaks protocol version 2, so the
// refusal is ERROR(agency_disabled); a version-1 session gets ERROR(invalid_agency).
#include "lottery/protocol/codec.h"
#include "support/postgres_cluster.h"
#include "support/program_runner.h"
#include "support/sales_fixtures.h"
#include "tst_server_client.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace lottery::protocol;
using lottery::testing::PostgresCluster;
using lottery::testing::ServerProcess;
using namespace lottery::testing::sales;

namespace {

std::optional<Message> helloAnswer(
    quint16 port, quint32 agency, quint16 version = kProtocolVersion2)
{
    TestClient client;
    if (!client.connectTo(port))
        return std::nullopt;
    client.send(Hello {version, agency, {}});
    return client.receive();
}

// PostgreSQL speaks version 2 (it keeps digests): agency_disabled; a version-1 session gets
// invalid_agency, the nearest code its decoder knows.
bool refusedAsDisabled(
    const std::optional<Message> &answer, quint32 agency, quint16 version = kProtocolVersion2)
{
    const auto *error = answer ? std::get_if<ErrorMessage>(&*answer) : nullptr;
    const ErrorCode expected
        = version >= kProtocolVersion2 ? ErrorCode::AgencyDisabled : ErrorCode::InvalidAgency;
    return error && error->code == expected
        && error->message == "agency " + std::to_string(agency) + " is disabled by the operator";
}

bool welcomed(const std::optional<Message> &answer)
{
    return answer && std::holds_alternative<Welcome>(*answer);
}

} // namespace

class PostgresAgencySwitchTest : public QObject
{
    Q_OBJECT

private slots:
    void switchHoldsOnEveryInstance();
};

void PostgresAgencySwitchTest::switchHoldsOnEveryInstance()
{
    QString why;
    if (!PostgresCluster::available(&why))
        QFAIL(qPrintable(why));
    PostgresCluster cluster;
    QVERIFY2(cluster.initPrimary(), qPrintable(cluster.lastError()));
    qputenv("PGPASSFILE", cluster.passFile().toLocal8Bit());
    QVERIFY2(cluster.createDatabase(QStringLiteral("switches")), qPrintable(cluster.lastError()));
    const QString conninfo = cluster.connectionString(QStringLiteral("switches"));
    QTemporaryDir dir;
    const QString tokenFile = dir.filePath("admin.token");
    {
        QFile token(tokenFile);
        QVERIFY(token.open(QIODevice::WriteOnly));
        token.write(kToken + "\n");
    }
    const QStringList first {
        "--database", conninfo, "--admin-port", "0", "--admin-token-file", tokenFile};
    ServerProcess a;
    QVERIFY(a.start(2, dir.filePath("unused.csv"), first));
    ServerProcess b;
    QVERIFY(b.start(2, dir.filePath("unused.csv"), {"--database", conninfo}));
    const QString console = QStringLiteral("http://127.0.0.1:%1/api/agencies/").arg(adminPortOf(a));

    // Agency 2 stores a batch through b, then is disabled through a's console.
    {
        TestClient client;
        QVERIFY(client.connectTo(b.port()));
        client.send(Hello {kProtocolVersion1, 2, {}});
        QVERIFY(client.receiveAs<Welcome>());
        client.send(Batch {1, {makeBet("Ana", "Paz", "2000001", 7574)}});
        QVERIFY(client.receiveAs<Ack>());
    }
    QCOMPARE(post(console + "2/disable", kToken).status, 200);
    QCOMPARE(cluster.psql(QStringLiteral("SELECT disabled FROM agency_switches WHERE agency = 2"),
                 QStringLiteral("switches")),
        QByteArray("t"));
    QVERIFY(refusedAsDisabled(helloAnswer(b.port(), 2), 2));
    QVERIFY(refusedAsDisabled(helloAnswer(a.port(), 2), 2));
    QVERIFY(refusedAsDisabled(helloAnswer(a.port(), 2, kProtocolVersion1), 2, kProtocolVersion1));
    QVERIFY(welcomed(helloAnswer(b.port(), 1)));
    QCOMPARE(post(console + "3/disable", kToken).status, 404);

    // b restarted: it reads the switch at start and still refuses.
    QVERIFY(b.terminate());
    ServerProcess again;
    QVERIFY(again.start(2, dir.filePath("unused.csv"), {"--database", conninfo}));
    QTRY_COMPARE_WITH_TIMEOUT(again.countLines("action: agencias_deshabilitadas | result: success "
                                               "| agencias: 2 | motivo: operador"),
        1, 10000);
    QVERIFY(refusedAsDisabled(helloAnswer(again.port(), 2), 2));

    // Enabled through a: the other instance welcomes it with its stored bet.
    QCOMPARE(post(console + "2/enable", kToken).status, 200);
    const auto welcome = helloAnswer(again.port(), 2);
    QVERIFY(welcomed(welcome));
    QCOMPARE(std::get<Welcome>(*welcome).storedBets, quint64(1));

    // Both agencies done: the draw is recorded, and a switch can no longer change it.
    for (quint32 agency : {1u, 2u}) {
        TestClient client;
        QVERIFY(client.connectTo(again.port()));
        client.send(Hello {kProtocolVersion1, agency, {}});
        QVERIFY(client.receiveAs<Welcome>());
        client.send(Done {});
        QVERIFY(client.receiveAs<DoneAck>());
    }
    QCOMPARE(cluster.psql(QStringLiteral("SELECT count(*) FROM draw"), QStringLiteral("switches")),
        QByteArray("1"));
    QCOMPARE(post(console + "1/disable", kToken).status, 409);
    QCOMPARE(cluster.psql(QStringLiteral("SELECT count(*) FROM agency_switches WHERE disabled"),
                 QStringLiteral("switches")),
        QByteArray("0"));
}

QTEST_GUILESS_MAIN(PostgresAgencySwitchTest)
#include "tst_postgres_agency_switch.moc"
