// Issue 20, "resume compares content": a clerk's file had invalid rows (reported, never sent), the
// upload stored the valid ones and stopped before DONE, the clerk corrected the invalid rows in
// place and runs again. The corrected rows now sit between stored ones; they must be sent, and no
// row twice. The real lottery-server and the real agency-cli over loopback, bets.csv read back;
// the first upload is stopped by kill -9 of agency-cli once enough rows are stored (a window of
// one 10-bet batch: DONE cannot have gone out). Also: a file that lost a stored row stops before
// sending anything, in Spanish; and LIST_STORED's bounds against a raw peer.
#include "common/bet_digest.h"
#include "lottery/protocol/codec.h"
#include "support/program_runner.h"
#include "tst_server_client.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <set>
#include <sys/types.h>

using namespace lottery;
using namespace lottery::protocol;
using lottery::testing::AgencyProcess;
using lottery::testing::ServerProcess;

namespace {

// Row i of the test files: unique documents, every 97th a winner. An invalid row has a birthdate
// that is no date (month 13); corrected, it is a valid bet.
QString rowAt(int i, bool invalid)
{
    return QStringLiteral("Nombre%1,Paz,%2,%3,%4")
        .arg(i)
        .arg(30000000 + i)
        .arg(invalid ? QStringLiteral("1990-13-01") : QStringLiteral("1990-02-01"))
        .arg(i % 97 == 0 ? 7574 : i % 10000);
}

QStringList makeRows(int count, const std::set<int> &invalid)
{
    QStringList rows;
    rows.reserve(count);
    for (int i = 0; i < count; ++i)
        rows << rowAt(i, invalid.count(i) > 0);
    return rows;
}

bool writeRows(const QString &path, const QStringList &rows)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return file.write((rows.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8()) > 0;
}

// Agency 1's stored rows as the agency file wrote them (bets.csv without the agency column;
// these rows need no quotes), sorted.
QStringList storedRows(const QString &storage)
{
    QFile file(storage);
    QStringList rows;
    if (!file.open(QIODevice::ReadOnly))
        return rows;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.startsWith("1,"))
            rows << QString::fromUtf8(line.mid(2));
    }
    rows.sort();
    return rows;
}

QStringList sorted(QStringList rows)
{
    rows.sort();
    return rows;
}

int winnersIn(const QStringList &rows)
{
    int winners = 0;
    for (const QString &row : rows)
        winners += row.endsWith(QLatin1String(",7574")) ? 1 : 0;
    return winners;
}

// kill -9 of agency-cli once at least `atLeast` rows of agency 1 are stored.
bool killWhenStored(AgencyProcess &agency, const QString &storage, int atLeast)
{
    const QDeadlineTimer deadline(120000);
    while (lottery::testing::countStoredRows(storage, 1) < atLeast) {
        QCoreApplication::processEvents(); // QProcess learns of the child's exit from events
        if (deadline.hasExpired() || !agency.isRunning())
            return false;
        QThread::msleep(2);
    }
    ::kill(static_cast<pid_t>(agency.processId()), SIGKILL);
    return agency.waitForFinished(10000);
}

// The first upload of `rows` (some invalid), stopped by kill -9 once `atLeast` rows are stored.
bool interruptedUpload(
    const ServerProcess &server, const QString &file, const QString &storage, int atLeast)
{
    AgencyProcess agency;
    agency.start(1, server.address(), file,
        {QStringLiteral("--no-progress"), QStringLiteral("--batch-max"), QStringLiteral("10"),
            QStringLiteral("--window"), QStringLiteral("1")});
    return killWhenStored(agency, storage, atLeast);
}

// The stored bets WELCOME reported in an agency-cli log, or -1.
qint64 welcomedBets(const QByteArray &log)
{
    const QRegularExpressionMatch match
        = QRegularExpression(QStringLiteral("apuestas_guardadas: (\\d+)"))
              .match(QString::fromUtf8(log));
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

std::string encoded(const Bet &bet)
{
    std::string bytes;
    detail::appendBet(bytes, bet);
    return bytes;
}

} // namespace

