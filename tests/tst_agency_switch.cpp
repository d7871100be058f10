// Agencies on and off (docs/OPERATIONS.md, "Disabling a shop"): the operator disables an agency
// before the close of sales (POST /api/agencies/<n>/disable, token only); its new connections get
// ERROR(agency_disabled) (version 1: invalid_agency), its connected session is closed once its
// batch in flight is answered, its stored bets stay and are sealed and drawn at the close; the
// switch survives a restart (journal record kind 6) and can be undone before the close, never
// after. The real lottery-server and agency-cli over loopback; the seal is recomputed here with
// Qt's SHA-256 over the bytes docs/AUDIT.md names.
#include "lottery/protocol/codec.h"
#include "server/net/credentials.h"
#include "server/storage/journal_replay.h"
#include "support/program_runner.h"
#include "support/sales_fixtures.h"
#include "tst_server_client.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lottery::protocol;
using lottery::testing::ServerProcess;
using namespace lottery::testing::sales;
namespace journal = lottery::server::journal;

namespace {

QString writeToken(const QTemporaryDir &dir)
{
    const QString path = dir.filePath("admin.token");
    QFile token(path);
    if (!token.open(QIODevice::WriteOnly))
        return {};
    token.write(kToken + "\n");
    return path;
}

// A HELLO of `version` for `agency`: the server's first answer.
std::optional<Message> helloAnswer(quint16 port, quint32 agency, quint16 version)
{
    TestClient client;
    if (!client.connectTo(port))
        return std::nullopt;
    client.send(Hello {version, agency, {}});
    return client.receive();
}

bool isRefusal(const std::optional<Message> &answer, ErrorCode code, quint32 agency)
{
    const auto *error = answer ? std::get_if<ErrorMessage>(&*answer) : nullptr;
    return error && error->code == code
        && error->message == "agency " + std::to_string(agency) + " is disabled by the operator";
}

// The row of `agency` in GET /api/status.
QJsonObject statusRow(quint16 admin, quint32 agency)
{
    const Reply status
        = request("GET", QStringLiteral("http://127.0.0.1:%1/api/status").arg(admin), kToken);
    for (const QJsonValue &row : QJsonDocument::fromJson(status.body)["agencies"].toArray()) {
        if (row["agency"].toInt() == int(agency))
            return row.toObject();
    }
    return {};
}

} // namespace

class TestAgencySwitch : public QObject
{
    Q_OBJECT

private slots:
    void disabledAgencyIsRefusedAndItsBetsStay();
    void connectedSessionClosesAfterItsBatch();
    void switchNeedsTheTokenAndAKnownAgency();
    void onlyTheAgencysTokenLearnsItIsDisabled();
};

