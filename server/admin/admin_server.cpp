#include "server/admin/admin_server.h"
#include <QDeadlineTimer>
#include <QMutex>
#include <QWaitCondition>
#include <memory>

#include "common/log.h"
#include "server/admin/admin_http_service.h"
#include "server/admin/metrics_formatter.h"
#include "server/admin/process_metrics.h"
#include "server/admin/status_report.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>

namespace lottery::server {

namespace {

AdminHttpResponse resource(const QString &path, const QByteArray &mimeType)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return AdminHttpResponse::text(404, "404 not found\n");
    AdminHttpResponse response;
    response.contentType = mimeType;
    response.body = file.readAll();
    return response;
}

} // namespace

AdminServer::AdminServer(const ServerMetrics &metrics, SnapshotProvider snapshot, QObject *parent)
    : QObject(parent), m_metrics(metrics), m_board(std::move(snapshot))
{
    m_thread.setObjectName(QStringLiteral("lottery-admin")); // the thread's name in /proc
}

AdminServer::~AdminServer()
{
    stop();
}

bool AdminServer::readToken(const QString &path, QByteArray *token, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("admin token file %1: %2").arg(path, file.errorString());
        return false;
    }
    const QByteArray first = file.readLine(4096).trimmed();
    if (first.size() < kMinTokenLength) {
        *error = QStringLiteral("admin token file %1: the token must be at least %2 characters "
                                "(e.g. openssl rand -hex 32 > %1)")
                     .arg(path)
                     .arg(kMinTokenLength);
        return false;
    }
    *token = first;
    return true;
}