class TestFixedRows : public QObject
{
    Q_OBJECT

private slots:
    void correctedRowsAreSentOnce();
    void crashWhileSendingCorrectedRowsThenAThirdRun();
    void fileThatLostStoredRowsStopsBeforeSending();
    void listingIsBounded();
};

void TestFixedRows::correctedRowsAreSentOnce()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString file = dir.filePath("agency-1.csv");
    const std::set<int> invalid {2, 49, 120, 1999, 2500};
    const int count = 60000;
    QVERIFY(writeRows(file, makeRows(count, invalid)));
    ServerProcess server;
    QVERIFY(server.start(1, storage));

    QVERIFY(interruptedUpload(server, file, storage, 3000));
    QCOMPARE(server.countLines("action: agencia_finalizada"), 0);

    // Corrected in place, same path: every row is valid now.
    const QStringList fixed = makeRows(count, {});
    QVERIFY(writeRows(file, fixed));
    AgencyProcess agency;
    agency.start(1, server.address(), file, {QStringLiteral("--no-progress")});
    QVERIFY(agency.waitForFinished(120000));
    const QByteArray log = agency.output();
    QVERIFY2(agency.exitCode() == 0, log.right(3000).constData());
    QVERIFY(log.contains("action: verificacion_retoma | result: in_progress"));
    const qint64 before = welcomedBets(log);
    QVERIFY(before >= 3000 && before < count);
    QVERIFY(log.contains(QStringLiteral("action: verificacion_retoma | result: success | "
                                        "apuestas: %1 | modo: por_contenido | filas_a_enviar: %2")
                             .arg(before)
                             .arg(count - before)
                             .toUtf8()));
    // Every valid row of the corrected file exactly once, the corrected ones included.
    QCOMPARE(storedRows(storage), sorted(fixed));
    QCOMPARE(agency.reportedWinners(), winnersIn(fixed));
    QTRY_COMPARE(server.countLines("action: agencia_finalizada | result: success"), 1);
}

void TestFixedRows::crashWhileSendingCorrectedRowsThenAThirdRun()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString file = dir.filePath("agency-1.csv");
    const int count = 80000;
    // 2,000 rows among the first 40,000 (5 %, also in the first 4,096 rows agency-cli judges
    // before sending: not a suspicious file), so that resending them in 10-bet batches takes 200
    // round trips: the kill lands among them.
    std::set<int> invalid;
    for (int i = 7; i < 40000; i += 20)
        invalid.insert(i);
    QVERIFY(writeRows(file, makeRows(count, invalid)));
    ServerProcess server;
    QVERIFY(server.start(1, storage));
    QVERIFY(interruptedUpload(server, file, storage, 41000));

    const QStringList fixed = makeRows(count, {});
    QVERIFY(writeRows(file, fixed));
    const auto correctedStored = [&] {
        const QStringList stored = storedRows(storage);
        int corrected = 0;
        for (int i : invalid)
            corrected += std::binary_search(stored.begin(), stored.end(), rowAt(i, false)) ? 1 : 0;
        return corrected;
    };
    QCOMPARE(correctedStored(), 0);
    // The second run sends the corrected rows first (file order), 10 at a time: killed among
    // them.
    const int storedBefore = lottery::testing::countStoredRows(storage, 1);
    {
        AgencyProcess agency;
        agency.start(1, server.address(), file,
            {QStringLiteral("--no-progress"), QStringLiteral("--batch-max"), QStringLiteral("10"),
                QStringLiteral("--window"), QStringLiteral("1")});
        QVERIFY(killWhenStored(agency, storage, storedBefore + 150));
    }
    const int sentCorrected = correctedStored();
    QVERIFY2(sentCorrected > 0 && sentCorrected < int(invalid.size()),
        qPrintable(QString::number(sentCorrected)));
    QCOMPARE(server.countLines("action: agencia_finalizada"), 0);

    // The third run: the stored order is now neither a prefix nor the file's order.
    AgencyProcess agency;
    agency.start(1, server.address(), file, {QStringLiteral("--no-progress")});
    QVERIFY(agency.waitForFinished(120000));
    const QByteArray log = agency.output();
    QVERIFY2(agency.exitCode() == 0, log.right(3000).constData());
    QVERIFY(log.contains("modo: por_contenido"));
    QCOMPARE(storedRows(storage), sorted(fixed));
    QCOMPARE(agency.reportedWinners(), winnersIn(fixed));

    // A fourth run after the draw resumes by content too, sends nothing and gets the winners.
    AgencyProcess again;
    again.start(1, server.address(), file, {QStringLiteral("--no-progress")});
    QVERIFY(again.waitForFinished(120000));
    QCOMPARE(again.exitCode(), 0);
    QVERIFY(again.output().contains(
        QStringLiteral("modo: por_contenido | filas_a_enviar: 0").toUtf8()));
    QCOMPARE(storedRows(storage), sorted(fixed));
    QCOMPARE(again.reportedWinners(), winnersIn(fixed));
}

