// The admin HTTP endpoint of the real lottery-server (issue 13), with real agency-cli processes:
// every endpoint, the metric values against what the run did, promtool, the bearer token, TLS,
// health during a stalled fdatasync and after a storage failure (strace fault injection), and
// 200 concurrent scrapes while agencies upload.
#include "support/program_runner.h"
#include "tst_admin_server.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

#include <csignal>
#include <memory>
#include <vector>

using namespace lottery::testing;

namespace {

constexpr int kWinnerEvery = 37;
const QByteArray kToken = QByteArrayLiteral("test-admin-token-0123456789abcdef");

QStringList agencyArguments(int batchMax, int window)
{
    return {QStringLiteral("--batch-max"), QString::number(batchMax), QStringLiteral("--window"),
        QString::number(window), QStringLiteral("--reconnect-timeout"), QStringLiteral("60"),
        QStringLiteral("--log-level"), QStringLiteral("DEBUG")};
}

struct Reply {
    int status = 0; // 0: no HTTP answer
    QByteArray body;
    QByteArray contentType;
    QString error;
    QList<QNetworkReply::RawHeaderPair> headers;

    // The security headers docs/ADMIN.md promises on every answer: empty when all are there.
    QString missingSecurityHeaders() const
    {
        const QList<QPair<QByteArray, QByteArray>> expected {{"Cache-Control", "no-store"},
            {"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "DENY"},
            {"Referrer-Policy", "no-referrer"}, {"Content-Security-Policy", "default-src 'self';"}};
        QStringList missing;
        for (const auto &[name, value] : expected) {
            bool found = false;
            for (const auto &[key, present] : headers)
                found = found
                    || (key.compare(name, Qt::CaseInsensitive) == 0 && present.startsWith(value));
            if (!found)
                missing << QString::fromLatin1(name);
        }
        return missing.join(QStringLiteral(", "));
    }
};

// One request with Qt's own HTTP client; the event loop runs meanwhile.
Reply httpGet(QNetworkAccessManager &manager, const QString &url,
    const QByteArray &authorization = {}, const QString &caFile = {})
{
    QNetworkRequest request {QUrl(url)};
    request.setTransferTimeout(20000);
    if (!authorization.isEmpty())
        request.setRawHeader("Authorization", authorization);
    if (!caFile.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(QSslCertificate::fromPath(caFile));
        request.setSslConfiguration(tls);
    }
    QNetworkReply *reply = manager.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(30000);
    Reply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    result.headers = reply->rawHeaderPairs();
    if (reply->error() != QNetworkReply::NoError)
        result.error = reply->errorString();
    reply->deleteLater();
    return result;
}

// The value of one sample (`name{labels}` exactly as exposed), or NaN.
double metricValue(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(series + ' '))
            return line.mid(series.size() + 1).toDouble();
    }
    return qQNaN();
}

// `promtool check metrics` on the text: empty when clean, else its complaints.
QString promtoolProblems(const QByteArray &text)
{
    QProcess promtool;
    promtool.setProcessChannelMode(QProcess::MergedChannels);
    promtool.start(
        QStringLiteral("promtool"), {QStringLiteral("check"), QStringLiteral("metrics")});
    if (!promtool.waitForStarted(10000))
        return QStringLiteral("promtool did not start (the prometheus package has it: make test "
                              "installs it, scripts/install-deps.sh --with-tools)");
    promtool.write(text);
    promtool.closeWriteChannel();
    if (!promtool.waitForFinished(30000))
        return QStringLiteral("promtool did not finish");
    const QString output = QString::fromUtf8(promtool.readAll());
    if (promtool.exitCode() != 0 || !output.trimmed().isEmpty())
        return output.isEmpty() ? QStringLiteral("promtool exit %1").arg(promtool.exitCode())
                                : output;
    return QString();
}

