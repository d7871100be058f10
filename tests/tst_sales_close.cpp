// The close of sales (docs/OPERATIONS.md): by the operator (POST /api/sales/close), on schedule
// (SERVER_SALES_CLOSE) and implied by the last DONE; the seal recorded with it; what agencies of
// either protocol version are told afterwards; and a restart, a kill -9 right after the close and
// a tampered seal. The real lottery-server program over loopback. Digests and the seal are
// recomputed here with Qt's SHA-256 over the bytes docs/AUDIT.md names, independently of the
// server's code.
#include "lottery/agency/agency_session.h"
#include "lottery/agency/user_messages.h"
#include "lottery/protocol/codec.h"
#include "support/program_runner.h"
#include "support/sales_fixtures.h"
#include "tst_server_client.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

using namespace lottery;
using namespace lottery::protocol;
using lottery::testing::ServerProcess;
using namespace lottery::testing::sales;

namespace {

// A version-2 client that stores `bets` for `agency` as batch 1 and returns its receipt.
std::optional<Receipt> storeOneBatch(quint16 port, quint32 agency, const std::vector<Bet> &bets)
{
    TestClient client;
    if (!client.connectTo(port))
        return std::nullopt;
    client.send(Hello {kProtocolVersion2, agency, {}});
    if (!client.receiveAs<Welcome>())
        return std::nullopt;
    client.send(Batch {1, bets});
    return client.receiveAs<Receipt>();
}

} // namespace

class TestSalesClose : public QObject
{
    Q_OBJECT

private slots:
    void operatorClosesWithAgenciesMidUpload();
    void actionsNeedTheToken();
    void scheduledCloseRunsOnTime();
    void aCloseSurvivesKillNineAndATamperedSealIsRefused();
    void lastDoneClosesAsBefore();

private:
    QTemporaryDir m_dir;
};

