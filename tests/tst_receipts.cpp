// Protocol version 2 end to end: receipts, and a resume that compares content. The real
// lottery-server program over loopback; the agency side is the agency library (what agency-cli
// and agency-gui run) or a raw client where the test must control each frame. Digests are
// recomputed here with Qt's own SHA-256 over the wire encodings (docs/AUDIT.md), independently
// of common/bet_digest.
#include "common/agency_receipt.h"
#include "common/bet_digest.h"
#include "lottery/agency/agency_session.h"
#include "lottery/protocol/codec.h"
#include "support/program_runner.h"
#include "tst_server_client.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lottery;
using namespace lottery::protocol;
using lottery::testing::ServerProcess;

namespace {

Bet betAt(int index)
{
    return makeBet("Ana", "Paz", std::to_string(20000000 + index), index % 50 == 0 ? 7574 : 1);
}

// An agency file of bets [0, count) with the row at `changedIndex` (if any) another document.
bool writeFile(const QString &path, int count, int changedIndex = -1)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    for (int i = 0; i < count; ++i) {
        Bet bet = betAt(i);
        if (i == changedIndex)
            bet.document = "99999999";
        file.write(QByteArray::fromStdString(bet.firstName + "," + bet.lastName + "," + bet.document
            + "," + bet.birthdate + "," + std::to_string(bet.number) + "\n"));
    }
    return true;
}

// SHA-256 over the wire encodings of bets [0, count), computed by Qt.
Digest expectedDigest(int count)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (int i = 0; i < count; ++i) {
        std::string encoded;
        detail::appendBet(encoded, betAt(i));
        hash.addData(QByteArrayView(encoded.data(), qsizetype(encoded.size())));
    }
    const QByteArray result = hash.result();
    Digest digest {};
    std::copy(result.begin(), result.end(), digest.begin());
    return digest;
}

int rowsIn(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return int(file.readAll().count('\n'));
}

agency::AgencySessionOptions optionsFor(const ServerProcess &server, const QString &file)
{
    agency::AgencySessionOptions options;
    options.servers = {agency::ServerAddress {QStringLiteral("127.0.0.1"), server.port()}};
    options.agency = 1;
    options.dataFile = file;
    options.batchMaxBets = 70;
    options.drawTimeout = std::chrono::milliseconds(60000);
    return options;
}

// Runs a session to its end; true when it finished with the winners.
bool runSession(agency::AgencySession &session, agency::UploadError *failure = nullptr)
{
    QSignalSpy finished(&session, &agency::AgencySession::finished);
    QSignalSpy failed(&session, &agency::AgencySession::failed);
    session.start();
    if (!QTest::qWaitFor([&] { return finished.count() + failed.count() > 0; }, 60000))
        return false;
    if (!failed.isEmpty() && failure)
        *failure = failed.first().first().value<agency::UploadError>();
    return failed.isEmpty();
}

} // namespace

class TestReceipts : public QObject
{
    Q_OBJECT

private slots:
    void receiptsMatchTheFileAndSurviveARestart();
    void resumeWithAnotherFileStopsBeforeSendingAnything();
    void resumeWithTheSameFileIsVerifiedAndFinishes();
    void versionOneAgenciesGetVersionOneFrames();
    void agencyCliWritesItsReceipt();
};

void TestReceipts::receiptsMatchTheFileAndSurviveARestart()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString file = dir.filePath("agency-1.csv");
    QVERIFY(writeFile(file, 1000));
    ServerProcess server;
    QVERIFY(server.start(1, storage));

    agency::AgencySession session(optionsFor(server, file));
    QSignalSpy receipts(&session, &agency::AgencySession::receiptReceived);
    QVERIFY(runSession(session));
    QCOMPARE(session.protocolVersion(), kProtocolVersion2);
    QCOMPARE(receipts.count(), 15); // 1000 bets in batches of 70
    QCOMPARE(session.receipt().storedBets, quint64(1000));
    QCOMPARE(session.receipt().sequence, quint64(15));
    QVERIFY(session.receipt().digest == expectedDigest(1000));
    QTRY_COMPARE(server.countLines("| version: 2"), 1);
    QTRY_COMPARE(server.countLines("action: agencia_finalizada | result: success"), 1);

    // After a restart the server recomputes the digest from bets.csv: WELCOME says the same.
    QVERIFY(server.terminate());
    ServerProcess again;
    QVERIFY(again.start(1, storage));
    TestClient client;
    QVERIFY(client.connectTo(again.port()));
    client.send(Hello {kProtocolVersion2, 1, {}});
    const auto welcome = client.receiveAs<Welcome>();
    QVERIFY(welcome);
    QCOMPARE(welcome->version, kProtocolVersion2);
    QCOMPARE(welcome->storedBets, quint64(1000));
    QCOMPARE(welcome->lastSequence, quint64(15));
    QVERIFY(welcome->digest == expectedDigest(1000));
    QCOMPARE(welcome->flags, quint8(Welcome::kDoneFlag | Welcome::kSalesClosedFlag));
}