// A bare HTTP/1.1 GET on its own connection, for many at once (Qt's client opens at most six
// connections per host). Reads the status line, the headers and Content-Length bytes of body.
class RawScrape : public QObject
{
    Q_OBJECT
public:
    explicit RawScrape(quint16 port, const QByteArray &path, QObject *parent = nullptr)
        : QObject(parent)
    {
        connect(&m_socket, &QTcpSocket::connected, this, [this, path] {
            m_socket.write(
                "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        });
        connect(&m_socket, &QTcpSocket::readyRead, this, &RawScrape::onReadyRead);
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this] {
            if (!m_finished && !complete())
                finish();
        });
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    }
    bool isFinished() const { return m_finished; }
    int status() const { return m_status; }
    const QByteArray &body() const { return m_body; }

signals:
    void finished();

private:
    bool complete() const { return m_headerEnd >= 0 && m_body.size() >= m_length; }
    void onReadyRead()
    {
        m_buffer += m_socket.readAll();
        if (m_headerEnd < 0) {
            m_headerEnd = static_cast<int>(m_buffer.indexOf("\r\n\r\n"));
            if (m_headerEnd < 0)
                return;
            const QByteArray head = m_buffer.left(m_headerEnd);
            const QList<QByteArray> lines = head.split('\n');
            const QList<QByteArray> statusLine = lines.value(0).split(' ');
            m_status = statusLine.value(1).toInt();
            for (const QByteArray &line : lines) {
                if (line.toLower().startsWith("content-length:"))
                    m_length = line.mid(15).trimmed().toInt();
            }
        }
        m_body = m_buffer.mid(m_headerEnd + 4);
        if (complete() && !m_finished)
            finish();
    }
    void finish()
    {
        m_finished = true;
        m_socket.abort();
        emit finished();
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_body;
    int m_headerEnd = -1;
    int m_length = 0;
    int m_status = 0;
    bool m_finished = false;
};

} // namespace

class TestAdminHttp : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void everyEndpointDuringARealRun();
    void offUnlessAPortIsSet();
    void refusesBadSetups_data();
    void refusesBadSetups();
    void bearerToken_data();
    void bearerToken();
    void tlsWithTheServersCertificate();
    void answersDuringAStalledFdatasync();
    void notReadyAfterAStorageFailure();
    void concurrentScrapesWhileAgenciesUpload();
    void idleConnectionFloodIsCapped();

private:
    QString path(const QString &name) const { return m_dir->filePath(name); }
    // The agency files, or an empty list when one cannot be written: the caller QVERIFYs it.
    QStringList writeFiles(int agencies, int bets)
    {
        QStringList files;
        for (int agency = 1; agency <= agencies; ++agency) {
            const QString file = path(QStringLiteral("agency-%1.csv").arg(agency));
            if (!writeAgencyFile(file, agency, bets, kWinnerEvery))
                return {};
            files << file;
        }
        return files;
    }
    QString writeToken(const QByteArray &token = kToken)
    {
        const QString file = path(QStringLiteral("admin.token"));
        QFile out(file);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return QString();
        out.write(token + '\n');
        return file;
    }
    QString url(const AdminServerProcess &server, const QString &route,
        const QString &scheme = "http") const
    {
        return QStringLiteral("%1://127.0.0.1:%2%3").arg(scheme).arg(server.adminPort()).arg(route);
    }
    QJsonObject status(const AdminServerProcess &server)
    {
        const Reply reply = httpGet(m_http, url(server, QStringLiteral("/api/status")));
        return QJsonDocument::fromJson(reply.body).object();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QNetworkAccessManager m_http;
};

void TestAdminHttp::initTestCase()
{
    QVERIFY(QFileInfo::exists(binaryPath(QStringLiteral("lottery-server"))));
    QVERIFY(QFileInfo::exists(binaryPath(QStringLiteral("agency-cli"))));
    // Qt's client must not go through a proxy of the environment for 127.0.0.1.
    qunsetenv("http_proxy");
    qunsetenv("https_proxy");
}

void TestAdminHttp::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestAdminHttp::everyEndpointDuringARealRun()
{
    constexpr int kAgencies = 3;
    constexpr int kBets = 1500;
    const QStringList files = writeFiles(kAgencies, kBets);
    QVERIFY(!files.isEmpty());
    AdminServerProcess server;
    const QString storage = path(QStringLiteral("bets.csv"));
    QVERIFY2(server.start({"--agencies", QString::number(kAgencies), "--storage", storage,
                 "--admin-port", "0"}),
        server.output().constData());

    // Before any agency: alive, ready, every agency listed as not connected, the draw waiting.
    Reply reply = httpGet(m_http, url(server, "/healthz"));
    QCOMPARE(reply.status, 200);
    reply = httpGet(m_http, url(server, "/readyz"));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, QByteArray("ready\n"));
    QJsonObject before = status(server);
    QCOMPARE(before[QLatin1String("agencies")].toArray().size(), kAgencies);
    for (const QJsonValue &row : before[QLatin1String("agencies")].toArray())
        QCOMPARE(row[QLatin1String("state")].toString(), QStringLiteral("not_connected"));
    QCOMPARE(before[QLatin1String("draw")][QLatin1String("state")].toString(),
        QStringLiteral("waiting"));
    QVERIFY(before[QLatin1String("server")][QLatin1String("ready")].toBool());