void TestSalesClose::operatorClosesWithAgenciesMidUpload()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString tokenFile = dir.filePath("admin.token");
    QFile token(tokenFile);
    QVERIFY(token.open(QIODevice::WriteOnly));
    token.write(kToken + "\n");
    token.close();
    ServerProcess server;
    QVERIFY(server.start(3, storage, {"--admin-port", "0", "--admin-token-file", tokenFile}));
    const quint16 admin = adminPortOf(server);
    QVERIFY(admin != 0);

    // Agency 1: 120 bets and DONE. Agency 2: 80 bets, still uploading. Agency 3: nothing.
    const std::vector<Bet> one = betsOf(1, 0, 120);
    const std::vector<Bet> two = betsOf(2, 0, 80);
    TestClient first;
    QVERIFY(first.connectTo(server.port()));
    first.send(Hello {kProtocolVersion2, 1, {}});
    QVERIFY(first.receiveAs<Welcome>());
    first.send(Batch {1, one});
    QVERIFY(first.receiveAs<Receipt>());
    first.send(Done {});
    QVERIFY(first.receiveAs<DoneAck>());
    TestClient second;
    QVERIFY(second.connectTo(server.port()));
    second.send(Hello {kProtocolVersion2, 2, {}});
    QVERIFY(second.receiveAs<Welcome>());
    second.send(Batch {1, two});
    const auto receipt = second.receiveAs<Receipt>();
    QVERIFY(receipt);

    const QString url = QStringLiteral("http://127.0.0.1:%1/api/sales/close").arg(admin);
    const Reply closed = post(url, kToken);
    QCOMPARE(closed.status, 200);
    const QJsonObject answer = QJsonDocument::fromJson(closed.body).object();
    const Digest seal = sealOf({one, two, {}});
    QCOMPARE(answer.value("reason").toString(), QStringLiteral("operador"));
    QCOMPARE(answer.value("closed_now").toBool(), true);
    QCOMPARE(answer.value("bets").toInt(), 200);
    QCOMPARE(answer.value("agencies_done").toInt(), 1);
    QCOMPARE(answer.value("seal").toString(), hex(seal));
    // The log reaches the file a little after the answer reaches the socket: wait for it.
    QTRY_COMPARE_WITH_TIMEOUT(
        server.countLines(QByteArray("action: cierre_ventas | result: success | motivo: "
                                     "operador | agencias_completas: 1 | apuestas: 200 | sello: ")
            + hex(seal).toLatin1()),
        1, 10000);
    QVERIFY(QTest::qWaitFor(
        [&] { return server.countLines("action: sorteo | result: success") == 1; }, 10000));

    // Agency 2 goes on: its next batch is refused for the close, and nothing more is stored.
    second.send(Batch {2, betsOf(2, 80, 90)});
    const auto refused = second.receiveAs<Reject>();
    QVERIFY(refused);
    QCOMPARE(refused->code, ErrorCode::SalesClosed);
    // A version-1 agency is refused with a code it knows.
    TestClient old;
    QVERIFY(old.connectTo(server.port()));
    old.send(Hello {kProtocolVersion1, 3, {}});
    QVERIFY(old.receiveAs<Welcome>());
    old.send(Batch {1, betsOf(3, 0, 5)});
    const auto oldRefused = old.receiveAs<Reject>();
    QVERIFY(oldRefused);
    QCOMPARE(oldRefused->code, ErrorCode::BatchAfterDone);

    // Agency 2 (not done) gets the seal and its winners; its head is its last receipt.
    TestClient asks;
    QVERIFY(asks.connectTo(server.port()));
    asks.send(Hello {kProtocolVersion2, 2, {}});
    const auto welcome = asks.receiveAs<Welcome>();
    QVERIFY(welcome);
    QCOMPARE(welcome->flags, Welcome::kSalesClosedFlag);
    asks.send(GetWinners {});
    const auto sealed = asks.receiveAs<Sealed>();
    QVERIFY(sealed);
    QCOMPARE(sealed->reason, CloseReason::Operator);
    QVERIFY(sealed->root == seal);
    QCOMPARE(sealed->totalBets, quint64(200));
    QCOMPARE(sealed->agencyBets, receipt->storedBets);
    QVERIFY(sealed->agencyDigest == receipt->digest);
    const auto winners = asks.receiveAs<Winners>();
    QVERIFY(winners);
    QCOMPARE(winners->documents, std::vector<std::string>({"2000000", "2000040"}));

    // The agency library, resuming on the closed lottery: told how many of its bets count.
    QFile file(dir.filePath("agency-2.csv"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    for (const Bet &bet : betsOf(2, 0, 100))
        file.write(QByteArray::fromStdString(bet.firstName + "," + bet.lastName + "," + bet.document
            + "," + bet.birthdate + "," + std::to_string(bet.number) + "\n"));
    file.close();
    agency::AgencySessionOptions options;
    options.servers = {agency::ServerAddress {QStringLiteral("127.0.0.1"), server.port()}};
    options.agency = 2;
    options.dataFile = file.fileName();
    agency::AgencySession session(options);
    QSignalSpy failed(&session, &agency::AgencySession::failed);
    session.start();
    QVERIFY(failed.wait(30000));
    const auto error = failed.first().first().value<agency::UploadError>();
    QVERIFY2(
        error.code == std::optional<ErrorCode>(ErrorCode::SalesClosed), qPrintable(error.message));
    QCOMPARE(error.storedBets, quint64(80));
    QVERIFY(agency::UserMessages::forError(error).explanation.contains(QStringLiteral("80 bet")));

    // A second close answers the first.
    const Reply again = post(url, kToken);
    QCOMPARE(again.status, 200);
    QCOMPARE(QJsonDocument::fromJson(again.body).object().value("closed_now").toBool(), false);
    QTRY_COMPARE(server.countLines("action: cierre_ventas | result: success"), 1);
}

void TestSalesClose::actionsNeedTheToken()
{
    QTemporaryDir dir;
    // Without a token file the console is open on loopback for reading, never for actions.
    ServerProcess open;
    QVERIFY(open.start(2, dir.filePath("open.csv"), {"--admin-port", "0"}));
    const quint16 openAdmin = adminPortOf(open);
    QCOMPARE(
        post(QStringLiteral("http://127.0.0.1:%1/api/sales/close").arg(openAdmin), {}).status, 403);
    QCOMPARE(open.countLines("action: cierre_ventas"), 0);

    const QString tokenFile = dir.filePath("admin.token");
    QFile token(tokenFile);
    QVERIFY(token.open(QIODevice::WriteOnly));
    token.write(kToken + "\n");
    token.close();
    ServerProcess server;
    QVERIFY(server.start(
        2, dir.filePath("bets.csv"), {"--admin-port", "0", "--admin-token-file", tokenFile}));
    const QString url
        = QStringLiteral("http://127.0.0.1:%1/api/sales/close").arg(adminPortOf(server));
    QCOMPARE(post(url, {}).status, 401);
    QCOMPARE(post(url, "wrong-token-wrong-token").status, 401);
    QCOMPARE(server.countLines("action: cierre_ventas"), 0);
    QCOMPARE(post(url, kToken).status, 200);
}

void TestSalesClose::scheduledCloseRunsOnTime()
{
    QTemporaryDir dir;
    // Whole seconds, as the setting is written: the comparison below is against what it says.
    const QDateTime at = QDateTime::fromString(
        QDateTime::currentDateTimeUtc().addSecs(3).toOffsetFromUtc(-3 * 3600).toString(Qt::ISODate),
        Qt::ISODate);
    ServerProcess server;
    QVERIFY(server.start(2, dir.filePath("bets.csv"), {"--sales-close", at.toString(Qt::ISODate)}));
    QVERIFY(storeOneBatch(server.port(), 1, betsOf(1, 0, 10)));
    QTRY_COMPARE_WITH_TIMEOUT(
        server.countLines("action: cierre_ventas | result: in_progress | motivo: horario"), 1,
        10000);
    QVERIFY(QTest::qWaitFor(
        [&] {
            return server.countLines("action: cierre_ventas | result: success | motivo: horario | "
                                     "agencias_completas: 0 | apuestas: 10")
                == 1;
        },
        15000));
    QVERIFY(QDateTime::currentDateTimeUtc() >= at);

    // A time already past closes at start; a bad value is refused naming the key.
    QTemporaryDir other;
    ServerProcess late;
    QVERIFY(
        late.start(2, other.filePath("bets.csv"), {"--sales-close", "2020-01-01T00:00:00-03:00"}));
    QVERIFY(QTest::qWaitFor(
        [&] {
            return late.countLines("action: cierre_ventas | result: success | motivo: horario")
                == 1;
        },
        10000));
    QProcess bad;
    bad.start(lottery::testing::binaryPath("lottery-server"),
        {"--agencies", "2", "--storage", other.filePath("x.csv"), "--sales-close", "21:00"});
    QVERIFY(bad.waitForFinished(10000));
    QCOMPARE(bad.exitCode(), 2);
    QVERIFY(
        bad.readAll().contains("--sales-close: '21:00' is not an ISO 8601 time with its offset"));
}

void TestSalesClose::aCloseSurvivesKillNineAndATamperedSealIsRefused()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString tokenFile = dir.filePath("admin.token");
    QFile token(tokenFile);
    QVERIFY(token.open(QIODevice::WriteOnly));
    token.write(kToken + "\n");
    token.close();
    const std::vector<Bet> one = betsOf(1, 0, 50);
    QString sealHex;
    {
        ServerProcess server;
        QVERIFY(server.start(2, storage, {"--admin-port", "0", "--admin-token-file", tokenFile}));
        QVERIFY(storeOneBatch(server.port(), 1, one));
        const Reply closed = post(
            QStringLiteral("http://127.0.0.1:%1/api/sales/close").arg(adminPortOf(server)), kToken);
        QCOMPARE(closed.status, 200);
        sealHex = QJsonDocument::fromJson(closed.body).object().value("seal").toString();
        QCOMPARE(sealHex, hex(sealOf({one, {}})));
        server.kill(); // acknowledged: it must survive
    }
    {
        ServerProcess again;
        QVERIFY(again.start(2, storage));
        QTRY_COMPARE_WITH_TIMEOUT(
            again.countLines(QByteArray("action: cierre_ventas | result: success | motivo: "
                                        "operador | agencias_completas: 0 | apuestas: 50 | sello: ")
                + sealHex.toLatin1()),
            1, 10000);
        TestClient client;
        QVERIFY(client.connectTo(again.port()));
        client.send(Hello {kProtocolVersion2, 1, {}});
        QVERIFY(client.receiveAs<Welcome>());
        client.send(GetWinners {});
        const auto sealed = client.receiveAs<Sealed>();
        QVERIFY(sealed);
        QCOMPARE(hex(sealed->root), sealHex);
        QVERIFY(again.terminate());
    }
    // A seal changed in the journal (its record's own checksum fixed, as a careful forger would):
    // the rows no longer match it, and the server refuses to start, changing nothing.
    QFile journal(storage + ".journal");
    QVERIFY(journal.open(QIODevice::ReadWrite));
    QByteArray bytes = journal.readAll();
    int sealAt = -1;
    for (int at = 0; at + 48 <= bytes.size(); at += 48) {
        if (bytes[at + 4] == 5)
            sealAt = at;
    }
    QVERIFY(sealAt >= 0);
    bytes[sealAt + 8] = static_cast<char>(bytes[sealAt + 8] ^ 1);
    const uLong crc = ::crc32(0L, reinterpret_cast<const Bytef *>(bytes.constData() + sealAt), 44);
    for (int i = 0; i < 4; ++i)
        bytes[sealAt + 44 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
    QVERIFY(journal.seek(0));
    journal.write(bytes);
    journal.close();
    ServerProcess refused;
    QVERIFY(!refused.start(2, storage));
    QVERIFY(QTest::qWaitFor([&] { return !refused.isRunning(); }, 10000));
    QCOMPARE(refused.exitCode(), 2);
    QVERIFY(refused.output().contains("do not match their seal"));
}

void TestSalesClose::lastDoneClosesAsBefore()
{
    QTemporaryDir dir;
    ServerProcess server;
    QVERIFY(server.start(1, dir.filePath("bets.csv")));
    const std::vector<Bet> one = betsOf(1, 0, 41);
    TestClient client;
    QVERIFY(client.connectTo(server.port()));
    client.send(Hello {kProtocolVersion1, 1, {}});
    QVERIFY(client.receiveAs<Welcome>());
    client.send(Batch {1, one});
    QVERIFY(client.receiveAs<Ack>());
    client.send(Done {});
    QVERIFY(client.receiveAs<DoneAck>());
    client.send(GetWinners {});
    // Version 1: exactly the WINNERS it always got, no SEALED.
    const auto winners = client.receiveAs<Winners>();
    QVERIFY(winners);
    QCOMPARE(winners->documents, std::vector<std::string>({"1000000", "1000040"}));
    // The log reaches the file a little after the answers reach the socket: wait for it.
    QTRY_COMPARE_WITH_TIMEOUT(server.countLines("action: sorteo | result: success"), 1, 10000);
    QCOMPARE(server.countLines(QByteArray("action: cierre_ventas | result: success | motivo: "
                                          "todas_las_agencias | agencias_completas: 1 | "
                                          "apuestas: 41 | sello: ")
                 + hex(sealOf({one})).toLatin1()),
        1);
    QCOMPARE(server.countLines("registrado: antes"), 0); // closed by this DONE, not read back
}

QTEST_GUILESS_MAIN(TestSalesClose)
#include "tst_sales_close.moc"