void TestReceipts::resumeWithAnotherFileStopsBeforeSendingAnything()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString changed = dir.filePath("changed.csv");
    QVERIFY(writeFile(changed, 300, 5)); // row 6 is not the row that was stored
    ServerProcess server;
    QVERIFY(server.start(1, storage));

    // An earlier upload stored bets 0..99 in one batch, then its connection dropped.
    {
        TestClient client;
        QVERIFY(client.connectTo(server.port()));
        client.send(Hello {kProtocolVersion2, 1, {}});
        QVERIFY(client.receiveAs<Welcome>());
        Batch batch {1, {}};
        for (int i = 0; i < 100; ++i)
            batch.bets.push_back(betAt(i));
        client.send(batch);
        const auto receipt = client.receiveAs<Receipt>();
        QVERIFY(receipt);
        QCOMPARE(receipt->storedBets, quint64(100));
        QVERIFY(receipt->digest == expectedDigest(100));
    }

    agency::AgencySession session(optionsFor(server, changed));
    QSignalSpy sent(&session, &agency::AgencySession::batchSent);
    agency::UploadError failure;
    QVERIFY(!runSession(session, &failure));
    QCOMPARE(failure.kind, agency::UploadError::Kind::StoredBetsDiffer);
    QCOMPARE(sent.count(), 0);
    QCOMPARE(rowsIn(storage), 100); // nothing more stored
    QCOMPARE(server.countLines("action: agencia_finalizada"), 0); // and the agency is not closed
}

void TestReceipts::resumeWithTheSameFileIsVerifiedAndFinishes()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString file = dir.filePath("agency-1.csv");
    QVERIFY(writeFile(file, 300));
    ServerProcess server;
    QVERIFY(server.start(1, storage));
    {
        TestClient client;
        QVERIFY(client.connectTo(server.port()));
        client.send(Hello {kProtocolVersion2, 1, {}});
        QVERIFY(client.receiveAs<Welcome>());
        Batch batch {1, {}};
        for (int i = 0; i < 100; ++i)
            batch.bets.push_back(betAt(i));
        client.send(batch);
        QVERIFY(client.receiveAs<Receipt>());
    }
    agency::AgencySession session(optionsFor(server, file));
    QSignalSpy verified(&session, &agency::AgencySession::storedBetsVerified);
    QVERIFY(runSession(session));
    QCOMPARE(verified.count(), 1);
    QCOMPARE(verified.first().first().toULongLong(), quint64(100));
    QCOMPARE(rowsIn(storage), 300); // every row exactly once
    QCOMPARE(session.receipt().storedBets, quint64(300));
    QVERIFY(session.receipt().digest == expectedDigest(300));
}

void TestReceipts::versionOneAgenciesGetVersionOneFrames()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    ServerProcess server;
    QVERIFY(server.start(1, storage));
    TestClient client;
    QVERIFY(client.connectTo(server.port()));
    client.send(Hello {kProtocolVersion1, 1, {}});
    // The exact bytes of version 1: a 19-byte WELCOME, a 12-byte ACK.
    QByteArray bytes;
    QVERIFY(QTest::qWaitFor(
        [&] {
            client.socket().waitForReadyRead(50);
            bytes += client.socket().readAll();
            return bytes.size() >= 23;
        },
        10000));
    QCOMPARE(bytes.toHex(' '),
        QByteArray("00 00 00 13 02 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
    client.send(Batch {1, {betAt(0), betAt(1)}});
    bytes.clear();
    QVERIFY(QTest::qWaitFor(
        [&] {
            client.socket().waitForReadyRead(50);
            bytes += client.socket().readAll();
            return bytes.size() >= 16;
        },
        10000));
    QCOMPARE(bytes.toHex(' '), QByteArray("00 00 00 0c 04 00 00 00 00 00 00 00 01 00 02 00"));

    // The agency library asked to speak version 1 uploads as before, with no receipt.
    const QString file = dir.filePath("agency-1.csv");
    QVERIFY(writeFile(file, 200));
    agency::AgencySessionOptions options = optionsFor(server, file);
    options.protocolVersion = kProtocolVersion1;
    agency::AgencySession session(options);
    QVERIFY(runSession(session));
    QCOMPARE(session.protocolVersion(), kProtocolVersion1);
    QVERIFY(!session.receipt().isValid());
    QCOMPARE(rowsIn(storage), 200);
}

void TestReceipts::agencyCliWritesItsReceipt()
{
    QTemporaryDir dir;
    const QString file = dir.filePath("agency-1.csv");
    const QString receiptPath = dir.filePath("recibo.txt");
    QVERIFY(writeFile(file, 500));
    ServerProcess server;
    QVERIFY(server.start(1, dir.filePath("bets.csv")));
    lottery::testing::AgencyProcess agencyCli;
    agencyCli.start(1, server.address(), file, {QStringLiteral("--receipt"), receiptPath});
    QVERIFY(agencyCli.waitForFinished(60000));
    QCOMPARE(agencyCli.exitCode(), 0);
    QVERIFY(agencyCli.output().contains("action: protocolo | result: success | version: 2"));
    QString error;
    const auto receipt = AgencyReceipt::readFile(receiptPath, &error);
    QVERIFY2(receipt, qPrintable(error));
    QCOMPARE(receipt->agency, quint32(1));
    QCOMPARE(receipt->storedBets, quint64(500));
    QVERIFY(receipt->digest == expectedDigest(500));
    QVERIFY(agencyCli.output().contains("action: recibo | result: success | agency: 1 | sequence: "
        + QByteArray::number(receipt->sequence)
        + " | apuestas: 500 | sha256: " + digestHex(receipt->digest).toLatin1()));
}

QTEST_GUILESS_MAIN(TestReceipts)
#include "tst_receipts.moc"