    std::vector<std::unique_ptr<AgencyProcess>> agencies;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        agencies.push_back(std::make_unique<AgencyProcess>());
        agencies.back()->start(agency, server.address(), files[agency - 1], agencyArguments(40, 4));
    }
    int expectedWinners = 0;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        AgencyProcess &process = *agencies[static_cast<std::size_t>(agency - 1)];
        QVERIFY2(process.waitForFinished(120000), process.output().constData());
        QCOMPARE(process.exitCode(), 0);
        QCOMPARE(process.reportedWinners(), countWinnersInFile(files[agency - 1]));
        expectedWinners += countWinnersInFile(files[agency - 1]);
    }
    const QByteArray log = server.output();
    const int storedBatches
        = static_cast<int>(log.count("action: apuesta_recibida | result: success"))
        - static_cast<int>(log.count("duplicate: true"));

    // /metrics: the values the run produced, in a format promtool accepts.
    reply = httpGet(m_http, url(server, "/metrics"));
    QCOMPARE(reply.status, 200);
    QVERIFY2(
        reply.contentType.startsWith("text/plain; version=0.0.4"), reply.contentType.constData());
    const QByteArray metrics = reply.body;
    const QString problems = promtoolProblems(metrics);
    QVERIFY2(problems.isEmpty(),
        qPrintable(problems + QStringLiteral("\n") + QString::fromUtf8(metrics)));
    for (int agency = 1; agency <= kAgencies; ++agency) {
        QCOMPARE(
            metricValue(metrics,
                QStringLiteral("lottery_bets_stored_total{agency=\"%1\"}").arg(agency).toUtf8()),
            double(kBets));
    }
    QCOMPARE(
        metricValue(metrics, "lottery_batches_total{result=\"stored\"}"), double(storedBatches));
    QCOMPARE(metricValue(metrics, "lottery_agencies_expected"), double(kAgencies));
    QCOMPARE(metricValue(metrics, "lottery_agencies_done"), double(kAgencies));
    QCOMPARE(metricValue(metrics, "lottery_draw_completed"), 1.0);
    QCOMPARE(metricValue(metrics, "lottery_draw_winners"), double(expectedWinners));
    const double storageBytes = double(
        QFileInfo(storage).size() + QFileInfo(storage + QStringLiteral(".journal")).size());
    QCOMPARE(metricValue(metrics, "lottery_storage_bytes"), storageBytes);
    QCOMPARE(metricValue(metrics, "lottery_storage_failed"), 0.0);
    const double commits = metricValue(metrics, "lottery_commit_duration_seconds_count");
    QVERIFY(commits >= 1 && commits <= storedBatches);
    QCOMPARE(metricValue(metrics, "lottery_commit_duration_seconds_bucket{le=\"+Inf\"}"), commits);
    QVERIFY(metricValue(metrics, "lottery_commit_duration_seconds_sum") > 0);
    QVERIFY(metricValue(metrics, "process_resident_memory_bytes") > 1e6);
    QVERIFY(metricValue(metrics, "process_open_fds") >= 3);
    QVERIFY(metricValue(metrics, "process_cpu_seconds_total") > 0);
    QVERIFY(metricValue(metrics, "process_start_time_seconds") > 1.6e9);
    // Counts only: not one document number of the run appears.
    for (const QString &file : files) {
        for (const QString &document : winnerDocumentsInFile(file))
            QVERIFY2(!metrics.contains(document.toUtf8()), qPrintable(document));
    }

    // /api/status: the same run per agency, the draw completed with its winners.
    reply = httpGet(m_http, url(server, "/api/status"));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.contentType, QByteArray("application/json"));
    const QJsonObject after = QJsonDocument::fromJson(reply.body).object();
    QCOMPARE(after[QLatin1String("draw")][QLatin1String("state")].toString(),
        QStringLiteral("completed"));
    QCOMPARE(after[QLatin1String("draw")][QLatin1String("winners")].toInteger(), expectedWinners);
    QCOMPARE(after[QLatin1String("totals")][QLatin1String("bets_stored")].toInteger(),
        kAgencies * kBets);
    QCOMPARE(after[QLatin1String("totals")][QLatin1String("agencies_done")].toInteger(), kAgencies);
    QCOMPARE(
        after[QLatin1String("totals")][QLatin1String("batches_stored")].toInteger(), storedBatches);
    const QJsonArray rows = after[QLatin1String("agencies")].toArray();
    QCOMPARE(rows.size(), kAgencies);
    qint64 historyBets = 0;
    for (const QJsonValue &bets :
        after[QLatin1String("ingest")][QLatin1String("history")].toArray())
        historyBets += bets.toInteger();
    // The run lasted well under the 300 s of history: every stored bet is in it.
    QCOMPARE(historyBets, qint64(kAgencies * kBets));
    for (int agency = 1; agency <= kAgencies; ++agency) {
        const QJsonObject row = rows[agency - 1].toObject();
        QCOMPARE(row[QLatin1String("agency")].toInteger(), agency);
        QCOMPARE(row[QLatin1String("bets_stored")].toInteger(), kBets);
        QVERIFY(row[QLatin1String("done")].toBool());
        QCOMPARE(row[QLatin1String("winners")].toInteger(), countWinnersInFile(files[agency - 1]));
        QCOMPARE(row[QLatin1String("state")].toString(),
            countWinnersInFile(files[agency - 1]) > 0 ? QStringLiteral("winners")
                                                      : QStringLiteral("done"));
        QVERIFY(!row[QLatin1String("last_batch_time")].toString().isEmpty());
    }
    for (const QString &file : files) {
        for (const QString &document : winnerDocumentsInFile(file))
            QVERIFY2(!reply.body.contains(document.toUtf8()), qPrintable(document));
    }

    // The dashboard and its two files, from the resources; anything else is 404.
    reply = httpGet(m_http, url(server, "/"));
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.contentType.startsWith("text/html"));
    QVERIFY(reply.body.contains("consola del operador")); // Spanish first; English in the JS
    QVERIFY(reply.body.contains("Cerrar la venta"));
    QVERIFY(reply.body.contains("/dashboard.js"));
    QCOMPARE(httpGet(m_http, url(server, "/dashboard.js")).status, 200);
    QCOMPARE(httpGet(m_http, url(server, "/dashboard.css")).status, 200);
    // Every answer carries the security headers, a 404 as well.
    for (const char *route :
        {"/", "/dashboard.js", "/metrics", "/api/status", "/healthz", "/nope"}) {
        reply = httpGet(m_http, url(server, route));
        QCOMPARE(reply.status, QByteArray(route) == "/nope" ? 404 : 200);
        QVERIFY2(reply.missingSecurityHeaders().isEmpty(),
            qPrintable(QString::fromLatin1(route) + ": " + reply.missingSecurityHeaders()));
    }

    // Shutting down: not ready any more (then the process is gone).
    QVERIFY(server.terminate(10000));
}