void TestAgencySwitch::disabledAgencyIsRefusedAndItsBetsStay()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString tokenFile = writeToken(dir);
    QVERIFY(!tokenFile.isEmpty());
    const QStringList adminArguments {"--admin-port", "0", "--admin-token-file", tokenFile};
    const std::vector<Bet> one = betsOf(1, 0, 30);
    const std::vector<Bet> two = betsOf(2, 0, 50);
    {
        ServerProcess server;
        QVERIFY(server.start(3, storage, adminArguments));
        const quint16 admin = adminPortOf(server);
        QVERIFY(admin != 0);
        TestClient client;
        QVERIFY(client.connectTo(server.port()));
        client.send(Hello {kProtocolVersion2, 2, {}});
        QVERIFY(client.receiveAs<Welcome>());
        client.send(Batch {1, two});
        QVERIFY(client.receiveAs<Receipt>());
        client.send(Done {});
        QVERIFY(client.receiveAs<DoneAck>());

        const QString disable
            = QStringLiteral("http://127.0.0.1:%1/api/agencies/2/disable").arg(admin);
        const Reply disabled = request("POST", disable, kToken);
        QCOMPARE(disabled.status, 200);
        const QJsonObject answer = QJsonDocument::fromJson(disabled.body).object();
        QCOMPARE(answer["agency"].toInt(), 2);
        QCOMPARE(answer["disabled"].toBool(), true);
        QCOMPARE(answer["changed"].toBool(), true);
        QTRY_COMPARE_WITH_TIMEOUT(server.countLines("action: agencia_deshabilitada | result: "
                                                    "success | agencia: 2 | motivo: operador"),
            1, 10000);
        // Its connected session (waiting, nothing in flight) is closed with the error.
        const auto closing = client.receive();
        QVERIFY(isRefusal(closing, ErrorCode::AgencyDisabled, 2));
        QVERIFY(client.waitForDisconnected());
        // Disabling again changes nothing and says so.
        const Reply again = request("POST", disable, kToken);
        QCOMPARE(again.status, 200);
        QCOMPARE(QJsonDocument::fromJson(again.body)["changed"].toBool(), false);

        // New connections: version 2 gets agency_disabled, version 1 the code it knows.
        QVERIFY(isRefusal(
            helloAnswer(server.port(), 2, kProtocolVersion2), ErrorCode::AgencyDisabled, 2));
        QVERIFY(isRefusal(
            helloAnswer(server.port(), 2, kProtocolVersion1), ErrorCode::InvalidAgency, 2));
        QVERIFY(std::holds_alternative<Welcome>(
            helloAnswer(server.port(), 1, kProtocolVersion2).value_or(Message {DoneAck {}})));
        QTRY_VERIFY_WITH_TIMEOUT(
            server.countLines("agency: 2 | code: agency_disabled | error: agency 2 is disabled "
                              "by the operator")
                >= 2,
            10000);
        // The status is a snapshot at most 250 ms old.
        QTRY_COMPARE_WITH_TIMEOUT(statusRow(admin, 2)["disabled"].toBool(), true, 10000);
        QCOMPARE(statusRow(admin, 2)["state"].toString(), QStringLiteral("done"));
        QCOMPARE(statusRow(admin, 2)["bets_stored"].toInt(), 50);
        QCOMPARE(statusRow(admin, 1)["disabled"].toBool(), false);
        QCOMPARE(statusRow(admin, 3)["state"].toString(), QStringLiteral("not_connected"));

        // The real agency program, for a person (a terminal, Spanish): exit 1 and the clerk's
        // sentence naming the agency; its log line carries the code.
        const QString file = dir.filePath("agency-2.csv");
        QVERIFY(lottery::testing::writeAgencyFile(file, 2, 60, 40));
        const QString logFile = dir.filePath("agency-2.log");
        QProcess cli;
        cli.start(QStringLiteral("script"),
            {"-q", "-e", "-c",
                QStringLiteral("'%1' --lang es --agency 2 --server %2 --file '%3' "
                               "--reconnect-timeout 5 > '%4'")
                    .arg(lottery::testing::binaryPath("agency-cli"), server.address(), file,
                        logFile),
                "/dev/null"});
        QVERIFY2(cli.waitForStarted(10000), "script(1) (bsdutils) is needed for a terminal");
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 1);
        const QString terminal = QString::fromUtf8(cli.readAllStandardOutput());
        QVERIFY2(terminal.contains(QStringLiteral("La agencia 2 fue deshabilitada por el operador "
                                                  "de la lotería:")),
            qPrintable(terminal));
        QFile log(logFile);
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QByteArray logged = log.readAll();
        QVERIFY2(logged.contains("result: fail | codigo: agency_disabled"), logged.constData());
        QVERIFY(server.terminate());
    }
    {
        // Recorded durably: a restart keeps it disabled; enabling it lets it in again.
        ServerProcess server;
        QVERIFY(server.start(3, storage, adminArguments));
        const quint16 admin = adminPortOf(server);
        QTRY_COMPARE_WITH_TIMEOUT(
            server.countLines(
                "action: agencias_deshabilitadas | result: success | agencias: 2 | motivo: "
                "operador"),
            1, 10000);
        QVERIFY(isRefusal(
            helloAnswer(server.port(), 2, kProtocolVersion2), ErrorCode::AgencyDisabled, 2));
        QCOMPARE(request("POST",
                     QStringLiteral("http://127.0.0.1:%1/api/agencies/2/enable").arg(admin), kToken)
                     .status,
            200);
        QTRY_COMPARE_WITH_TIMEOUT(server.countLines("action: agencia_habilitada | result: "
                                                    "success | agencia: 2 | motivo: operador"),
            1, 10000);
        const auto welcome = helloAnswer(server.port(), 2, kProtocolVersion2);
        QVERIFY(welcome && std::holds_alternative<Welcome>(*welcome));
        QCOMPARE(std::get<Welcome>(*welcome).storedBets, quint64(50));
        QTRY_COMPARE_WITH_TIMEOUT(statusRow(admin, 2)["disabled"].toBool(), false, 10000);

        // Disabled again, then the close: its bets are sealed and drawn with the others.
        QCOMPARE(
            request("POST", QStringLiteral("http://127.0.0.1:%1/api/agencies/2/disable").arg(admin),
                kToken)
                .status,
            200);
        TestClient first;
        QVERIFY(first.connectTo(server.port()));
        first.send(Hello {kProtocolVersion2, 1, {}});
        QVERIFY(first.receiveAs<Welcome>());
        first.send(Batch {1, one});
        QVERIFY(first.receiveAs<Receipt>());
        const Reply closed = request(
            "POST", QStringLiteral("http://127.0.0.1:%1/api/sales/close").arg(admin), kToken);
        QCOMPARE(closed.status, 200);
        const QJsonObject close = QJsonDocument::fromJson(closed.body).object();
        QCOMPARE(close["bets"].toInt(), 80);
        QCOMPARE(close["seal"].toString(), hex(sealOf({one, two, {}})));
        QTRY_COMPARE_WITH_TIMEOUT(
            server.countLines("action: sorteo | result: success | cantidad: 80 | ganadores: 3"), 1,
            10000);
        first.send(GetWinners {});
        QVERIFY(first.receiveAs<Sealed>());

        // After the close a switch cannot change the draw: refused, nothing written.
        for (const char *path : {"/api/agencies/2/enable", "/api/agencies/1/disable"}) {
            const Reply refused = request("POST",
                QStringLiteral("http://127.0.0.1:%1%2").arg(admin).arg(QLatin1String(path)),
                kToken);
            QCOMPARE(refused.status, 409);
            QVERIFY(refused.body.startsWith("409 sales are closed"));
        }
        QTRY_COMPARE(server.countLines("action: agencia_habilitada | result: success"), 1);
        QVERIFY(server.terminate());
    }
    // The journal holds the three switches (kind 6) before the close, and lottery-audit reports
    // them without calling them damage.
    QProcess audit;
    audit.start(lottery::testing::binaryPath("lottery-audit"), {"--storage", storage});
    QVERIFY(audit.waitForFinished(30000));
    const QByteArray report = audit.readAllStandardOutput();
    QVERIFY2(audit.exitCode() == 0, report.constData());
    QCOMPARE(report.count("agency 2: disabled by the operator at "), 2);
    QCOMPARE(report.count("agency 2: enabled by the operator at "), 1);

    // A switch record edited to claim another end of bets.csv (its checksum fixed to match) is
    // a discrepancy the audit names.
    QFile journal(storage + ".journal");
    QVERIFY(journal.open(QIODevice::ReadWrite));
    QByteArray bytes = journal.readAll();
    int switchAt = -1;
    for (int at = 0; at + 48 <= bytes.size() && switchAt < 0; at += 48) {
        if (bytes[at + 4] == 6)
            switchAt = at;
    }
    QVERIFY(switchAt >= 0);
    bytes[switchAt + 27] = static_cast<char>(bytes[switchAt + 27] ^ 0x10);
    const quint32 crc = journal::crc32Of(bytes.constData() + switchAt, 44);
    for (int i = 0; i < 4; ++i)
        bytes[switchAt + 44 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
    QVERIFY(journal.seek(0));
    journal.write(bytes);
    journal.close();
    QProcess tampered;
    tampered.start(lottery::testing::binaryPath("lottery-audit"), {"--storage", storage});
    QVERIFY(tampered.waitForFinished(30000));
    const QByteArray discrepancies = tampered.readAllStandardOutput();
    QCOMPARE(tampered.exitCode(), 1);
    QVERIFY2(discrepancies.contains(QByteArray("DISCREPANCY: journal record ")
                 + QByteArray::number(switchAt / 48 + 1)
                 + ", agency 2's switch, says bets.csv "
                   "ended at byte "),
        discrepancies.constData());
}