bool AdminServer::tokensEqual(const QByteArray &presented, const QByteArray &expected)
{
    // Equal-length digests, compared without an early exit: the time says nothing about how
    // much of the token was right.
    const QByteArray a = QCryptographicHash::hash(presented, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

bool AdminServer::start(const Settings &settings)
{
    m_settings = settings;
    if (!settings.tokenPath.isEmpty()) {
        QByteArray token;
        if (!readToken(settings.tokenPath, &token, &m_error))
            return false;
        m_token = token;
    }
    // The first snapshot, in this (the main) thread, before any request can want one.
    m_board.publish();
    // Built and listening here, then moved to the admin thread before it starts: everything
    // the thread will read is written before QThread::start(), and no call has to cross over.
    m_service = new AdminHttpService(
        settings.limits, [this](const AdminHttpRequest &request) { return route(request); }, m_log);
    QString error;
    const bool listening = m_service->listen(
        QHostAddress(settings.ip), settings.port, settings.tls, settings.tlsConfiguration, &error);
    const quint16 port = m_service->serverPort();
    if (listening) {
        m_service->moveToThread(&m_thread);
        // Deleted in its own thread once its loop ends (stop()).
        connect(&m_thread, &QThread::finished, m_service, &QObject::deleteLater);
        m_thread.start();
    } else {
        delete m_service;
        m_service = nullptr;
    }
    if (!listening) {
        m_error = QStringLiteral("cannot listen for the admin endpoint on %1:%2: %3")
                      .arg(settings.ip)
                      .arg(settings.port)
                      .arg(error);
        stop();
        return false;
    }
    m_port = port;
    LOTTERY_LOG_SUCCESS("admin_listen")
        .field(u"ip", settings.ip)
        .field(u"port", static_cast<int>(port))
        .field(u"tls", settings.tls ? "on" : "off")
        .field(u"auth", m_token.isEmpty() ? "off" : "bearer");
    return true;
}

void AdminServer::stop()
{
    // A request waiting for the main thread's snapshot stops waiting: this thread waits below.
    m_board.close();
    m_thread.quit();
    m_thread.wait();
    // m_service is not reset here: the console thread's last route() read it, and QThread's
    // wait() orders us after that thread through Qt's own futexes, which ThreadSanitizer cannot
    // see (it reported the reset as a race). The service deletes itself when the thread ends
    // (deleteLater on finished); nothing uses the pointer after stop().
}

StatusSnapshot AdminServer::snapshot(int maxAgeMs)
{
    StatusBoard::Reading reading = m_board.read(maxAgeMs, kSnapshotWaitMs);
    if (!reading.fresh)
        reading.snapshot.staleMs = std::max<qint64>(reading.ageMs, 1);
    return reading.snapshot;
}

bool AdminServer::authorized(const AdminHttpRequest &request)
{
    if (m_token.isEmpty())
        return true;
    const QByteArray header = request.header("Authorization");
    static const QByteArray scheme = QByteArrayLiteral("Bearer ");
    const char *problem = nullptr;
    if (header.isEmpty())
        problem = "missing bearer token";
    else if (!header.startsWith(scheme)
        || !tokensEqual(header.mid(scheme.size()).trimmed(), m_token))
        problem = "wrong bearer token";
    if (!problem)
        return true;
    quint64 suppressed = 0;
    if (m_log.allow(&suppressed)) {
        auto line = LOTTERY_LOG_FAIL("admin_auth");
        line.field(u"ip", request.peer.toString())
            .field(u"path", request.path)
            .field(u"error", problem);
        if (suppressed > 0)
            line.field(u"suppressed", static_cast<unsigned long long>(suppressed));
    }
    return false;
}

AdminHttpResponse AdminServer::runAction(const Action &action, const AdminHttpRequest &request)
{
    if (!action)
        return AdminHttpResponse::text(501, "501 not implemented by this server\n");
    // An action changes the lottery: it always needs the token, even on loopback, where reading
    // the status does not.
    if (m_token.isEmpty()) {
        return AdminHttpResponse::text(403,
            "403 forbidden: actions need the admin token; start the server with "
            "SERVER_ADMIN_TOKEN_FILE (--admin-token-file)\n");
    }
    if (!authorized(request)) {
        AdminHttpResponse response = AdminHttpResponse::text(
            401, "401 unauthorized: send Authorization: Bearer <token>\n");
        response.headers.append(qMakePair(
            QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"lottery-admin\"")));
        return response;
    }
    // The result crosses back from the main thread through this shared state.
    struct Pending {
        QMutex mutex;
        QWaitCondition decided;
        bool done = false;
        ActionResult result;
    };
    auto pending = std::make_shared<Pending>();
    QMetaObject::invokeMethod(
        &m_board,
        [action, pending] {
            action([pending](const ActionResult &result) {
                QMutexLocker locker(&pending->mutex);
                pending->result = result;
                pending->done = true;
                pending->decided.wakeAll();
            });
        },
        Qt::QueuedConnection);
    QMutexLocker locker(&pending->mutex);
    const QDeadlineTimer deadline(kActionWaitMs);
    while (!pending->done) {
        if (!pending->decided.wait(&pending->mutex, deadline))
            break;
    }
    if (!pending->done) {
        return AdminHttpResponse::text(504,
            "504 the server did not decide in time; the action may still complete: see "
            "/api/status\n");
    }
    if (!pending->result.ok) {
        const int status = pending->result.errorStatus;
        return AdminHttpResponse::text(
            status, QByteArray::number(status) + ' ' + pending->result.error.toUtf8() + '\n');
    }
    AdminHttpResponse response;
    response.contentType = QByteArrayLiteral("application/json");
    response.body = pending->result.json;
    return response;
}

AdminHttpResponse AdminServer::routeAgencySwitch(const AdminHttpRequest &request)
{
    // /api/agencies/<n>/disable or /enable; <n> in decimal, 1..4294967295.
    const QStringList parts = request.path.split(QLatin1Char('/'));
    bool numeric = parts.size() == 5 && !parts[3].isEmpty() && parts[3].size() <= 10;
    for (const QChar c : parts.value(3))
        numeric = numeric && c >= QLatin1Char('0') && c <= QLatin1Char('9');
    const quint64 agency = numeric ? parts[3].toULongLong() : 0;
    const QString verb = parts.value(4);
    if (!numeric || agency == 0 || agency > 0xFFFFFFFFu
        || (verb != QLatin1String("disable") && verb != QLatin1String("enable"))) {
        return AdminHttpResponse::text(
            404, "404 not found: POST /api/agencies/<agency number>/disable or /enable\n");
    }
    if (request.method != "POST") {
        AdminHttpResponse response = AdminHttpResponse::text(
            405, "405 method not allowed: " + request.path.toUtf8() + " answers POST\n");
        response.headers.append(qMakePair(QByteArray("Allow"), QByteArray("POST")));
        return response;
    }
    if (!m_agencySwitch)
        return runAction({}, request);
    const bool enabled = verb == QLatin1String("enable");
    const AgencyAction &action = m_agencySwitch;
    return runAction(
        [&action, agency, enabled](std::function<void(const ActionResult &)> reply) {
            action(static_cast<quint32>(agency), enabled, std::move(reply));
        },
        request);
}

AdminHttpResponse AdminServer::route(const AdminHttpRequest &request)
{
    if (request.path.startsWith(QLatin1String("/api/agencies/")))
        return routeAgencySwitch(request);
    if (request.path == QLatin1String("/api/sales/close")) {
        if (request.method != "POST") {
            AdminHttpResponse response = AdminHttpResponse::text(
                405, "405 method not allowed: /api/sales/close answers POST\n");
            response.headers.append(qMakePair(QByteArray("Allow"), QByteArray("POST")));
            return response;
        }
        return runAction(m_closeSales, request);
    }
    enum class Route { Page, Css, Js, Metrics, Status, Health, Ready };
    static const QHash<QString, Route> routes {{QStringLiteral("/"), Route::Page},
        {QStringLiteral("/dashboard.css"), Route::Css},
        {QStringLiteral("/dashboard.js"), Route::Js}, {QStringLiteral("/metrics"), Route::Metrics},
        {QStringLiteral("/api/status"), Route::Status}, {QStringLiteral("/healthz"), Route::Health},
        {QStringLiteral("/readyz"), Route::Ready}};
    const auto found = routes.constFind(request.path);
    if (found == routes.cend()) {
        return AdminHttpResponse::text(
            404, "404 not found: GET /, /metrics, /api/status, /healthz or /readyz\n");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        AdminHttpResponse response = AdminHttpResponse::text(
            405, "405 method not allowed: " + request.path.toUtf8() + " answers GET and HEAD\n");
        response.headers.append(qMakePair(QByteArray("Allow"), QByteArray("GET, HEAD")));
        return response;
    }
    const Route which = found.value();
    if ((which == Route::Metrics || which == Route::Status) && !authorized(request)) {
        AdminHttpResponse response = AdminHttpResponse::text(
            401, "401 unauthorized: send Authorization: Bearer <token>\n");
        response.headers.append(qMakePair(
            QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"lottery-admin\"")));
        return response;
    }
    switch (which) {
    case Route::Page:
        return resource(QStringLiteral(":/admin/index.html"), "text/html; charset=utf-8");
    case Route::Css:
        return resource(QStringLiteral(":/admin/dashboard.css"), "text/css; charset=utf-8");
    case Route::Js:
        return resource(QStringLiteral(":/admin/dashboard.js"), "text/javascript; charset=utf-8");
    case Route::Health: {
        const StatusSnapshot status = snapshot(1000);
        if (status.staleMs > 0) {
            return AdminHttpResponse::text(503,
                "not ok: the main thread has not answered for " + QByteArray::number(status.staleMs)
                    + " ms\n");
        }
        return AdminHttpResponse::text(200, "ok\n");
    }
    case Route::Ready: {
        const Readiness ready = readiness(snapshot(kSnapshotMaxAgeMs), m_metrics.snapshot());
        if (ready.ready)
            return AdminHttpResponse::text(200, "ready\n");
        return AdminHttpResponse::text(503, "not ready: " + ready.reason.toUtf8() + '\n');
    }
    case Route::Metrics: {
        const StatusSnapshot status = snapshot(kSnapshotMaxAgeMs);
        AdminHttpResponse response;
        response.contentType = MetricsFormatter::kContentType;
        response.body = formatServerMetrics(status, m_metrics.snapshot(), ProcessMetrics::read(),
            fileBytes(status.storagePath, status.journalPath), m_service->stats());
        return response;
    }
    case Route::Status: {
        const StatusSnapshot status = snapshot(kSnapshotMaxAgeMs);
        const QJsonObject document = statusDocument(status, m_metrics.snapshot(),
            ProcessMetrics::read(), fileBytes(status.storagePath, status.journalPath));
        AdminHttpResponse response;
        response.contentType = QByteArrayLiteral("application/json");
        response.body = QJsonDocument(document).toJson(QJsonDocument::Compact);
        return response;
    }
    }
    return AdminHttpResponse::text(500, "500 internal server error\n");
}

} // namespace lottery::server