void TestAdminHttp::offUnlessAPortIsSet()
{
    ServerProcess server;
    QVERIFY(server.start(1, path(QStringLiteral("bets.csv"))));
    QVERIFY(server.output().contains("admin: off"));
    QVERIFY(!server.output().contains("action: admin_listen"));
    QVERIFY(server.terminate());
}

void TestAdminHttp::refusesBadSetups_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("error");

    QTest::newRow("any address without a token") << QStringList {"--admin-port", "0", "--admin-ip",
        "0.0.0.0"} << 2 << "needs a bearer token";
    QTest::newRow("token too short") << QStringList {"--admin-port", "0", "--admin-token-file",
        "@short"} << 2 << "at least 16 characters";
    QTest::newRow("port in use") << QStringList {"--admin-port", "@busy"} << 1
                                 << "cannot listen for the admin endpoint";
}

void TestAdminHttp::refusesBadSetups()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, error);

    QTcpServer busy; // holds a port for "port in use"
    QVERIFY(busy.listen(QHostAddress::LocalHost));
    for (QString &argument : arguments) {
        if (argument == u"@short")
            argument = writeToken("short");
        else if (argument == u"@busy")
            argument = QString::number(busy.serverPort());
    }
    AdminServerProcess server;
    const int code = server.runToExit(QStringList {"--port", "0", "--agencies", "1", "--storage",
                                          path(QStringLiteral("bets.csv"))}
        + arguments);
    QCOMPARE(code, exitCode);
    QVERIFY2(server.output().contains(error.toUtf8()), server.output().constData());
}

void TestAdminHttp::bearerToken_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("expected");

    const QByteArray right = "Bearer " + kToken;
    const QByteArray wrong = "Bearer " + QByteArray(kToken).replace('0', '1');
    for (const char *route : {"/metrics", "/api/status"}) {
        QTest::addRow("%s without a token", route) << route << QByteArray() << 401;
        QTest::addRow("%s with a wrong token", route) << route << wrong << 401;
        QTest::addRow("%s with a prefix of the token", route) << route << right.left(20) << 401;
        QTest::addRow("%s with Basic auth", route)
            << route << ("Basic " + kToken.toBase64()) << 401;
        QTest::addRow("%s with the token", route) << route << right << 200;
    }
    // Probes and the page itself carry no counts: open.
    QTest::newRow("/healthz without a token") << "/healthz" << QByteArray() << 200;
    QTest::newRow("/readyz without a token") << "/readyz" << QByteArray() << 200;
    QTest::newRow("/ without a token") << "/" << QByteArray() << 200;
}

void TestAdminHttp::bearerToken()
{
    QFETCH(QString, route);
    QFETCH(QByteArray, authorization);
    QFETCH(int, expected);

    AdminServerProcess server;
    QVERIFY2(server.start({"--agencies", "1", "--storage", path(QStringLiteral("bets.csv")),
                 "--admin-port", "0", "--admin-token-file", writeToken()}),
        server.output().constData());
    QVERIFY(server.output().contains("auth: bearer"));
    const Reply reply = httpGet(m_http, url(server, route), authorization);
    QCOMPARE(reply.status, expected);
    QVERIFY2(reply.missingSecurityHeaders().isEmpty(), qPrintable(reply.missingSecurityHeaders()));
    if (expected == 401) {
        // The log line may be written just after the reply (a loop iteration's lines go out
        // together): wait for it, then check that it stays one.
        QTRY_COMPARE(server.count("action: admin_auth | result: fail"), 1);
        QVERIFY(!reply.body.contains("lottery_"));
        QVERIFY(server.output().contains(
            authorization.isEmpty() ? "missing bearer token" : "wrong bearer token"));
    } else {
        QCOMPARE(server.count("action: admin_auth | result: fail"), 0);
    }
    // The token never reaches the log.
    QVERIFY(!server.output().contains(kToken));
}