void TestAgencySwitch::connectedSessionClosesAfterItsBatch()
{
    QTemporaryDir dir;
    const QString tokenFile = writeToken(dir);
    ServerProcess server;
    QVERIFY(server.start(
        2, dir.filePath("bets.csv"), {"--admin-port", "0", "--admin-token-file", tokenFile}));
    const quint16 admin = adminPortOf(server);
    // Agency 1 keeps 20 batches in flight while the operator disables it: whatever was
    // acknowledged before the ERROR is stored, and nothing after it.
    TestClient client;
    QVERIFY(client.connectTo(server.port()));
    client.send(Hello {kProtocolVersion2, 1, {}});
    QVERIFY(client.receiveAs<Welcome>());
    constexpr int kBatches = 20;
    for (int sequence = 1; sequence <= kBatches; ++sequence)
        client.send(Batch {quint64(sequence), betsOf(1, (sequence - 1) * 100, sequence * 100)});
    QVERIFY(client.receiveAs<Receipt>()); // at least one stored before the switch
    QCOMPARE(request("POST",
                 QStringLiteral("http://127.0.0.1:%1/api/agencies/1/disable").arg(admin), kToken)
                 .status,
        200);
    quint64 acknowledged = 1;
    std::optional<ErrorMessage> error;
    while (const auto message = client.receive()) {
        if (const auto *receipt = std::get_if<Receipt>(&*message)) {
            QCOMPARE(receipt->sequence, acknowledged + 1);
            acknowledged = receipt->sequence;
        } else {
            QVERIFY(std::holds_alternative<ErrorMessage>(*message));
            error = std::get<ErrorMessage>(*message);
            break;
        }
    }
    QVERIFY(error);
    QCOMPARE(error->code, ErrorCode::AgencyDisabled);
    QVERIFY(client.waitForDisconnected());
    QCOMPARE(request("POST", QStringLiteral("http://127.0.0.1:%1/api/agencies/1/enable").arg(admin),
                 kToken)
                 .status,
        200);
    const auto welcome = helloAnswer(server.port(), 1, kProtocolVersion2);
    QVERIFY(welcome && std::holds_alternative<Welcome>(*welcome));
    QCOMPARE(std::get<Welcome>(*welcome).lastSequence, acknowledged);
    QCOMPARE(std::get<Welcome>(*welcome).storedBets, acknowledged * 100);
    QCOMPARE(
        lottery::testing::countStoredRows(dir.filePath("bets.csv"), 1), int(acknowledged * 100));
}