void TestFixedRows::fileThatLostStoredRowsStopsBeforeSending()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    const QString file = dir.filePath("agency-1.csv");
    const int count = 20000;
    QVERIFY(writeRows(file, makeRows(count, {5, 300})));
    ServerProcess server;
    QVERIFY(server.start(1, storage));
    QVERIFY(interruptedUpload(server, file, storage, 2000));

    // Corrected, but row 101 (stored bet no. 100: row 6 was never stored) now has another
    // number, and row 701 is gone.
    QStringList edited = makeRows(count, {});
    const QString original = edited[100];
    edited[100] = QStringLiteral("Nombre100,Paz,30000100,1990-02-01,42");
    const QString lost = edited[700];
    edited.removeAt(700);
    QVERIFY(writeRows(file, edited));

    AgencyProcess agency;
    agency.start(1, server.address(), file,
        {QStringLiteral("--no-progress"), QStringLiteral("--lang"), QStringLiteral("es")});
    QVERIFY(agency.waitForFinished(60000));
    const QByteArray output = agency.output();
    QCOMPARE(agency.exitCode(), 1);
    const QString text = QString::fromUtf8(output);
    QVERIFY2(text.contains(QStringLiteral("A este archivo le faltan apuestas que el servidor ya "
                                          "guard\u00f3")),
        output.right(3000).constData());
    QVERIFY(text.contains(QStringLiteral("El servidor ya guard\u00f3 2 apuestas de esta agencia")));
    QVERIFY(text.contains(QStringLiteral("- apuesta guardada n.\u00ba 100: %1 (estaba despu\u00e9s "
                                         "de la l\u00ednea 100 del archivo)")
                              .arg(original)));
    QVERIFY(text.contains(QStringLiteral("- apuesta guardada n.\u00ba 699: %1").arg(lost)));
    QVERIFY(output.contains("action: verificacion_retoma | result: fail"));
    QVERIFY(output.contains("(stored bets no. 100, 699): nothing was sent"));
    // Nothing more stored, nothing closed.
    const qint64 welcomed = welcomedBets(output);
    QVERIFY(welcomed >= 2000);
    QCOMPARE(lottery::testing::countStoredRows(storage, 1), int(welcomed));
    QCOMPARE(server.countLines("action: agencia_finalizada"), 0);
}