void TestAdminHttp::tlsWithTheServersCertificate()
{
    if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
        QFAIL("openssl is not installed (make test installs it: scripts/install-deps.sh)");
    const QString secrets = path(QStringLiteral("secrets"));
    QProcess make;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(
        QStringLiteral("LOTTERY_CREDENTIALS"), binaryPath(QStringLiteral("lottery-credentials")));
    make.setProcessEnvironment(environment);
    make.setProcessChannelMode(QProcess::MergedChannels);
    make.start(QStringLiteral(LOTTERY_SOURCE_DIR "/scripts/make-credentials.sh"),
        {secrets, QStringLiteral("1"), QStringLiteral("--force")});
    QVERIFY(make.waitForFinished(60000));
    QVERIFY2(make.exitCode() == 0, make.readAll().constData());

    // Off loopback (every address, reached here through 127.0.0.1) with the server's certificate:
    // TLS, verified against the deployment's CA.
    AdminServerProcess server;
    const QString token = writeToken();
    QVERIFY2(server.start({"--agencies", "1", "--storage", path(QStringLiteral("bets.csv")),
                 "--tls-cert", secrets + "/server.crt", "--tls-key", secrets + "/server.key",
                 "--admin-port", "0", "--admin-ip", "0.0.0.0", "--admin-token-file", token}),
        server.output().constData());
    QVERIFY(server.output().contains("tls: on | auth: bearer"));
    const QString ca = secrets + QStringLiteral("/ca.crt");
    Reply reply = httpGet(m_http, url(server, "/readyz", "https"), {}, ca);
    QCOMPARE(reply.status, 200);
    reply = httpGet(m_http, url(server, "/metrics", "https"), "Bearer " + kToken, ca);
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.body.contains("lottery_agencies_expected 1"));
    reply = httpGet(m_http, url(server, "/metrics", "https"), {}, ca);
    QCOMPARE(reply.status, 401);
    // Plain HTTP on the TLS port gets no answer.
    reply = httpGet(m_http, url(server, "/readyz"));
    QCOMPARE(reply.status, 0);
    // The limits count the decrypted bytes, before the token: a body too large and a header
    // section too large get their refusal over TLS, with the security headers, then a close.
    const QList<QPair<QByteArray, int>> refusals {
        {"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n", 413},
        {"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Stream: " + QByteArray(100000, 'a'), 431}};
    for (const auto &[bytes, status] : refusals) {
        QSslSocket tls;
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setCaCertificates(QSslCertificate::fromPath(ca));
        tls.setSslConfiguration(configuration);
        tls.connectToHostEncrypted(
            QStringLiteral("127.0.0.1"), server.adminPort(), QStringLiteral("localhost"));
        tls.ignoreSslErrors({QSslError(QSslError::HostNameMismatch)});
        QVERIFY2(tls.waitForEncrypted(10000), qPrintable(tls.errorString()));
        tls.write(bytes);
        QByteArray answer;
        QDeadlineTimer deadline(20000);
        while (!answer.contains("\r\n\r\n") && !deadline.hasExpired()
            && tls.state() == QAbstractSocket::ConnectedState) {
            tls.waitForReadyRead(100);
            answer += tls.readAll();
        }
        QVERIFY2(
            answer.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), answer.constData());
        QVERIFY(answer.contains("\r\nX-Frame-Options: DENY\r\n"));
        QVERIFY(answer.contains("\r\nConnection: close\r\n"));
    }

    // The Docker HEALTHCHECK mode speaks TLS to it as well.
    QProcess probe;
    probe.setProcessChannelMode(QProcess::MergedChannels);
    probe.start(binaryPath(QStringLiteral("lottery-server")),
        {"--health-check", "--tls-cert", secrets + "/server.crt", "--tls-key",
            secrets + "/server.key", "--admin-port", QString::number(server.adminPort()),
            "--admin-ip", "0.0.0.0", "--admin-token-file", token});
    QVERIFY(probe.waitForFinished(20000));
    const QByteArray said = probe.readAll();
    QVERIFY2(probe.exitCode() == 0, said.constData());
    QVERIFY2(said.contains("https://127.0.0.1:"), said.constData());
    QVERIFY2(said.contains("200 ready"), said.constData());
}