void TestAgencySwitch::switchNeedsTheTokenAndAKnownAgency()
{
    QTemporaryDir dir;
    // Without a token file the console is open on loopback for reading, never for actions.
    ServerProcess open;
    QVERIFY(open.start(2, dir.filePath("open.csv"), {"--admin-port", "0"}));
    QCOMPARE(
        request("POST",
            QStringLiteral("http://127.0.0.1:%1/api/agencies/1/disable").arg(adminPortOf(open)), {})
            .status,
        403);
    QCOMPARE(open.countLines("action: agencia_deshabilitada"), 0);

    ServerProcess server;
    QVERIFY(server.start(
        2, dir.filePath("bets.csv"), {"--admin-port", "0", "--admin-token-file", writeToken(dir)}));
    const QString base = QStringLiteral("http://127.0.0.1:%1").arg(adminPortOf(server));
    QCOMPARE(request("POST", base + "/api/agencies/1/disable", {}).status, 401);
    QCOMPARE(
        request("POST", base + "/api/agencies/1/disable", "wrong-token-wrong-token").status, 401);
    QCOMPARE(request("GET", base + "/api/agencies/1/disable", kToken).status, 405);
    for (const char *path :
        {"/api/agencies/3/disable", "/api/agencies/0/disable", "/api/agencies/x/disable",
            "/api/agencies/1/off", "/api/agencies/99999999999/enable"}) {
        const Reply refused = request("POST", base + QLatin1String(path), kToken);
        QVERIFY2(refused.status == 404, path);
    }
    QCOMPARE(request("POST", base + "/api/agencies/3/disable", kToken).body,
        QByteArray("404 agency 3 is not one of this lottery's agencies 1..2\n"));
    QCOMPARE(server.countLines("action: agencia_deshabilitada | result: success"), 0);
    QCOMPARE(request("POST", base + "/api/agencies/1/disable", kToken).status, 200);
    QVERIFY(
        isRefusal(helloAnswer(server.port(), 1, kProtocolVersion2), ErrorCode::AgencyDisabled, 1));
}

// With credentials the refusal comes after the token check: a HELLO with a wrong token gets
// authentication_failed, as for any agency, so nobody can probe which shops are disabled.
void TestAgencySwitch::onlyTheAgencysTokenLearnsItIsDisabled()
{
    namespace credentials = lottery::server::credentials;
    QTemporaryDir dir;
    QFile file(dir.filePath("credentials"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    for (quint32 agency : {1u, 2u}) {
        const QByteArray token = "token-of-agency-" + QByteArray::number(agency);
        file.write(credentials::formatRecord(credentials::makeRecord(agency, token, 2000)).toUtf8()
            + "\n");
    }
    file.close();
    ServerProcess server;
    QVERIFY(server.start(2, dir.filePath("bets.csv"),
        {"--credentials", file.fileName(), "--admin-port", "0", "--admin-token-file",
            writeToken(dir)}));
    QCOMPARE(
        request("POST",
            QStringLiteral("http://127.0.0.1:%1/api/agencies/2/disable").arg(adminPortOf(server)),
            kToken)
            .status,
        200);
    const auto answer = [&server](const std::string &token) -> std::optional<ErrorMessage> {
        TestClient client;
        if (!client.connectTo(server.port()))
            return std::nullopt;
        client.send(Hello {kProtocolVersion2, 2, token});
        return client.receiveAs<ErrorMessage>();
    };
    for (const std::string token : {"", "token-of-agency-1", "guess"}) {
        const auto refused = answer(token);
        QVERIFY(refused);
        QCOMPARE(refused->code, ErrorCode::AuthenticationFailed);
    }
    const auto own = answer("token-of-agency-2");
    QVERIFY(own);
    QCOMPARE(own->code, ErrorCode::AgencyDisabled);
}

QTEST_GUILESS_MAIN(TestAgencySwitch)
#include "tst_agency_switch.moc"