void TestFixedRows::listingIsBounded()
{
    QTemporaryDir dir;
    const QString storage = dir.filePath("bets.csv");
    ServerProcess server;
    QVERIFY(server.start(1, storage, {QStringLiteral("--admin-port"), QStringLiteral("0")}));
    std::vector<Bet> bets;
    for (int i = 0; i < 3000; ++i)
        bets.push_back(makeBet("Ana", "Paz", std::to_string(20000000 + i), i % 50 ? 1 : 7574));
    {
        TestClient client;
        QVERIFY(client.connectTo(server.port()));
        client.send(Hello {kProtocolVersion2, 1, {}});
        QVERIFY(client.receiveAs<Welcome>());
        for (quint64 sequence = 1; sequence <= 30; ++sequence) {
            Batch batch {sequence, {}};
            for (std::size_t i = (sequence - 1) * 100; i < sequence * 100; ++i)
                batch.bets.push_back(bets[i]);
            client.send(batch);
            QVERIFY(client.receiveAs<Receipt>());
        }
    }
    const auto connect = [&](quint16 version, TestClient &client) {
        if (!client.connectTo(server.port()))
            return std::optional<Welcome>();
        client.send(Hello {version, 1, {}});
        return client.receiveAs<Welcome>();
    };
    // The ERROR `code` whose message holds `text`, then the close.
    const auto expectError = [](TestClient &client, ErrorCode code, const char *text) {
        const auto error = client.receiveAs<ErrorMessage>();
        if (!error || error->code != code || error->message.find(text) == std::string::npos) {
            qWarning() << "got" << (error ? error->message.c_str() : "no ERROR");
            return false;
        }
        return client.waitForDisconnected();
    };

    // More than kMaxListedBets in one request: a malformed frame.
    {
        TestClient client;
        QVERIFY(connect(kProtocolVersion2, client));
        std::string frame = encodeFrame(ListStored {0, 1});
        storeU16(frame.data() + 13, kMaxListedBets + 1);
        client.sendRaw(frame);
        QVERIFY(expectError(client, ErrorCode::MalformedFrame, "invalid value at byte 13"));
    }
    // Beyond what WELCOME said is stored.
    {
        TestClient client;
        QVERIFY(connect(kProtocolVersion2, client));
        client.send(ListStored {2999, 2});
        QVERIFY(expectError(client, ErrorCode::UnexpectedMessage,
            "LIST_STORED asks for stored bets 2999..3000 but WELCOME said 3000 are stored"));
    }
    // Version 1 has no LIST_STORED.
    {
        TestClient client;
        QVERIFY(connect(kProtocolVersion1, client));
        client.send(ListStored {0, 1});
        QVERIFY(expectError(
            client, ErrorCode::UnexpectedMessage, "LIST_STORED needs protocol version 2"));
    }
    // Every stored bet once: the list is the bets as stored, and hashes to WELCOME's digest;
    // asking again on the same connection is past the budget.
    {
        TestClient client;
        const auto welcome = connect(kProtocolVersion2, client);
        QVERIFY(welcome);
        QCOMPARE(welcome->storedBets, quint64(3000));
        RunningDigest digest;
        std::vector<Bet> listed;
        for (quint64 from = 0; from < 3000; from += kMaxListedBets) {
            const auto count
                = static_cast<std::uint16_t>(std::min<quint64>(kMaxListedBets, 3000 - from));
            client.send(ListStored {from, count});
            bool final = false;
            while (!final) {
                const auto chunk = client.receiveAs<StoredList>();
                QVERIFY(chunk);
                QCOMPARE(chunk->from, quint64(listed.size()));
                for (const Bet &bet : chunk->bets) {
                    digest.addEncodedBets(encoded(bet));
                    listed.push_back(bet);
                }
                final = chunk->final;
            }
            QCOMPARE(listed.size(), std::size_t(from + count));
        }
        QVERIFY(listed == bets);
        QVERIFY(digest.current() == welcome->digest);
        client.send(ListStored {0, 1});
        QVERIFY(expectError(client, ErrorCode::UnexpectedMessage,
            "this connection already listed 3000 of the 3000 stored bets and asks for 1 more"));
    }
    QTRY_COMPARE(server.countLines("action: listado_apuestas | result: success"), 3);

    // The operator sees the refusal.
    QNetworkAccessManager http;
    QNetworkReply *reply = http.get(QNetworkRequest(
        QUrl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(server.adminPort()))));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(10000));
    QVERIFY(reply->readAll().contains("lottery_peer_limit_total{limit=\"list_stored_budget\"} 1"));
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(TestFixedRows)
#include "tst_fixed_rows.moc"