void TestAdminHttp::answersDuringAStalledFdatasync()
{
    const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
    if (strace.isEmpty())
        QFAIL("strace is not installed (make test installs it: scripts/install-deps.sh "
              "--with-tools)");
    const QStringList files = writeFiles(1, 400);
    QVERIFY(!files.isEmpty());
    AdminServerProcess server;
    // Every fdatasync takes 4 s: a batch task holds its worker for 8 s.
    const QStringList wrapper {strace, QStringLiteral("-f"), QStringLiteral("-qq"),
        QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-e"),
        QStringLiteral("inject=fdatasync:delay_enter=4000000")};
    if (!server.start(
            {"--agencies", "1", "--storage", path(QStringLiteral("bets.csv")), "--admin-port", "0"},
            wrapper))
        QFAIL(qPrintable(QStringLiteral("cannot run the server under strace: %1")
                             .arg(QString::fromUtf8(server.output().right(500)))));
    AgencyProcess agency;
    agency.start(1, server.address(), files[0], agencyArguments(20, 1));

    // Wait until a task is in the pool (its fdatasync is stalled), then ask everything. Generous:
    // under strace -f on a loaded machine the server and the agency start slowly. The status is
    // polled by hand, not inside QTRY_VERIFY: that macro evaluates its condition again after it
    // held, and a second request can fall in the instant between two tasks.
    const auto tasksInFlight = [](const QJsonObject &document) {
        return document[QLatin1String("server")][QLatin1String("tasks_in_flight")].toInt();
    };
    const auto batchesStored = [](const QJsonObject &document) {
        return document[QLatin1String("totals")][QLatin1String("batches_stored")].toInteger();
    };
    // Each task is stalled for 8 s and the requests below take milliseconds, so they all fall in
    // one stall; the rare sitting that starts at a stall's very end (the next task then begins)
    // is asked again, a few times at most.
    bool sameStall = false;
    for (int attempt = 0; attempt < 4 && !sameStall; ++attempt) {
        QJsonObject first;
        QDeadlineTimer deadline(90000);
        while (tasksInFlight(first = status(server)) != 1 && !deadline.hasExpired())
            QTest::qWait(20);
        QCOMPARE(tasksInFlight(first), 1);
        QCOMPARE(httpGet(m_http, url(server, "/healthz")).status, 200);
        QCOMPARE(httpGet(m_http, url(server, "/readyz")).status, 200);
        const Reply metrics = httpGet(m_http, url(server, "/metrics"));
        QCOMPARE(metrics.status, 200);
        QCOMPARE(metricValue(metrics.body, "lottery_upload_buffer_limit_bytes"), double(32 << 20));
        const QJsonObject second = status(server);
        // Still inside the same stalled commit: nothing was stored in between.
        sameStall = tasksInFlight(second) == 1 && batchesStored(second) == batchesStored(first)
            && metricValue(metrics.body, "lottery_tasks_in_flight") == 1.0
            && metricValue(metrics.body, "lottery_batches_total{result=\"stored\"}")
                == double(batchesStored(first));
        if (!sameStall) {
            qInfo("attempt %d crossed the end of a stall (stored %lld, then %lld); asking again",
                attempt + 1, static_cast<long long>(batchesStored(first)),
                static_cast<long long>(batchesStored(second)));
            continue;
        }
        // The uploading session holds a slot: at least one frame's worth of the 32 MiB budget.
        QVERIFY(metricValue(metrics.body, "lottery_upload_buffer_bytes") >= 8192.0);
    }
    QVERIFY2(sameStall, "no sitting of requests fell inside one stalled commit");
    agency.terminate();
    server.kill();
}

void TestAdminHttp::notReadyAfterAStorageFailure()
{
    const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
    if (strace.isEmpty())
        QFAIL("strace is not installed (make test installs it: scripts/install-deps.sh "
              "--with-tools)");
    const QStringList files = writeFiles(1, 3000);
    QVERIFY(!files.isEmpty());
    AdminServerProcess server;
    // One worker, so strace's per-thread count is the server's: the 13th fdatasync fails (EIO).
    server.setEnvironment(QStringLiteral("SERVER_WORKERS"), QStringLiteral("1"));
    const QStringList wrapper {strace, QStringLiteral("-f"), QStringLiteral("-qq"),
        QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-e"),
        QStringLiteral("inject=fdatasync:error=EIO:when=13")};
    if (!server.start(
            {"--agencies", "1", "--storage", path(QStringLiteral("bets.csv")), "--admin-port", "0"},
            wrapper))
        QFAIL(qPrintable(QStringLiteral("cannot run the server under strace: %1")
                             .arg(QString::fromUtf8(server.output().right(500)))));
    QCOMPARE(httpGet(m_http, url(server, "/readyz")).status, 200);
    AgencyProcess agency;
    // storage_failure is retried on the next server (there is none): give up after 2 s.
    QStringList arguments = agencyArguments(20, 1);
    arguments[arguments.indexOf(QStringLiteral("--reconnect-timeout")) + 1] = QStringLiteral("2");
    agency.start(1, server.address(), files[0], arguments);
    QVERIFY(agency.waitForFinished(60000));
    QCOMPARE(agency.exitCode(), 1);
    QVERIFY(server.output().contains("all further writes refused"));

    QCOMPARE(httpGet(m_http, url(server, "/healthz")).status, 200);
    const Reply ready = httpGet(m_http, url(server, "/readyz"));
    QCOMPARE(ready.status, 503);
    QVERIFY2(ready.body.startsWith("not ready: storage failed: "), ready.body.constData());
    QVERIFY2(ready.body.contains("Input/output error"), ready.body.constData());
    const Reply metrics = httpGet(m_http, url(server, "/metrics"));
    QCOMPARE(metrics.status, 200);
    QCOMPARE(metricValue(metrics.body, "lottery_storage_failed"), 1.0);
    QVERIFY(
        metricValue(metrics.body, "lottery_batch_rejections_total{code=\"storage_failure\"}") >= 1);
    QCOMPARE(metricValue(metrics.body, "lottery_batches_total{result=\"stored\"}"), 6.0);
    const QJsonObject document = status(server);
    QVERIFY(!document[QLatin1String("server")][QLatin1String("ready")].toBool());
    QVERIFY(document[QLatin1String("server")][QLatin1String("storage_failed")].toBool());
    QVERIFY(document[QLatin1String("errors")][QLatin1String("rejections_by_code")]
                    [QLatin1String("storage_failure")]
                        .toInteger()
        >= 1);
    QCOMPARE(document[QLatin1String("errors")][QLatin1String("recent")][0][QLatin1String("code")]
                 .toString(),
        QStringLiteral("storage_failure"));
    // The rejected batch's line names the agency's address (issue 23).
    QVERIFY(document[QLatin1String("errors")][QLatin1String("recent")][0][QLatin1String("peer")]
                .toString()
                .contains(QLatin1String("127.0.0.1")));
    // The Docker HEALTHCHECK mode says unhealthy, with the reason.
    QProcess probe;
    probe.setProcessChannelMode(QProcess::MergedChannels);
    probe.start(binaryPath(QStringLiteral("lottery-server")),
        {"--health-check", "--admin-port", QString::number(server.adminPort())});
    QVERIFY(probe.waitForFinished(20000));
    const QByteArray said = probe.readAll();
    QCOMPARE(probe.exitCode(), 1);
    QVERIFY2(said.contains("http://127.0.0.1:"), said.constData());
    QVERIFY2(said.contains("503 not ready: storage failed"), said.constData());
    server.kill();
}

void TestAdminHttp::concurrentScrapesWhileAgenciesUpload()
{
    constexpr int kAgencies = 5;
    constexpr int kBets = 20000;
    constexpr int kScrapes = 200;
    const QStringList files = writeFiles(kAgencies, kBets);
    QVERIFY(!files.isEmpty());
    AdminServerProcess server;
    QVERIFY2(server.start({"--agencies", QString::number(kAgencies), "--storage",
                 path(QStringLiteral("bets.csv")), "--admin-port", "0"}),
        server.output().constData());
    std::vector<std::unique_ptr<AgencyProcess>> agencies;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        agencies.push_back(std::make_unique<AgencyProcess>());
        // Small batches, one at a time: thousands of commits, so the upload lasts a while.
        agencies.back()->start(agency, server.address(), files[agency - 1], agencyArguments(10, 1));
    }
    const auto anyRunning = [&agencies] {
        for (const auto &agency : agencies) {
            if (agency->isRunning())
                return true;
        }
        return false;
    };
    // Rounds of 200 scrapes at once (metrics, status, health mixed) until the agencies are done.
    int rounds = 0;
    int roundsWhileUploading = 0;
    const QByteArray paths[] = {"/metrics", "/api/status", "/readyz", "/healthz"};
    while (anyRunning() && rounds < 50) {
        std::vector<std::unique_ptr<RawScrape>> scrapes;
        for (int i = 0; i < kScrapes; ++i)
            scrapes.push_back(std::make_unique<RawScrape>(server.adminPort(), paths[i % 4]));
        const auto finished = [&scrapes] {
            int count = 0;
            for (const auto &scrape : scrapes)
                count += scrape->isFinished() ? 1 : 0;
            return count;
        };
        QTRY_COMPARE_WITH_TIMEOUT(finished(), kScrapes, 60000);
        const bool uploading = anyRunning();
        for (int i = 0; i < kScrapes; ++i) {
            const RawScrape &scrape = *scrapes[static_cast<std::size_t>(i)];
            QVERIFY2(scrape.status() == 200,
                qPrintable(QStringLiteral("scrape %1 of round %2 (%3): status %4")
                               .arg(i)
                               .arg(rounds)
                               .arg(QString::fromLatin1(paths[i % 4]))
                               .arg(scrape.status())));
            if (paths[i % 4] == "/metrics")
                QVERIFY(scrape.body().contains("lottery_sessions{state=\"active\"}"));
        }
        ++rounds;
        roundsWhileUploading += uploading ? 1 : 0;
    }
    QVERIFY2(roundsWhileUploading >= 1,
        "the agencies finished before one round of scrapes did: make the upload longer");
    // Ingest unaffected: every agency completes with its winners, every bet stored once.
    for (int agency = 1; agency <= kAgencies; ++agency) {
        AgencyProcess &process = *agencies[static_cast<std::size_t>(agency - 1)];
        QVERIFY2(process.waitForFinished(180000), process.output().right(2000).constData());
        QCOMPARE(process.exitCode(), 0);
        QCOMPARE(process.reportedWinners(), countWinnersInFile(files[agency - 1]));
    }
    const Reply metrics = httpGet(m_http, url(server, "/metrics"));
    for (int agency = 1; agency <= kAgencies; ++agency) {
        QCOMPARE(
            metricValue(metrics.body,
                QStringLiteral("lottery_bets_stored_total{agency=\"%1\"}").arg(agency).toUtf8()),
            double(kBets));
    }
    qInfo("%d rounds of %d concurrent scrapes, %d of them while agencies uploaded", rounds,
        kScrapes, roundsWhileUploading);
    QVERIFY(server.terminate(10000));
}

void TestAdminHttp::idleConnectionFloodIsCapped()
{
    // 600 connections that never send a request: past 512 each is answered 503 and closed at
    // once, logged at most 5 lines a second (the rest counted as suppressed), the agencies
    // (which share the process's descriptors) are served, and the console answers once they go.
    constexpr int kFlood = 600;
    constexpr int kCap = 512;
    const QStringList files = writeFiles(1, 500);
    QVERIFY(!files.isEmpty());
    AdminServerProcess server;
    QVERIFY2(server.start({"--agencies", "1", "--storage", path(QStringLiteral("bets.csv")),
                 "--admin-port", "0"}),
        server.output().constData());
    QElapsedTimer elapsed;
    elapsed.start();
    std::vector<std::unique_ptr<QTcpSocket>> flood;
    std::vector<QByteArray> answers(kFlood);
    for (int i = 0; i < kFlood; ++i) {
        flood.push_back(std::make_unique<QTcpSocket>());
        QTcpSocket *socket = flood.back().get();
        connect(socket, &QTcpSocket::readyRead, socket,
            [socket, &answers, i] { answers[static_cast<std::size_t>(i)] += socket->readAll(); });
        socket->connectToHost(QStringLiteral("127.0.0.1"), server.adminPort());
    }
    const auto refused = [&answers] {
        int count = 0;
        for (const QByteArray &answer : answers)
            count += answer.startsWith("HTTP/1.1 503 Service Unavailable\r\n") ? 1 : 0;
        return count;
    };
    QTRY_COMPARE_WITH_TIMEOUT(refused(), kFlood - kCap, 30000);
    for (const QByteArray &answer : answers) {
        if (!answer.isEmpty())
            QVERIFY2(answer.contains("\r\nX-Frame-Options: DENY\r\n"), answer.constData());
    }
    // Rate-limited: at most 5 lines a second, the others counted in a later line.
    const auto suppressed = [&server] {
        qint64 total = 0;
        for (const QByteArray &line : server.output().split('\n')) {
            const qsizetype at = line.indexOf("suppressed: ");
            if (at >= 0 && line.contains("result: fail"))
                total += line.mid(at + 12).toLongLong();
        }
        return total;
    };
    QTRY_COMPARE_WITH_TIMEOUT(
        server.count("action: admin_connection | result: fail") + suppressed(), kFlood - kCap,
        10000);
    QVERIFY(server.count("action: admin_connection | result: fail")
        <= 5 * (elapsed.elapsed() / 1000 + 2));
    QVERIFY(server.output().contains("action: admin_connection | result: fail | ip: 127.0.0.1 "
                                     "| reason: connection_limit | status: 503"));
    AgencyProcess agency;
    agency.start(1, server.address(), files[0], agencyArguments(50, 4));
    QVERIFY(agency.waitForFinished(60000));
    QCOMPARE(agency.exitCode(), 0);
    flood.clear();
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(m_http, url(server, "/healthz")).status, 200, 10000);
    QCOMPARE(httpGet(m_http, url(server, "/api/status")).status, 200);
    const Reply metrics = httpGet(m_http, url(server, "/metrics"));
    QCOMPARE(metricValue(
                 metrics.body, "lottery_admin_requests_refused_total{reason=\"connection_limit\"}"),
        double(kFlood - kCap));
    QVERIFY(server.terminate(10000));
}

QTEST_GUILESS_MAIN(TestAdminHttp)
#include "tst_admin_http.moc"
